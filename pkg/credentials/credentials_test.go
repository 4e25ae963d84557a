package credentials

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

type fakeSecrets map[string]map[string][]byte // namespace/name -> data

func (f fakeSecrets) SecretData(_ context.Context, ns, name string) (map[string][]byte, error) {
	d, ok := f[ns+"/"+name]
	if !ok {
		return nil, ErrNotFound
	}
	return d, nil
}

const password = "s3cr3t-P@ss"

func resolver() *Resolver {
	return &Resolver{Namespace: "operator", Secrets: fakeSecrets{
		"operator/plain":  {KeyPlain: []byte("username=link\npassword=" + password + "\n")},
		"operator/basic":  {KeyBasic: []byte("username = api-key\n password=" + password)},
		"operator/bearer": {KeyBearer: []byte("tok-123\n")},
		"operator/tls":    {KeyCACerts: []byte("CA-PEM\n"), KeyFullchain: []byte("CHAIN"), KeyPrivateKey: []byte("KEY")},
		"operator/jaas":   {KeyPlainJAAS: []byte("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";\n")},
		"operator/broken": {KeyPlain: []byte("user=x\n")},
		"other/plain":     {KeyPlain: []byte("username=other\npassword=other")},
		"operator/oauth":  {"oauthbearer.txt": []byte("clientId=link\nclientSecret=" + password + "\n")},
	}}
}

func TestLinkConfigs(t *testing.T) {
	cases := map[string]struct {
		cluster kafkalinkv1alpha1.KafkaClusterSpec
		want    map[string]string
		wantErr string
	}{
		"plaintext": {
			cluster: kafkalinkv1alpha1.KafkaClusterSpec{BootstrapEndpoint: "src:9092"},
			want:    map[string]string{"bootstrap.servers": "src:9092", "security.protocol": "PLAINTEXT"},
		},
		"type none is no SASL": {
			cluster: kafkalinkv1alpha1.KafkaClusterSpec{BootstrapEndpoint: "src:9092", Authentication: &kafkalinkv1alpha1.KafkaAuthentication{Type: kafkalinkv1alpha1.KafkaAuthenticationNone}},
			want:    map[string]string{"bootstrap.servers": "src:9092", "security.protocol": "PLAINTEXT"},
		},
		"SASL/PLAIN plus a client certificate (sslClientAuthentication)": {
			cluster: kafkalinkv1alpha1.KafkaClusterSpec{BootstrapEndpoint: "src:9071", Authentication: &kafkalinkv1alpha1.KafkaAuthentication{
				Type: kafkalinkv1alpha1.KafkaAuthenticationPlain, JaasConfig: &kafkalinkv1alpha1.JaasConfig{SecretRef: "plain"}, SSLClientAuthentication: true},
				TLS: &kafkalinkv1alpha1.ClusterTLS{SecretRef: "tls"}},
			want: map[string]string{"bootstrap.servers": "src:9071", "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
				"sasl.jaas.config":    `org.apache.kafka.common.security.plain.PlainLoginModule required username="link" password="` + password + `";`,
				"ssl.truststore.type": "PEM", "ssl.truststore.certificates": "CA-PEM",
				"ssl.keystore.type": "PEM", "ssl.keystore.certificate.chain": "CHAIN", "ssl.keystore.key": "KEY"},
		},
		"sslClientAuthentication without TLS material": {
			cluster: kafkalinkv1alpha1.KafkaClusterSpec{BootstrapEndpoint: "src:9071", Authentication: &kafkalinkv1alpha1.KafkaAuthentication{
				Type: kafkalinkv1alpha1.KafkaAuthenticationNone, SSLClientAuthentication: true}},
			wantErr: "a client certificate (authentication type mtls or sslClientAuthentication) needs tls.secretRef",
		},
		"OAuth settings become the client's login configs": {
			cluster: kafkalinkv1alpha1.KafkaClusterSpec{BootstrapEndpoint: "src:9094", Authentication: &kafkalinkv1alpha1.KafkaAuthentication{
				Type: kafkalinkv1alpha1.KafkaAuthenticationOAuth, OAuthBearer: &kafkalinkv1alpha1.SecretOrDirectory{SecretRef: "oauth"},
				OAuthSettings: &kafkalinkv1alpha1.OAuthSettings{TokenEndpointURI: "https://idp/token", Scope: "kafka", SubClaimName: "client_id",
					LoginConnectTimeoutMs: ptrTo[int32](15000), LoginReadTimeoutMs: ptrTo[int32](10000), LoginRetryBackoffMs: ptrTo[int32](100), LoginRetryBackoffMaxMs: ptrTo[int32](10000)}}},
			want: map[string]string{"bootstrap.servers": "src:9094", "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
				"sasl.oauthbearer.token.endpoint.url": "https://idp/token",
				"sasl.login.callback.handler.class":   "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
				"sasl.oauthbearer.sub.claim.name":     "client_id",
				"sasl.login.connect.timeout.ms":       "15000", "sasl.login.read.timeout.ms": "10000", "sasl.login.retry.backoff.ms": "100", "sasl.login.retry.backoff.max.ms": "10000",
				"sasl.jaas.config": `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="link" clientSecret="` + password + `" scope="kafka";`},
		},
		"SASL/PLAIN": {
			cluster: kafkalinkv1alpha1.KafkaClusterSpec{BootstrapEndpoint: "src:9071", Authentication: &kafkalinkv1alpha1.KafkaAuthentication{
				Type: kafkalinkv1alpha1.KafkaAuthenticationPlain, JaasConfig: &kafkalinkv1alpha1.JaasConfig{SecretRef: "plain"}}},
			want: map[string]string{"bootstrap.servers": "src:9071", "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
				"sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="link" password="` + password + `";`},
		},
		"SCRAM over TLS with a CA": {
			cluster: kafkalinkv1alpha1.KafkaClusterSpec{BootstrapEndpoint: "src:9093", Authentication: &kafkalinkv1alpha1.KafkaAuthentication{
				Type: kafkalinkv1alpha1.KafkaAuthenticationSCRAM, JaasConfig: &kafkalinkv1alpha1.JaasConfig{SecretRef: "plain"}},
				TLS: &kafkalinkv1alpha1.ClusterTLS{Enabled: true, SecretRef: "tls"}},
			want: map[string]string{"bootstrap.servers": "src:9093", "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
				"sasl.jaas.config":            `org.apache.kafka.common.security.scram.ScramLoginModule required username="link" password="` + password + `";`,
				"ssl.truststore.type":         "PEM",
				"ssl.truststore.certificates": "CA-PEM"},
		},
		"mTLS": {
			cluster: kafkalinkv1alpha1.KafkaClusterSpec{BootstrapEndpoint: "src:9094", Authentication: &kafkalinkv1alpha1.KafkaAuthentication{Type: kafkalinkv1alpha1.KafkaAuthenticationMTLS},
				TLS: &kafkalinkv1alpha1.ClusterTLS{SecretRef: "tls"}},
			want: map[string]string{"bootstrap.servers": "src:9094", "security.protocol": "SSL", "ssl.truststore.type": "PEM", "ssl.truststore.certificates": "CA-PEM",
				"ssl.keystore.type": "PEM", "ssl.keystore.certificate.chain": "CHAIN", "ssl.keystore.key": "KEY"},
		},
		"JAAS pass-through": {
			cluster: kafkalinkv1alpha1.KafkaClusterSpec{BootstrapEndpoint: "src:9092", Authentication: &kafkalinkv1alpha1.KafkaAuthentication{
				Type: kafkalinkv1alpha1.KafkaAuthenticationPlainPassthrough, JaasConfigPassThrough: &kafkalinkv1alpha1.SecretOrDirectory{SecretRef: "jaas"}}},
			want: map[string]string{"bootstrap.servers": "src:9092", "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
				"sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`},
		},
		"missing Secret": {
			cluster: kafkalinkv1alpha1.KafkaClusterSpec{Authentication: &kafkalinkv1alpha1.KafkaAuthentication{
				Type: kafkalinkv1alpha1.KafkaAuthenticationPlain, JaasConfig: &kafkalinkv1alpha1.JaasConfig{SecretRef: "nope"}}},
			wantErr: "read Secret operator/nope",
		},
		"Secret without password line": {
			cluster: kafkalinkv1alpha1.KafkaClusterSpec{Authentication: &kafkalinkv1alpha1.KafkaAuthentication{
				Type: kafkalinkv1alpha1.KafkaAuthenticationPlain, JaasConfig: &kafkalinkv1alpha1.JaasConfig{SecretRef: "broken"}}},
			wantErr: "must hold a username= line and a password= line",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := resolver().LinkConfigs(context.Background(), &tc.cluster)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), password) {
					t.Fatal("error message contains the password")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("got keys %v, want %v", SortedKeys(got), SortedKeys(tc.want))
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			for k, v := range Redact(got) {
				if strings.Contains(v, password) {
					t.Errorf("Redact kept the password in %s", k)
				}
			}
		})
	}
}

func TestRest(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "team-a")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, KeyBasic), []byte("username=dir-user\npassword=dir-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		spec    kafkalinkv1alpha1.KafkaRestSpec
		check   func(t *testing.T, c *RestCredentials)
		wantErr string
	}{
		"basic from a Secret with a CA": {
			spec: kafkalinkv1alpha1.KafkaRestSpec{Authentication: &kafkalinkv1alpha1.RestAuthentication{Type: "basic", Basic: &kafkalinkv1alpha1.BasicAuthentication{SecretRef: "basic"}},
				TLS: &kafkalinkv1alpha1.RestTLS{SecretRef: "tls"}},
			check: func(t *testing.T, c *RestCredentials) {
				if c.Username != "api-key" || c.Password != password || string(c.CAPEM) != "CA-PEM\n" {
					t.Errorf("got user %q, CA %q", c.Username, c.CAPEM)
				}
			},
		},
		"basic from a mounted directory": {
			spec: kafkalinkv1alpha1.KafkaRestSpec{Authentication: &kafkalinkv1alpha1.RestAuthentication{Type: "basic", Basic: &kafkalinkv1alpha1.BasicAuthentication{DirectoryPathInContainer: dir}}},
			check: func(t *testing.T, c *RestCredentials) {
				if c.Username != "dir-user" || c.Password != "dir-pass" {
					t.Errorf("got %q/%q", c.Username, c.Password)
				}
			},
		},
		"bearer": {
			spec: kafkalinkv1alpha1.KafkaRestSpec{Authentication: &kafkalinkv1alpha1.RestAuthentication{Type: "bearer", Bearer: &kafkalinkv1alpha1.SecretOrDirectory{SecretRef: "bearer"}}},
			check: func(t *testing.T, c *RestCredentials) {
				if c.BearerToken != "tok-123" {
					t.Errorf("token %q", c.BearerToken)
				}
			},
		},
		"mtls": {
			spec: kafkalinkv1alpha1.KafkaRestSpec{Authentication: &kafkalinkv1alpha1.RestAuthentication{Type: "mtls"}, TLS: &kafkalinkv1alpha1.RestTLS{SecretRef: "tls"}},
			check: func(t *testing.T, c *RestCredentials) {
				if string(c.ClientCertPEM) != "CHAIN" || string(c.ClientKeyPEM) != "KEY" {
					t.Errorf("client cert %q key %q", c.ClientCertPEM, c.ClientKeyPEM)
				}
			},
		},
		"missing key in the directory": {
			spec:    kafkalinkv1alpha1.KafkaRestSpec{Authentication: &kafkalinkv1alpha1.RestAuthentication{Type: "bearer", Bearer: &kafkalinkv1alpha1.SecretOrDirectory{DirectoryPathInContainer: dir}}},
			wantErr: "bearer.txt",
		},
		"oauth needs a token endpoint": {
			spec:    kafkalinkv1alpha1.KafkaRestSpec{Authentication: &kafkalinkv1alpha1.RestAuthentication{Type: "oauth"}},
			wantErr: "needs oauth.configuration.tokenEndpointUri",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := resolver()
			r.Directories = DirectoryPolicy{Root: root}
			got, err := r.Rest(context.Background(), &tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}

func TestFingerprintChangesWithRotation(t *testing.T) {
	a := &RestCredentials{Username: "u", Password: "one"}
	b := &RestCredentials{Username: "u", Password: "two"}
	c := &RestCredentials{Username: "uo", Password: "ne"}
	if a.Fingerprint() == b.Fingerprint() || a.Fingerprint() == c.Fingerprint() {
		t.Fatal("different credentials share a fingerprint")
	}
	if a.Fingerprint() != (&RestCredentials{Username: "u", Password: "one"}).Fingerprint() {
		t.Fatal("fingerprint is not deterministic")
	}
	if strings.Contains(a.Fingerprint(), "one") {
		t.Fatal("fingerprint reveals the password")
	}
}

func TestMissingSecretWrapsErrNotFound(t *testing.T) {
	_, err := resolver().Rest(context.Background(), &kafkalinkv1alpha1.KafkaRestSpec{Authentication: &kafkalinkv1alpha1.RestAuthentication{Type: "basic", Basic: &kafkalinkv1alpha1.BasicAuthentication{SecretRef: "absent"}}})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want one wrapping ErrNotFound", err)
	}
}

// Secret-bearing link configs are recognised under any prefix, so Redact
// never lets one through to an Event or a log line.
func TestIsSensitiveUnderAnyPrefix(t *testing.T) {
	for key, want := range map[string]bool{
		"sasl.jaas.config":              true,
		"local.sasl.jaas.config":        true,
		"LOCAL.SASL.JAAS.CONFIG":        true,
		"ssl.keystore.key":              true,
		"local.ssl.keystore.key":        true,
		"ssl.key.password":              true,
		"local.ssl.truststore.password": true,
		"basic.auth.user.info.secret":   true,
		"bootstrap.servers":             false,
		"local.security.protocol":       false,
		"ssl.truststore.certificates":   false,
		"consumer.offset.sync.enable":   false,
	} {
		if got := IsSensitive(key); got != want {
			t.Errorf("IsSensitive(%q) = %v, want %v", key, got, want)
		}
	}
	red := Redact(map[string]string{"local.sasl.jaas.config": "org.apache... password=\"s3cret\";", "bootstrap.servers": "b:9092"})
	if strings.Contains(red["local.sasl.jaas.config"], "s3cret") || red["bootstrap.servers"] != "b:9092" {
		t.Errorf("Redact = %v", red)
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestRestClientCertificate: sslClientAuthentication adds the client
// certificate to basic credentials; type none sends no credentials.
func TestRestClientCertificate(t *testing.T) {
	r := resolver()
	c, err := r.Rest(context.Background(), &kafkalinkv1alpha1.KafkaRestSpec{Endpoint: "https://rest", TLS: &kafkalinkv1alpha1.RestTLS{SecretRef: "tls"},
		Authentication: &kafkalinkv1alpha1.RestAuthentication{Type: kafkalinkv1alpha1.RestAuthenticationBasic, Basic: &kafkalinkv1alpha1.BasicAuthentication{SecretRef: "basic"}, SSLClientAuthentication: true}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Username != "api-key" || string(c.ClientCertPEM) != "CHAIN" || string(c.ClientKeyPEM) != "KEY" || string(c.CAPEM) != "CA-PEM\n" {
		t.Errorf("credentials %+v", c)
	}
	c, err = r.Rest(context.Background(), &kafkalinkv1alpha1.KafkaRestSpec{Endpoint: "https://rest", Authentication: &kafkalinkv1alpha1.RestAuthentication{Type: kafkalinkv1alpha1.RestAuthenticationNone}})
	if err != nil || c.Username != "" || c.BearerToken != "" || c.ClientCertPEM != nil {
		t.Errorf("type none: %+v, %v", c, err)
	}
	_, err = r.Rest(context.Background(), &kafkalinkv1alpha1.KafkaRestSpec{Endpoint: "https://rest", Authentication: &kafkalinkv1alpha1.RestAuthentication{Type: kafkalinkv1alpha1.RestAuthenticationNone, SSLClientAuthentication: true}})
	if err == nil || !strings.Contains(err.Error(), "needs tls.secretRef") {
		t.Errorf("sslClientAuthentication without tls: %v", err)
	}
}

// TestRestOAuth: client credentials from oauth.txt (CFK's format); a client
// assertion from a ready JWT or a signing key, with its claims defaulted
// from the client id and token endpoint; what is missing is named.
func TestRestOAuth(t *testing.T) {
	r := resolver()
	secrets := r.Secrets.(fakeSecrets)
	secrets["operator/oauth-client"] = map[string][]byte{KeyOAuth: []byte("clientId=kafkalink\nclientSecret=" + password + "\n")}
	secrets["operator/jwt"] = map[string][]byte{KeyJWTToken: []byte("aaa.bbb.ccc\n")}
	secrets["operator/key"] = map[string][]byte{KeyPrivateKeyFile: []byte("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")}
	conf := func(ca *kafkalinkv1alpha1.ClientAssertion) *kafkalinkv1alpha1.OAuthClientConfiguration {
		return &kafkalinkv1alpha1.OAuthClientConfiguration{TokenEndpointURI: "https://idp/token", Scope: "kafka", Audience: "rest", LoginConnectTimeoutMs: ptrTo[int32](2000), ClientAssertion: ca}
	}
	spec := func(secretRef string, c *kafkalinkv1alpha1.OAuthClientConfiguration) *kafkalinkv1alpha1.KafkaRestSpec {
		return &kafkalinkv1alpha1.KafkaRestSpec{Endpoint: "https://rest", Authentication: &kafkalinkv1alpha1.RestAuthentication{
			Type: kafkalinkv1alpha1.RestAuthenticationOAuth, OAuth: &kafkalinkv1alpha1.OAuthRestAuthentication{SecretRef: secretRef, Configuration: c}}}
	}
	tests := []struct {
		name    string
		spec    *kafkalinkv1alpha1.KafkaRestSpec
		want    OAuthClient
		wantErr string
	}{
		{name: "client credentials", spec: spec("oauth-client", conf(nil)),
			want: OAuthClient{TokenURL: "https://idp/token", ClientID: "kafkalink", ClientSecret: password, Scope: "kafka", Audience: "rest", ConnectTimeout: 2 * time.Second}},
		{name: "no secret", spec: spec("", conf(nil)), wantErr: "oauth.txt must hold a clientId= line"},
		{name: "a ready JWT", spec: spec("", conf(&kafkalinkv1alpha1.ClientAssertion{ClientID: "app", JwtTokenFile: &kafkalinkv1alpha1.SecretOrDirectory{SecretRef: "jwt"}})),
			want: OAuthClient{TokenURL: "https://idp/token", ClientID: "app", Scope: "kafka", Audience: "rest", ConnectTimeout: 2 * time.Second, AssertionJWT: "aaa.bbb.ccc"}},
		{name: "a signing key, claims defaulted", spec: spec("oauth-client", conf(&kafkalinkv1alpha1.ClientAssertion{LocalClientAssertion: &kafkalinkv1alpha1.LocalClientAssertion{
			IncludeJtiClaim: true, TokenLifetime: ptrTo[int32](60), PrivateKeyFile: &kafkalinkv1alpha1.PrivateKeyFile{SecretRef: "key"}}})),
			want: OAuthClient{TokenURL: "https://idp/token", ClientID: "kafkalink", Scope: "kafka", Audience: "rest", ConnectTimeout: 2 * time.Second,
				AssertionKeyPEM: secrets["operator/key"][KeyPrivateKeyFile], AssertionIssuer: "kafkalink", AssertionSubject: "kafkalink", AssertionAudience: "https://idp/token",
				AssertionLifetime: time.Minute, IncludeJTI: true}},
		{name: "an encrypted key", spec: spec("oauth-client", conf(&kafkalinkv1alpha1.ClientAssertion{LocalClientAssertion: &kafkalinkv1alpha1.LocalClientAssertion{
			PrivateKeyFile: &kafkalinkv1alpha1.PrivateKeyFile{SecretRef: "key", EncryptedPrivateKey: true}}})), wantErr: "encryptedPrivateKey is not supported"},
		{name: "an assertion without a client id", spec: spec("", conf(&kafkalinkv1alpha1.ClientAssertion{JwtTokenFile: &kafkalinkv1alpha1.SecretOrDirectory{SecretRef: "jwt"}})), wantErr: "needs oauth.configuration.clientAssertion.clientId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := r.Rest(context.Background(), tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), password) {
					t.Errorf("error %q holds the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*c.OAuth, tt.want) {
				t.Errorf("OAuth client\n%+v\nwant\n%+v", *c.OAuth, tt.want)
			}
		})
	}
	// Rotating the secret changes the fingerprint (a new REST client and token cache).
	a, _ := r.Rest(context.Background(), spec("oauth-client", conf(nil)))
	secrets["operator/oauth-client"] = map[string][]byte{KeyOAuth: []byte("clientId=kafkalink\nclientSecret=rotated\n")}
	b, _ := r.Rest(context.Background(), spec("oauth-client", conf(nil)))
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("a rotated client secret keeps the fingerprint")
	}
}
