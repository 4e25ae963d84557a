package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/pkg/devenv"
	"github.com/kafkalink/kafkalink/pkg/kafkarest/emulator"
)

// readyOf reads the Ready condition of a ClusterLink as "Status Reason: message".
func readyOf(t *testing.T, kind, name string) string {
	out, _ := kubectlErr(t, "-n", "operator", "get", kind, name, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason}: {.status.conditions[?(@.type=="Ready")].message}`)
	return out
}

// TestOAuthClientCredentials: the example's ClusterLink reaches a cluster
// that accepts only OAuth tokens through krc-oauth (client credentials
// from oauth.txt). The identity provider rotating the client secret gives
// CredentialsError naming the refusal; writing the new secret into the
// Secret recovers without a restart.
func TestOAuthClientCredentials(t *testing.T) {
	kubectl(t, "-n", "operator", "wait", "clusterlink", "clusterlink-oauth", "--for=condition=Ready", "--timeout=90s")
	if st, _, ok := env.Emulator.Cluster(devenv.OAuthClusterID).Mirror("clusterlink-oauth", "orders"); !ok || st != "ACTIVE" {
		t.Errorf("mirror orders on %s: %q", devenv.OAuthClusterID, st)
	}
	if got := readyOf(t, "krc", "krc-oauth"); !strings.HasPrefix(got, "True Reachable") {
		t.Errorf("krc-oauth Ready: %s", got)
	}
	if n := env.Emulator.TokensIssued(devenv.OAuthClientID); n < 1 {
		t.Fatalf("%d tokens issued to %s", n, devenv.OAuthClientID)
	}

	// The identity provider rotates the secret and revokes the tokens.
	rotated := "rotated-" + fmt.Sprint(time.Now().UnixNano())
	env.Emulator.AddOAuthClient(emulator.OAuthClient{ID: devenv.OAuthClientID, Secret: rotated})
	env.Emulator.RevokeTokens(devenv.OAuthClientID)
	eventually(t, 60*time.Second, "clusterlink-oauth to report CredentialsError", func() string {
		if got := readyOf(t, "clusterlink", "clusterlink-oauth"); !strings.HasPrefix(got, "False CredentialsError") || !strings.Contains(got, "invalid_client") {
			return got
		}
		return ""
	})
	eventually(t, 60*time.Second, "krc-oauth to report CredentialsRefused", func() string {
		if got := readyOf(t, "krc", "krc-oauth"); !strings.HasPrefix(got, "False CredentialsRefused") {
			return got
		}
		return ""
	})
	// The new secret in the Secret: picked up by the running controller.
	secret := fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: oauth-client
  namespace: operator
type: Opaque
stringData:
  oauth.txt: |
    clientId=%s
    clientSecret=%s
`, devenv.OAuthClientID, rotated)
	if out, err := applyYAML(t, secret); err != nil {
		t.Fatalf("rotate the Secret: %v\n%s", err, out)
	}
	kubectl(t, "-n", "operator", "wait", "clusterlink", "clusterlink-oauth", "--for=condition=Ready", "--timeout=60s")
	eventually(t, 60*time.Second, "krc-oauth to be Reachable again", func() string {
		if got := readyOf(t, "krc", "krc-oauth"); !strings.HasPrefix(got, "True Reachable") {
			return got
		}
		return ""
	})
}

// tokenSpy serves the emulator's token endpoint and remembers every token
// it hands out, so the test can look for them where they must not be.
type tokenSpy struct {
	mu     sync.Mutex
	tokens []string
}

func (s *tokenSpy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	env.Emulator.TokenHandler().ServeHTTP(rec, r)
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &body) == nil && body.AccessToken != "" {
		s.mu.Lock()
		s.tokens = append(s.tokens, body.AccessToken)
		s.mu.Unlock()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// TestOAuthClientAssertion: a KafkaRestClass whose client signs an RS256
// assertion with the key in its Secret converges a ClusterLink; neither the
// tokens, nor the key, nor the client secret appear in the controller's
// log, Events, status or metrics.
func TestOAuthClientAssertion(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	const client = "kafkalink-jwt"
	env.Emulator.AddOAuthClient(emulator.OAuthClient{ID: client, PublicKey: &key.PublicKey})
	spy := &tokenSpy{}
	idp := httptest.NewServer(spy)
	t.Cleanup(idp.Close)

	var indented bytes.Buffer
	for _, line := range strings.Split(strings.TrimSpace(string(keyPEM)), "\n") {
		indented.WriteString("    " + line + "\n")
	}
	manifest := fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: oauth-jwt-key
  namespace: operator
type: Opaque
stringData:
  private-key: |
%s---
apiVersion: kafkalink.io/v1alpha1
kind: KafkaRestClass
metadata:
  name: krc-oauth-jwt
  namespace: operator
spec:
  kafkaRest:
    endpoint: %s
    authentication:
      type: oauth
      oauth:
        configuration:
          tokenEndpointUri: %s/oauth2/token
          clientAssertion:
            clientId: %s
            localClientAssertion:
              includeJtiClaim: true
              includeNbfClaim: true
              tokenLifetime: 120
              privateKeyFile:
                secretRef: oauth-jwt-key
    tls:
      secretRef: ccloud-tls-certs
---
apiVersion: kafkalink.io/v1alpha1
kind: ClusterLink
metadata:
  name: e2e-oauth-jwt
  namespace: operator
spec:
  destinationKafkaCluster:
    kafkaRestClassRef:
      name: krc-oauth-jwt
  sourceKafkaCluster:
    bootstrapEndpoint: %s
    authentication:
      type: plain
      jaasConfig:
        secretRef: plainpassjks
  mirrorTopics:
  - name: payments
`, indented.String(), env.OAuthClusterURL, idp.URL, client, devenv.SourceBootstrap)
	if out, err := applyYAML(t, manifest); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-oauth-jwt", "payments", "ACTIVE")
	eventually(t, 60*time.Second, "krc-oauth-jwt Reachable", func() string {
		if got := readyOf(t, "krc", "krc-oauth-jwt"); !strings.HasPrefix(got, "True Reachable") {
			return got
		}
		return ""
	})
	if n := env.Emulator.TokensIssued(client); n < 1 {
		t.Fatalf("no token issued to %s", client)
	}

	spy.mu.Lock()
	tokens := append([]string(nil), spy.tokens...)
	spy.mu.Unlock()
	if len(tokens) == 0 {
		t.Fatal("the spy saw no token")
	}
	secrets := append(tokens, env.OAuthClientSecret, strings.Split(string(keyPEM), "\n")[1])
	places := map[string]string{}
	if b, err := os.ReadFile(env.Logs["kafkalink"]); err == nil {
		places["the kafkalink log"] = string(b)
	}
	places["Events"] = kubectl(t, "get", "events", "-A", "-o", "json")
	places["ClusterLink and KafkaRestClass objects"] = kubectl(t, "-n", "operator", "get", "clusterlinks,kafkarestclasses", "-o", "json")
	if env.MetricsAddr != "" && env.MetricsAddr != "0" {
		resp, err := http.Get("http://" + env.MetricsAddr + "/metrics")
		if err != nil {
			t.Fatalf("controller metrics: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		places["the controller's metrics"] = string(b)
	}
	for where, text := range places {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("%s contains a token, the client secret or the private key", where)
			}
		}
	}
	kubectl(t, "-n", "operator", "delete", "clusterlink", "e2e-oauth-jwt", "--wait=true", "--timeout=60s")
}
