package emulator

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// OAuth 2.0 token endpoint (RFC 6749 §4.4 client credentials, with client
// authentication by client_secret_basic, client_secret_post or an RS256 JWT
// client assertion, RFC 7523 §2.2). Tokens are opaque random strings the
// emulator remembers; a cluster with ClusterConfig.RequireOAuth accepts only
// them. Secrets, assertions and tokens never reach the request log or an
// error message.

// TokenEndpoint is the path ServeOAuth serves the token endpoint at, and the
// Endpoint of token requests in the request log.
const TokenEndpoint = "/oauth2/token"

// OAuthCluster is the Cluster of token requests in the request log.
const OAuthCluster = "oauth"

// ClientAssertionType is the client_assertion_type of a JWT client assertion
// (RFC 7523 §2.2).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Client authentication methods, as recorded in Request.ClientAuth.
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthPrivateKeyJWT     = "private_key_jwt"
)

// MaxAssertionLifetime bounds how far in the future a client assertion's exp
// may be, and how old its iat: a long-lived assertion is a replayable
// credential.
const MaxAssertionLifetime = time.Hour

// assertionLeeway tolerates clock skew between the client signing an
// assertion and the emulator for nbf and iat (never for exp).
const assertionLeeway = 30 * time.Second

// DefaultTokenTTL is the lifetime of issued tokens unless WithTokenTTL.
const DefaultTokenTTL = time.Hour

// WithTokenTTL sets the lifetime of the access tokens the token endpoint
// issues (default 1h).
func WithTokenTTL(d time.Duration) Option { return func(o *options) { o.tokenTTL = d } }

// OAuthClient is a client of the emulator's token endpoint.
type OAuthClient struct {
	// ID is the client_id (and the iss and sub of its assertions).
	ID string
	// Secret authenticates the client with client_secret_basic or
	// client_secret_post; empty refuses both.
	Secret string
	// PublicKey verifies the client's RS256 JWT assertions; nil refuses
	// assertions.
	PublicKey *rsa.PublicKey
}

// IssuedToken describes an access token without its value.
type IssuedToken struct {
	ClientID string
	// Scope and Audience are the request's scope and audience parameters.
	Scope, Audience    string
	IssuedAt, ExpireAt time.Time
}

type oauthState struct {
	clients map[string]OAuthClient
	tokens  map[string]IssuedToken // by token value
	issued  map[string]int         // by client ID
	jtis    map[string]time.Time   // client ID + "\x00" + jti -> assertion expiry
}

func (s *oauthState) init() {
	if s.clients == nil {
		s.clients, s.tokens, s.issued, s.jtis = map[string]OAuthClient{}, map[string]IssuedToken{}, map[string]int{}, map[string]time.Time{}
	}
}

// AddOAuthClient registers a client, or replaces the one with the same ID:
// replacing rotates its secret or key, and the old ones are refused from
// then on. Tokens issued before stay valid until they expire, as with real
// authorization servers.
func (e *Emulator) AddOAuthClient(c OAuthClient) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.oauth.init()
	e.oauth.clients[c.ID] = c
}

// RemoveOAuthClient unregisters a client; its tokens stay valid until they
// expire (RevokeTokens ends them).
func (e *Emulator) RemoveOAuthClient(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.oauth.clients, id)
}

// RevokeTokens invalidates every token issued to the client and returns how
// many were valid, so tests can make a client's next REST call answer 401.
func (e *Emulator) RevokeTokens(clientID string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	now := e.now()
	for tok, it := range e.oauth.tokens {
		if it.ClientID == clientID {
			if now.Before(it.ExpireAt) {
				n++
			}
			delete(e.oauth.tokens, tok)
		}
	}
	return n
}

// TokensIssued returns how many access tokens the token endpoint issued to
// the client.
func (e *Emulator) TokensIssued(clientID string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.oauth.issued[clientID]
}

// IssuedTokens describes the client's unexpired tokens, oldest first.
func (e *Emulator) IssuedTokens(clientID string) []IssuedToken {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	var out []IssuedToken
	for _, it := range e.oauth.tokens {
		if it.ClientID == clientID && now.Before(it.ExpireAt) {
			out = append(out, it)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IssuedAt.Before(out[j].IssuedAt) })
	return out
}

// tokenClient returns the client of a valid bearer token (callers hold
// e.mu).
func (e *Emulator) tokenClient(token string) (string, bool) {
	it, ok := e.oauth.tokens[token]
	if !ok || !e.now().Before(it.ExpireAt) {
		return "", false
	}
	return it.ClientID, true
}

// TokenHandler serves the token endpoint (POST, form-encoded) on any path.
func (e *Emulator) TokenHandler() http.Handler { return http.HandlerFunc(e.serveToken) }

// ServeOAuth listens on addr for the token endpoint, with TLS when tlsConfig
// is not nil, and returns the token URL (scheme://host:port/oauth2/token).
// It stops serving when ctx is done.
func (e *Emulator) ServeOAuth(ctx context.Context, addr string, tlsConfig *tls.Config) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen for the OAuth token endpoint on %s: %w", addr, err)
	}
	scheme := "http"
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig.Clone())
		scheme = "https"
	}
	mux := http.NewServeMux()
	mux.Handle(TokenEndpoint, e.TokenHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	return scheme + "://" + ln.Addr().String() + TokenEndpoint, nil
}

// oauthError is an RFC 6749 §5.2 error answer.
type oauthError struct {
	status      int
	code        string
	description string
}

func (o *oauthError) Error() string { return o.code + ": " + o.description }

func oauthErr(status int, code, format string, args ...any) *oauthError {
	return &oauthError{status: status, code: code, description: fmt.Sprintf(format, args...)}
}

// maxTokenRequest bounds a token request body; an assertion is a few KiB.
const maxTokenRequest = 64 << 10

func (e *Emulator) serveToken(w http.ResponseWriter, r *http.Request) {
	req := Request{Cluster: OAuthCluster, Method: r.Method, Path: r.URL.Path, Endpoint: TokenEndpoint, Time: e.now(), UserAgent: r.UserAgent()}
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		req.Code = sw.code
		e.record(req)
	}()
	if e.opts.latency > 0 {
		select {
		case <-time.After(e.opts.latency):
		case <-r.Context().Done():
		}
	}
	// Token answers must not be cached (RFC 6749 §5.1).
	sw.Header().Set("Cache-Control", "no-store")
	sw.Header().Set("Pragma", "no-cache")
	resp, oerr := e.token(r, &req)
	if oerr != nil {
		if oerr.status == http.StatusUnauthorized {
			sw.Header().Set("WWW-Authenticate", `Basic realm="oauth"`)
		}
		writeJSON(sw, oerr.status, map[string]string{"error": oerr.code, "error_description": oerr.description})
		return
	}
	writeJSON(sw, http.StatusOK, resp)
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

func (e *Emulator) token(r *http.Request, logged *Request) (*tokenResponse, *oauthError) {
	if r.Method != http.MethodPost {
		return nil, oauthErr(http.StatusMethodNotAllowed, "invalid_request", "the token endpoint accepts only POST")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		return nil, oauthErr(http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded, not %q", ct)
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxTokenRequest)
	if err := r.ParseForm(); err != nil {
		return nil, oauthErr(http.StatusBadRequest, "invalid_request", "cannot parse the form body")
	}
	form := r.PostForm
	for k, v := range form {
		if len(v) > 1 {
			return nil, oauthErr(http.StatusBadRequest, "invalid_request", "parameter %s is repeated", k)
		}
	}
	grant := form.Get("grant_type")
	switch grant {
	case "":
		return nil, oauthErr(http.StatusBadRequest, "invalid_request", "grant_type is required")
	case "client_credentials":
	default:
		return nil, oauthErr(http.StatusBadRequest, "unsupported_grant_type", "grant_type %q is not supported; use client_credentials", grant)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	clientID, oerr := e.authenticateClient(r, form, now, logged)
	if oerr != nil {
		return nil, oerr
	}
	tok, err := randomToken()
	if err != nil {
		return nil, oauthErr(http.StatusInternalServerError, "server_error", "cannot generate a token")
	}
	ttl := e.opts.tokenTTL
	e.pruneOAuth(now)
	e.oauth.tokens[tok] = IssuedToken{ClientID: clientID, Scope: form.Get("scope"), Audience: form.Get("audience"), IssuedAt: now, ExpireAt: now.Add(ttl)}
	e.oauth.issued[clientID]++
	return &tokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(math.Ceil(ttl.Seconds())), Scope: form.Get("scope")}, nil
}

// authenticateClient identifies the client by exactly one method (RFC 6749
// §2.3: a client must not use more than one); callers hold e.mu.
func (e *Emulator) authenticateClient(r *http.Request, form url.Values, now time.Time, logged *Request) (string, *oauthError) {
	e.oauth.init()
	basicID, basicSecret, hasBasic := r.BasicAuth()
	hasPost := form.Has("client_secret")
	hasAssertion := form.Has("client_assertion") || form.Has("client_assertion_type")
	claimedID := form.Get("client_id")
	if hasBasic && hasAssertion && basicSecret == "" {
		// x/oauth2's AuthStyleInHeader sends the client id in a Basic header
		// with an empty secret beside an assertion: an identification, not a
		// second authentication method.
		hasBasic = false
		if id, err := url.QueryUnescape(basicID); err == nil && claimedID == "" {
			claimedID = id
		}
	}
	n := 0
	for _, b := range []bool{hasBasic, hasPost, hasAssertion} {
		if b {
			n++
		}
	}
	if n > 1 {
		return "", oauthErr(http.StatusBadRequest, "invalid_request", "use exactly one client authentication method")
	}
	switch {
	case hasBasic:
		// RFC 6749 §2.3.1: id and secret are form-encoded before Basic.
		id, err1 := url.QueryUnescape(basicID)
		secret, err2 := url.QueryUnescape(basicSecret)
		if err1 != nil || err2 != nil {
			return "", oauthErr(http.StatusUnauthorized, "invalid_client", "malformed client credentials in the Authorization header")
		}
		logged.ClientID, logged.ClientAuth = id, AuthClientSecretBasic
		if formID := form.Get("client_id"); formID != "" && formID != id {
			return "", oauthErr(http.StatusBadRequest, "invalid_request", "client_id does not match the Authorization header")
		}
		return id, e.checkSecret(id, secret)
	case hasPost:
		id := form.Get("client_id")
		logged.ClientID, logged.ClientAuth = id, AuthClientSecretPost
		if id == "" {
			return "", oauthErr(http.StatusBadRequest, "invalid_request", "client_id is required with client_secret")
		}
		return id, e.checkSecret(id, form.Get("client_secret"))
	case hasAssertion:
		logged.ClientAuth = AuthPrivateKeyJWT
		if t := form.Get("client_assertion_type"); t != ClientAssertionType {
			return "", oauthErr(http.StatusBadRequest, "invalid_request", "client_assertion_type must be %s", ClientAssertionType)
		}
		id, oerr := e.checkAssertion(r, form.Get("client_assertion"), now)
		logged.ClientID = id
		if oerr == nil && claimedID != "" && claimedID != id {
			return "", oauthErr(http.StatusBadRequest, "invalid_request", "client_id does not match the assertion's issuer")
		}
		return id, oerr
	default:
		return "", oauthErr(http.StatusUnauthorized, "invalid_client", "client authentication is required (client_secret_basic, client_secret_post or a JWT client assertion)")
	}
}

// checkSecret compares in constant time; the answer does not tell an
// unknown client from a wrong secret.
func (e *Emulator) checkSecret(id, secret string) *oauthError {
	c, ok := e.oauth.clients[id]
	if !ok || c.Secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		return oauthErr(http.StatusUnauthorized, "invalid_client", "client authentication failed for client %q", id)
	}
	return nil
}

// assertionClaims are the JWT claims RFC 7523 §3 defines for assertions.
type assertionClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"` // a string or an array of strings
	Exp *float64        `json:"exp"`
	Nbf *float64        `json:"nbf"`
	Iat *float64        `json:"iat"`
	Jti string          `json:"jti"`
}

func (c assertionClaims) audiences() []string {
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(c.Aud, &many)
	return many
}

func unixTime(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// checkAssertion verifies an RS256 client assertion and returns its client.
// Failures are invalid_client (RFC 7523 §3.2: the assertion authenticates
// the client); their descriptions never quote the assertion.
func (e *Emulator) checkAssertion(r *http.Request, assertion string, now time.Time) (string, *oauthError) {
	bad := func(format string, args ...any) (string, *oauthError) {
		return "", oauthErr(http.StatusUnauthorized, "invalid_client", "client assertion: "+format, args...)
	}
	if assertion == "" {
		return "", oauthErr(http.StatusBadRequest, "invalid_request", "client_assertion is required")
	}
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return bad("not a signed JWT")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return bad("malformed header")
	}
	if header.Alg != "RS256" {
		return bad("alg %q is not supported; sign with RS256", header.Alg)
	}
	var claims assertionClaims
	if err := decodeSegment(parts[1], &claims); err != nil {
		return bad("malformed claims")
	}
	if claims.Iss == "" {
		return bad("iss is required")
	}
	id := claims.Iss
	c, ok := e.oauth.clients[id]
	if !ok || c.PublicKey == nil {
		return id, oauthErr(http.StatusUnauthorized, "invalid_client", "client assertion: client %q has no registered public key", id)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return bad("malformed signature")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(c.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return id, oauthErr(http.StatusUnauthorized, "invalid_client", "client assertion: the signature does not verify with the public key of client %q", id)
	}
	fail := func(format string, args ...any) (string, *oauthError) {
		return id, oauthErr(http.StatusUnauthorized, "invalid_client", "client assertion of client %q: "+format, append([]any{id}, args...)...)
	}
	if claims.Sub != id {
		return fail("sub %q must equal iss", claims.Sub)
	}
	endpoint, issuer := requestURLs(r)
	auds := claims.audiences()
	audOK := false
	for _, a := range auds {
		a = strings.TrimSuffix(a, "/")
		if a == endpoint || a == issuer {
			audOK = true
		}
	}
	if !audOK {
		return fail("aud %q must name the token endpoint %s (or the issuer %s)", auds, endpoint, issuer)
	}
	if claims.Exp == nil {
		return fail("exp is required")
	}
	exp := unixTime(*claims.Exp)
	switch {
	case !now.Before(exp):
		return fail("expired at %s", exp.UTC().Format(time.RFC3339))
	case exp.Sub(now) > MaxAssertionLifetime+assertionLeeway:
		return fail("exp %s is more than %s ahead", exp.UTC().Format(time.RFC3339), MaxAssertionLifetime)
	}
	if claims.Nbf != nil {
		if nbf := unixTime(*claims.Nbf); nbf.After(now.Add(assertionLeeway)) {
			return fail("not valid before %s", nbf.UTC().Format(time.RFC3339))
		}
	}
	if claims.Iat != nil {
		iat := unixTime(*claims.Iat)
		if iat.After(now.Add(assertionLeeway)) {
			return fail("iat %s is in the future", iat.UTC().Format(time.RFC3339))
		}
		if now.Sub(iat) > MaxAssertionLifetime {
			return fail("iat %s is more than %s ago", iat.UTC().Format(time.RFC3339), MaxAssertionLifetime)
		}
	}
	if claims.Jti != "" {
		key := id + "\x00" + claims.Jti
		if until, seen := e.oauth.jtis[key]; seen && now.Before(until) {
			return fail("jti %q was already used", claims.Jti)
		}
		e.oauth.jtis[key] = exp
	}
	return id, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// requestURLs returns the token endpoint URL as the request reached it and
// the issuer URL (its scheme://host).
func requestURLs(r *http.Request) (endpoint, issuer string) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	issuer = scheme + "://" + r.Host
	return issuer + r.URL.Path, issuer
}

// pruneOAuth forgets expired tokens and jtis (callers hold e.mu).
func (e *Emulator) pruneOAuth(now time.Time) {
	for tok, it := range e.oauth.tokens {
		if !now.Before(it.ExpireAt) {
			delete(e.oauth.tokens, tok)
		}
	}
	for k, until := range e.oauth.jtis {
		if !now.Before(until) {
			delete(e.oauth.jtis, k)
		}
	}
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", errors.New("read random bytes")
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
