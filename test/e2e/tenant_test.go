package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// mountedDirs is the controller's filesystem as a cluster admin set it up:
// a root it may read tenants' directory credentials from, and another
// team's credentials mounted outside it.
type mountedDirs struct {
	base, root, other string
	// escape is a directory under the root that is a symlink out of it.
	escape string
}

var mounts mountedDirs

// otherTeamMarker is in every file of the other team's directory: it must
// never reach any REST endpoint.
const otherTeamMarker = "OTHERTEAMSECRET7f3a"

func newMounts() (mountedDirs, error) {
	base, err := os.MkdirTemp("", "kafkalink-e2e-mnt-")
	if err != nil {
		return mountedDirs{}, err
	}
	m := mountedDirs{base: base, root: filepath.Join(base, "kafkalink"), other: filepath.Join(base, "other-team")}
	m.escape = filepath.Join(m.root, "tenant-x")
	for _, d := range []string{m.root, m.other} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return m, err
		}
	}
	for name, content := range map[string]string{
		"basic.txt":       "username=other-team\npassword=" + otherTeamMarker + "\n",
		"plain-jaas.conf": `org.apache.kafka.common.security.plain.PlainLoginModule required username="other" password="` + otherTeamMarker + `";`,
		"bearer.txt":      otherTeamMarker,
	} {
		if err := os.WriteFile(filepath.Join(m.other, name), []byte(content), 0o600); err != nil {
			return m, err
		}
	}
	// A relative symlink inside the root that leads out of it.
	return m, os.Symlink("../other-team", m.escape)
}

// captured is a tenant's own REST endpoint: it records everything the
// controller sends it.
type captured struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []string
}

func newCapture(t *testing.T) *captured {
	c := &captured{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hdr, _ := json.Marshal(r.Header)
		c.mu.Lock()
		c.reqs = append(c.reqs, r.Method+" "+r.URL.String()+"\n"+string(hdr)+"\n"+string(body))
		c.mu.Unlock()
		// Just enough of REST v3 for the controller to get to creating a
		// link (which needs the link's credentials).
		w.Header().Set("Content-Type", "application/json")
		switch p := r.URL.Path; {
		case r.Method == http.MethodGet && p == "/kafka/v3/clusters":
			fmt.Fprint(w, `{"kind":"KafkaClusterList","metadata":{},"data":[{"kind":"KafkaCluster","cluster_id":"tenant-cluster"}]}`)
		case r.Method == http.MethodGet && (strings.HasSuffix(p, "/links") || strings.HasSuffix(p, "/mirrors")):
			fmt.Fprint(w, `{"kind":"KafkaLinkDataList","metadata":{},"data":[]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error_code":40403,"message":"not here"}`)
		}
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *captured) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.reqs)
}

// leaked reports any captured request carrying the marker, in clear or
// base64 (Basic auth), or the other team's user.
func (c *captured) leaked() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	needles := []string{otherTeamMarker, "other-team:", base64.StdEncoding.EncodeToString([]byte("other-team:" + otherTeamMarker))}
	var out []string
	for _, r := range c.reqs {
		for _, n := range needles {
			if strings.Contains(r, n) {
				out = append(out, r)
			}
		}
	}
	return out
}

// A tenant names another team's mounted credentials in directoryPathInContainer.
// The webhook refuses it at apply time (path outside the root); with the
// webhook bypassed, the controller refuses it at read time; a symlink under
// the root that leads out of it passes the webhook's lexical check and is
// refused by the controller. No byte of the other team's files reaches the
// tenant's REST endpoint, or any other.
func TestDirectoryExfiltrationRefused(t *testing.T) {
	capture := newCapture(t)
	ns := "e2e-exfil"
	if out, err := kubectlErr(t, "create", "namespace", ns); err != nil && !strings.Contains(out, "AlreadyExists") {
		t.Fatalf("create namespace: %v\n%s", err, out)
	}
	own := fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: own-basic, namespace: %[1]s}
stringData: {basic.txt: "username=tenant\npassword=tenant-own\n"}
---
apiVersion: kafkalink.io/v1alpha1
kind: KafkaRestClass
metadata: {name: krc-own, namespace: %[1]s}
spec:
  kafkaRest:
    endpoint: %[2]s
    kafkaClusterID: tenant-cluster
    authentication: {type: basic, basic: {secretRef: own-basic}}
`, ns, capture.srv.URL)
	if out, err := applyYAML(t, own); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	stolenClass := func(name, dir string) string {
		return fmt.Sprintf(`apiVersion: kafkalink.io/v1alpha1
kind: KafkaRestClass
metadata: {name: %s, namespace: %s}
spec:
  kafkaRest:
    endpoint: %s
    kafkaClusterID: tenant-cluster
    authentication: {type: basic, basic: {directoryPathInContainer: %s}}
`, name, ns, capture.srv.URL, dir)
	}
	link := func(name, class, jaasDir string) string {
		auth := ""
		if jaasDir != "" {
			auth = fmt.Sprintf("    authentication: {type: plain-passthrough, jaasConfigPassThrough: {directoryPathInContainer: %s}}\n", jaasDir)
		}
		return fmt.Sprintf(`apiVersion: kafkalink.io/v1alpha1
kind: ClusterLink
metadata: {name: %s, namespace: %s}
spec:
  deletionPolicy: Retain
  destinationKafkaCluster:
    kafkaRestClassRef: {name: %s}
  sourceKafkaCluster:
    bootstrapEndpoint: kafka.source:9092
%s  mirrorTopics: [{name: orders}]
`, name, ns, class, auth)
	}
	attacks := map[string]string{
		"REST basic credentials from another team's directory": stolenClass("krc-stolen", mounts.other),
		"link JAAS from another team's directory":              link("exfil-jaas", "krc-own", mounts.other),
		"dot-dot out of the root":                              stolenClass("krc-dotdot", mounts.root+"/../other-team"),
	}
	// 1. At admission.
	for name, manifest := range attacks {
		out, err := applyYAML(t, manifest)
		if err == nil {
			t.Errorf("%s: admitted:\n%s", name, out)
			continue
		}
		if !strings.Contains(out, "directoryPathInContainer") || !strings.Contains(out, "directory credentials are not allowed") || !strings.Contains(out, "--credential-directory-root") {
			t.Errorf("%s: refusal does not say why: %s", name, out)
		}
	}

	// 2. A symlink under the root passes the webhook's lexical check; the
	// controller refuses it when it reads.
	if out, err := applyYAML(t, stolenClass("krc-symlink", mounts.escape)+"---\n"+link("exfil-symlink", "krc-symlink", "")); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	waitReason := func(name, reason, msg string) {
		t.Helper()
		eventually(t, 60*time.Second, name+" to report "+reason, func() string {
			out, _ := kubectlErr(t, "-n", ns, "get", "clusterlink", name, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].reason}: {.status.conditions[?(@.type=="Ready")].message}`)
			if !strings.HasPrefix(out, reason+":") || !strings.Contains(out, msg) {
				return out
			}
			return ""
		})
	}
	waitReason("exfil-symlink", "CredentialsError", "leads outside")

	// 3. The webhook bypassed: the controller refuses on its own.
	saved := kubectl(t, "get", "validatingwebhookconfiguration", "kafkalink-validating-webhook", "-o", "json")
	var cfg map[string]any
	if err := json.Unmarshal([]byte(saved), &cfg); err != nil {
		t.Fatal(err)
	}
	meta := cfg["metadata"].(map[string]any)
	for _, k := range []string{"resourceVersion", "uid", "creationTimestamp", "managedFields", "generation"} {
		delete(meta, k)
	}
	restore, _ := json.Marshal(cfg)
	kubectl(t, "delete", "validatingwebhookconfiguration", "kafkalink-validating-webhook")
	restored := false
	restoreWebhook := func() {
		if restored {
			return
		}
		restored = true
		f := filepath.Join(t.TempDir(), "webhook.json")
		if err := os.WriteFile(f, restore, 0o600); err != nil {
			t.Fatal(err)
		}
		kubectl(t, "create", "-f", f)
	}
	t.Cleanup(restoreWebhook)
	// The apiserver's webhook configuration cache takes a moment to drop
	// the webhook: retry until the unchecked objects are accepted.
	bypass := attacks["REST basic credentials from another team's directory"] + "---\n" + link("exfil-basic", "krc-stolen", "") +
		"---\n" + attacks["link JAAS from another team's directory"] + "---\n" + attacks["dot-dot out of the root"] + "---\n" + link("exfil-dotdot", "krc-dotdot", "")
	eventually(t, 30*time.Second, "the objects to be created without the webhook", func() string {
		if out, err := applyYAML(t, bypass); err != nil {
			return out
		}
		return ""
	})
	restoreWebhook()
	waitReason("exfil-basic", "CredentialsError", "outside "+mounts.root)
	waitReason("exfil-dotdot", "CredentialsError", `contains ".."`)
	waitReason("exfil-jaas", "CredentialsError", "outside "+mounts.root)

	// Let the controller retry a few times, then look at everything the
	// tenant's endpoint received.
	time.Sleep(3 * time.Second)
	if leaks := capture.leaked(); len(leaks) > 0 {
		t.Errorf("the other team's credentials reached the tenant's endpoint:\n%s", strings.Join(leaks, "\n---\n"))
	}
	// The tenant's own endpoint was used (its class check and links): the
	// capture would have seen a leak.
	if n := capture.count(); n == 0 {
		t.Error("the tenant's endpoint received no request at all: the test proves nothing")
	}
	// Nor did anything of the other team's reach the emulated clusters:
	// no request with its user, no link config with its password.
	for _, r := range env.Emulator.Requests() {
		if strings.Contains(r.Path, "exfil") {
			t.Errorf("a request for a tenant's link reached the emulator: %s %s", r.Method, r.Path)
		}
		if r.Username == "other-team" {
			t.Errorf("the other team's credentials reached cluster %s: %s %s", r.Cluster, r.Method, r.Path)
		}
	}
	for _, id := range env.Emulator.ClusterIDs() {
		c := env.Emulator.Cluster(id)
		for _, l := range c.Links() {
			for k, v := range c.LinkConfigs(l) {
				if strings.Contains(v, otherTeamMarker) {
					t.Errorf("link %s on %s carries the other team's password in %s", l, id, k)
				}
			}
		}
	}
	for _, name := range []string{"exfil-basic", "exfil-jaas", "exfil-dotdot", "exfil-symlink"} {
		kubectl(t, "-n", ns, "delete", "clusterlink", name, "--wait=true", "--timeout=60s")
	}
}
