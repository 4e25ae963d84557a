// Package credentials turns the Secrets (or mounted directories) that
// ClusterLinks and KafkaRestClasses reference into REST credentials, TLS
// material and Kafka client configs for cluster links. Formats follow
// Confluent for Kubernetes: basic.txt and plain.txt hold username= and
// password= lines, bearer.txt a token, plain-jaas.conf a whole JAAS config,
// and TLS material is PEM in fullchain.pem, privkey.pem and cacerts.pem.
//
// Secrets are only ever read from the referencing object's own namespace.
// Errors name the Secret and the key, never a value.
package credentials

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// Keys of the CFK Secret formats.
const (
	KeyBasic      = "basic.txt"
	KeyPlain      = "plain.txt"
	KeyBearer     = "bearer.txt"
	KeyPlainJAAS  = "plain-jaas.conf"
	KeyFullchain  = "fullchain.pem"
	KeyPrivateKey = "privkey.pem"
	KeyCACerts    = "cacerts.pem"
	// KeyOAuth holds clientId= and clientSecret= lines (CFK's oauth.txt).
	KeyOAuth = "oauth.txt"
	// KeyPrivateKeyFile is the PEM key a client assertion is signed with.
	KeyPrivateKeyFile = "private-key"
	// KeyJWTToken is a ready-made client assertion (jwtTokenFile).
	KeyJWTToken = "jwt-token"
)

// ErrNotFound is wrapped by errors for a missing Secret, key or file, so the
// controller can report "waiting for Secret" rather than a hard failure.
var ErrNotFound = errors.New("not found")

// SecretReader reads one Secret's data from a namespace.
type SecretReader interface {
	// SecretData returns the Secret's data; a missing Secret wraps ErrNotFound.
	SecretData(ctx context.Context, namespace, name string) (map[string][]byte, error)
}

// Resolver reads credential material for objects in one namespace.
type Resolver struct {
	Secrets   SecretReader
	Namespace string
	// Directories decides which directoryPathInContainer values may be
	// read for objects in Namespace; the zero value refuses them all.
	Directories DirectoryPolicy
}

// key reads one key from a Secret or from a file in a directory.
func (r *Resolver) key(ctx context.Context, secret, dir, key string, required bool) ([]byte, error) {
	switch {
	case secret != "":
		data, err := r.Secrets.SecretData(ctx, r.Namespace, secret)
		if err != nil {
			return nil, fmt.Errorf("read Secret %s/%s: %w", r.Namespace, secret, err)
		}
		v, ok := data[key]
		if !ok {
			if !required {
				return nil, nil
			}
			return nil, fmt.Errorf("Secret %s/%s has no key %q: %w", r.Namespace, secret, key, ErrNotFound)
		}
		return v, nil
	case dir != "":
		v, err := r.Directories.Read(r.Namespace, dir, key)
		if errors.Is(err, ErrNotFound) && !required {
			return nil, nil
		}
		return v, err
	default:
		return nil, errors.New("neither secretRef nor directoryPathInContainer is set")
	}
}

// ParseUserPassword parses the username= and password= lines of basic.txt
// or plain.txt. source names the Secret key for error messages.
func ParseUserPassword(data []byte, source string) (user, password string, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "username":
			user = strings.TrimSpace(v)
		case "password":
			password = strings.TrimSpace(v)
		}
	}
	if user == "" || password == "" {
		return "", "", fmt.Errorf("%s must hold a username= line and a password= line", source)
	}
	return user, password, nil
}

// RestCredentials are what the REST client needs to reach a KafkaRestClass.
type RestCredentials struct {
	Username, Password string
	BearerToken        string
	// ClientCertPEM and ClientKeyPEM authenticate with mTLS.
	ClientCertPEM, ClientKeyPEM []byte
	// CAPEM verifies the endpoint; system roots when empty.
	CAPEM []byte
	// OAuth, when set, authenticates with bearer tokens from a token
	// endpoint.
	OAuth *OAuthClient
}

// OAuthClient is how to get OAuth tokens for a REST API: client
// credentials with a secret, or with a client assertion (a ready JWT, or
// one signed with AssertionKeyPEM).
type OAuthClient struct {
	TokenURL, ClientID, ClientSecret string
	Scope, Audience                  string

	AssertionJWT                                         string
	AssertionKeyPEM                                      []byte
	AssertionIssuer, AssertionSubject, AssertionAudience string
	AssertionLifetime                                    time.Duration
	IncludeJTI, IncludeNBF                               bool

	ConnectTimeout, ReadTimeout   time.Duration
	RetryBackoff, RetryBackoffMax time.Duration
}

// Fingerprint is a digest of the credentials: a REST client cached under it
// is replaced when a Secret rotates. It is not reversible to the values.
func (c *RestCredentials) Fingerprint() string {
	h := sha256.New()
	for _, b := range [][]byte{[]byte(c.Username), []byte(c.Password), []byte(c.BearerToken), c.ClientCertPEM, c.ClientKeyPEM, c.CAPEM} {
		fmt.Fprintf(h, "%d:", len(b))
		h.Write(b)
	}
	if o := c.OAuth; o != nil {
		// Every field: a rotated secret or key builds a new client (and
		// token cache).
		fmt.Fprintf(h, "oauth:%q", fmt.Sprintf("%+v", *o))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Rest resolves a KafkaRestClass's credentials and TLS material.
func (r *Resolver) Rest(ctx context.Context, k *kafkalinkv1alpha1.KafkaRestSpec) (*RestCredentials, error) {
	c := &RestCredentials{}
	if t := k.TLS; t != nil && (t.SecretRef != "" || t.DirectoryPathInContainer != "") {
		ca, err := r.key(ctx, t.SecretRef, t.DirectoryPathInContainer, KeyCACerts, false)
		if err != nil {
			return nil, fmt.Errorf("REST TLS: %w", err)
		}
		c.CAPEM = ca
	}
	a := k.Authentication
	if a == nil {
		return c, nil
	}
	switch a.Type {
	case kafkalinkv1alpha1.RestAuthenticationBasic:
		if a.Basic == nil {
			return nil, errors.New("authentication type basic needs basic.secretRef or basic.directoryPathInContainer")
		}
		data, err := r.key(ctx, a.Basic.SecretRef, a.Basic.DirectoryPathInContainer, KeyBasic, true)
		if err != nil {
			return nil, fmt.Errorf("REST basic credentials: %w", err)
		}
		if c.Username, c.Password, err = ParseUserPassword(data, KeyBasic); err != nil {
			return nil, err
		}
	case kafkalinkv1alpha1.RestAuthenticationBearer:
		if a.Bearer == nil {
			return nil, errors.New("authentication type bearer needs bearer.secretRef or bearer.directoryPathInContainer")
		}
		data, err := r.key(ctx, a.Bearer.SecretRef, a.Bearer.DirectoryPathInContainer, KeyBearer, true)
		if err != nil {
			return nil, fmt.Errorf("REST bearer token: %w", err)
		}
		c.BearerToken = strings.TrimSpace(string(data))
		if c.BearerToken == "" {
			return nil, fmt.Errorf("%s is empty", KeyBearer)
		}
	case kafkalinkv1alpha1.RestAuthenticationOAuth:
		o, err := r.oauthClient(ctx, a.OAuth)
		if err != nil {
			return nil, err
		}
		c.OAuth = o
	case kafkalinkv1alpha1.RestAuthenticationMTLS, kafkalinkv1alpha1.RestAuthenticationNone:
		// mtls is the client certificate alone; none sends nothing (but
		// a certificate with sslClientAuthentication, below).
	default:
		return nil, fmt.Errorf("REST authentication type %q is not supported by kafkalink (use basic, bearer, oauth, mtls or none)", a.Type)
	}
	if a.Type == kafkalinkv1alpha1.RestAuthenticationMTLS || a.SSLClientAuthentication {
		t := k.TLS
		if t == nil || (t.SecretRef == "" && t.DirectoryPathInContainer == "") {
			return nil, errors.New("a REST client certificate (authentication type mtls or sslClientAuthentication) needs tls.secretRef or tls.directoryPathInContainer")
		}
		var err error
		if c.ClientCertPEM, err = r.key(ctx, t.SecretRef, t.DirectoryPathInContainer, KeyFullchain, true); err != nil {
			return nil, fmt.Errorf("REST client certificate: %w", err)
		}
		if c.ClientKeyPEM, err = r.key(ctx, t.SecretRef, t.DirectoryPathInContainer, KeyPrivateKey, true); err != nil {
			return nil, fmt.Errorf("REST client key: %w", err)
		}
	}
	return c, nil
}

// jaasQuote quotes a value for a JAAS config option.
func jaasQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Secret link config keys: their values are credentials and must never be
// logged or copied into status.
// IsSensitive reports whether a link config key holds a secret value, under
// any prefix (source-initiated links take local.* copies of the client
// configs): these never appear in Events or logs, and the REST API never
// returns their values, so drift is judged by their hash instead.
func IsSensitive(key string) bool {
	k := strings.ToLower(key)
	return k == "sasl.jaas.config" || strings.HasSuffix(k, ".sasl.jaas.config") ||
		strings.HasSuffix(k, "ssl.keystore.key") || strings.HasSuffix(k, ".key") ||
		strings.Contains(k, "password") || strings.Contains(k, "secret")
}

// LinkConfigs generates the Kafka client configs a cluster link needs to
// connect to one side of the link: bootstrap.servers, security.protocol,
// SASL and PEM TLS settings. The result holds secret values.
func (r *Resolver) LinkConfigs(ctx context.Context, c *kafkalinkv1alpha1.KafkaClusterSpec) (map[string]string, error) {
	cfg := map[string]string{}
	if c.BootstrapEndpoint != "" {
		cfg["bootstrap.servers"] = c.BootstrapEndpoint
	}
	tlsOn := c.TLS != nil && (c.TLS.Enabled || c.TLS.SecretRef != "" || c.TLS.DirectoryPathInContainer != "")
	sasl := false
	if a := c.Authentication; a != nil {
		switch a.Type {
		case kafkalinkv1alpha1.KafkaAuthenticationPlain, kafkalinkv1alpha1.KafkaAuthenticationSCRAM, kafkalinkv1alpha1.KafkaAuthenticationPlainPassthrough:
			sasl = true
			mechanism, module := "PLAIN", "org.apache.kafka.common.security.plain.PlainLoginModule"
			if a.Type == kafkalinkv1alpha1.KafkaAuthenticationSCRAM {
				mechanism, module = "SCRAM-SHA-512", "org.apache.kafka.common.security.scram.ScramLoginModule"
			}
			cfg["sasl.mechanism"] = mechanism
			if p := a.JaasConfigPassThrough; p != nil && (a.Type == kafkalinkv1alpha1.KafkaAuthenticationPlainPassthrough || a.JaasConfig == nil) {
				data, err := r.key(ctx, p.SecretRef, p.DirectoryPathInContainer, KeyPlainJAAS, true)
				if err != nil {
					return nil, fmt.Errorf("JAAS pass-through config: %w", err)
				}
				cfg["sasl.jaas.config"] = strings.TrimSpace(string(data))
			} else if a.JaasConfig != nil {
				data, err := r.key(ctx, a.JaasConfig.SecretRef, "", KeyPlain, true)
				if err != nil {
					return nil, fmt.Errorf("SASL credentials: %w", err)
				}
				user, pass, err := ParseUserPassword(data, KeyPlain)
				if err != nil {
					return nil, fmt.Errorf("Secret %s/%s: %w", r.Namespace, a.JaasConfig.SecretRef, err)
				}
				cfg["sasl.jaas.config"] = fmt.Sprintf("%s required username=%s password=%s;", module, jaasQuote(user), jaasQuote(pass))
			} else {
				return nil, fmt.Errorf("authentication type %s needs jaasConfig or jaasConfigPassThrough", a.Type)
			}
		case kafkalinkv1alpha1.KafkaAuthenticationOAuth, kafkalinkv1alpha1.KafkaAuthenticationOAuthBearer:
			sasl = true
			cfg["sasl.mechanism"] = "OAUTHBEARER"
			scope := ""
			if s := a.OAuthSettings; s != nil {
				if s.TokenEndpointURI != "" {
					cfg["sasl.oauthbearer.token.endpoint.url"] = s.TokenEndpointURI
					cfg["sasl.login.callback.handler.class"] = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"
				}
				if s.SubClaimName != "" {
					cfg["sasl.oauthbearer.sub.claim.name"] = s.SubClaimName
				}
				for k, v := range map[string]*int32{
					"sasl.login.connect.timeout.ms":   s.LoginConnectTimeoutMs,
					"sasl.login.read.timeout.ms":      s.LoginReadTimeoutMs,
					"sasl.login.retry.backoff.ms":     s.LoginRetryBackoffMs,
					"sasl.login.retry.backoff.max.ms": s.LoginRetryBackoffMaxMs,
				} {
					if v != nil {
						cfg[k] = fmt.Sprint(*v)
					}
				}
				scope = s.Scope
			}
			if b := a.OAuthBearer; b != nil && (b.SecretRef != "" || b.DirectoryPathInContainer != "") {
				data, err := r.key(ctx, b.SecretRef, b.DirectoryPathInContainer, "oauthbearer.txt", false)
				if err != nil {
					return nil, fmt.Errorf("OAuth credentials: %w", err)
				}
				if data != nil {
					id, secret, err := parseClientCredentials(data)
					if err != nil {
						return nil, err
					}
					jaas := fmt.Sprintf("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=%s clientSecret=%s", jaasQuote(id), jaasQuote(secret))
					if scope != "" {
						// The login callback handler reads the scope from
						// the JAAS options (KIP-768).
						jaas += " scope=" + jaasQuote(scope)
					}
					cfg["sasl.jaas.config"] = jaas + ";"
				}
			}
		case kafkalinkv1alpha1.KafkaAuthenticationMTLS:
			tlsOn = true
		case kafkalinkv1alpha1.KafkaAuthenticationDigest, kafkalinkv1alpha1.KafkaAuthenticationNone:
			// No SASL: digest has no Kafka client meaning (the webhook
			// warns), none is none.
		}
		if a.SSLClientAuthentication {
			tlsOn = true
		}
	}
	clientCert := c.Authentication != nil && (c.Authentication.Type == kafkalinkv1alpha1.KafkaAuthenticationMTLS || c.Authentication.SSLClientAuthentication)
	if clientCert && (c.TLS == nil || (c.TLS.SecretRef == "" && c.TLS.DirectoryPathInContainer == "")) {
		return nil, errors.New("a client certificate (authentication type mtls or sslClientAuthentication) needs tls.secretRef or tls.directoryPathInContainer with fullchain.pem and privkey.pem")
	}
	if tlsOn && c.TLS != nil && (c.TLS.SecretRef != "" || c.TLS.DirectoryPathInContainer != "") {
		ca, err := r.key(ctx, c.TLS.SecretRef, c.TLS.DirectoryPathInContainer, KeyCACerts, false)
		if err != nil {
			return nil, fmt.Errorf("Kafka TLS: %w", err)
		}
		if len(ca) > 0 {
			cfg["ssl.truststore.type"] = "PEM"
			cfg["ssl.truststore.certificates"] = strings.TrimSpace(string(ca))
		}
		if clientCert {
			chain, err := r.key(ctx, c.TLS.SecretRef, c.TLS.DirectoryPathInContainer, KeyFullchain, true)
			if err != nil {
				return nil, fmt.Errorf("Kafka client certificate: %w", err)
			}
			key, err := r.key(ctx, c.TLS.SecretRef, c.TLS.DirectoryPathInContainer, KeyPrivateKey, true)
			if err != nil {
				return nil, fmt.Errorf("Kafka client key: %w", err)
			}
			cfg["ssl.keystore.type"] = "PEM"
			cfg["ssl.keystore.certificate.chain"] = strings.TrimSpace(string(chain))
			cfg["ssl.keystore.key"] = strings.TrimSpace(string(key))
		}
	}
	switch {
	case sasl && tlsOn:
		cfg["security.protocol"] = "SASL_SSL"
	case sasl:
		cfg["security.protocol"] = "SASL_PLAINTEXT"
	case tlsOn:
		cfg["security.protocol"] = "SSL"
	default:
		cfg["security.protocol"] = "PLAINTEXT"
	}
	return cfg, nil
}

// parseClientCredentials parses clientId= and clientSecret= lines.
func parseClientCredentials(data []byte) (id, secret string, err error) {
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		switch k {
		case "clientId":
			id = v
		case "clientSecret":
			secret = v
		}
	}
	if id == "" || secret == "" {
		return "", "", errors.New("oauthbearer.txt must hold clientId= and clientSecret= lines")
	}
	return id, secret, nil
}

// Redact returns a copy of configs with secret values replaced, for events,
// logs and status.
func Redact(configs map[string]string) map[string]string {
	out := make(map[string]string, len(configs))
	for k, v := range configs {
		if IsSensitive(k) {
			v = "[redacted]"
		}
		out[k] = v
	}
	return out
}

// SortedKeys returns the keys of m in order (deterministic requests and messages).
func SortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// oauthClient resolves a KafkaRestClass's OAuth settings: client id and
// secret from oauth.txt (clientId= and clientSecret= lines, as CFK), or a
// client assertion (clientAssertion: a ready JWT from jwtTokenFile, or one
// signed with the PEM key of localClientAssertion.privateKeyFile).
func (r *Resolver) oauthClient(ctx context.Context, a *kafkalinkv1alpha1.OAuthRestAuthentication) (*OAuthClient, error) {
	if a == nil || a.Configuration == nil || a.Configuration.TokenEndpointURI == "" {
		return nil, errors.New("authentication type oauth needs oauth.configuration.tokenEndpointUri")
	}
	conf := a.Configuration
	o := &OAuthClient{TokenURL: conf.TokenEndpointURI, Scope: conf.Scope, Audience: conf.Audience}
	ms := func(p *int32) time.Duration {
		if p == nil {
			return 0
		}
		return time.Duration(*p) * time.Millisecond
	}
	o.ConnectTimeout, o.ReadTimeout = ms(conf.LoginConnectTimeoutMs), ms(conf.LoginReadTimeoutMs)
	o.RetryBackoff, o.RetryBackoffMax = ms(conf.LoginRetryBackoffMs), ms(conf.LoginRetryBackoffMaxMs)
	if a.SecretRef != "" || a.DirectoryPathInContainer != "" {
		data, err := r.key(ctx, a.SecretRef, a.DirectoryPathInContainer, KeyOAuth, conf.ClientAssertion == nil)
		if err != nil {
			return nil, fmt.Errorf("OAuth client credentials: %w", err)
		}
		if data != nil {
			id, secret := parseKeyValues(data)
			o.ClientID, o.ClientSecret = id["clientId"], secret["clientSecret"]
		}
	}
	ca := conf.ClientAssertion
	if ca == nil {
		if o.ClientID == "" || o.ClientSecret == "" {
			return nil, fmt.Errorf("%s must hold a clientId= line and a clientSecret= line (or configure oauth.configuration.clientAssertion)", KeyOAuth)
		}
		return o, nil
	}
	// A client assertion replaces the secret.
	o.ClientSecret = ""
	if ca.ClientID != "" {
		o.ClientID = ca.ClientID
	}
	if o.ClientID == "" {
		return nil, fmt.Errorf("a client assertion needs oauth.configuration.clientAssertion.clientId (or clientId= in %s)", KeyOAuth)
	}
	switch {
	case ca.JwtTokenFile != nil && (ca.JwtTokenFile.SecretRef != "" || ca.JwtTokenFile.DirectoryPathInContainer != ""):
		data, err := r.key(ctx, ca.JwtTokenFile.SecretRef, ca.JwtTokenFile.DirectoryPathInContainer, KeyJWTToken, true)
		if err != nil {
			return nil, fmt.Errorf("OAuth client assertion (jwtTokenFile): %w", err)
		}
		o.AssertionJWT = strings.TrimSpace(string(data))
		if strings.Count(o.AssertionJWT, ".") != 2 {
			return nil, fmt.Errorf("%s does not hold a JWT (three dot-separated parts)", KeyJWTToken)
		}
	case ca.LocalClientAssertion != nil:
		l := ca.LocalClientAssertion
		f := l.PrivateKeyFile
		if f == nil || (f.SecretRef == "" && f.DirectoryPathInContainer == "") {
			return nil, errors.New("localClientAssertion needs privateKeyFile.secretRef or privateKeyFile.directoryPathInContainer")
		}
		if f.EncryptedPrivateKey {
			return nil, errors.New("localClientAssertion.privateKeyFile.encryptedPrivateKey is not supported: store the key unencrypted in the Secret")
		}
		key, err := r.key(ctx, f.SecretRef, f.DirectoryPathInContainer, KeyPrivateKeyFile, true)
		if err != nil {
			return nil, fmt.Errorf("OAuth client assertion key: %w", err)
		}
		o.AssertionKeyPEM = key
		o.AssertionIssuer, o.AssertionSubject, o.AssertionAudience = l.Issuer, l.Subject, l.Audience
		if o.AssertionIssuer == "" {
			o.AssertionIssuer = o.ClientID
		}
		if o.AssertionSubject == "" {
			o.AssertionSubject = o.ClientID
		}
		if o.AssertionAudience == "" {
			o.AssertionAudience = o.TokenURL
		}
		if l.TokenLifetime != nil {
			o.AssertionLifetime = time.Duration(*l.TokenLifetime) * time.Second
		}
		o.IncludeJTI, o.IncludeNBF = l.IncludeJtiClaim, l.IncludeNbfClaim
	default:
		return nil, errors.New("oauth.configuration.clientAssertion needs jwtTokenFile or localClientAssertion")
	}
	return o, nil
}

// parseKeyValues reads key=value lines; both returned maps are the same.
func parseKeyValues(data []byte) (map[string]string, map[string]string) {
	m := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m, m
}
