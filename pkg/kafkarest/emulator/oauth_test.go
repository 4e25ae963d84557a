package emulator

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

var (
	keysOnce         sync.Once
	clientKey, other *rsa.PrivateKey
)

// testKeys generates the RSA keys once: 2048-bit generation is slow.
func testKeys(t *testing.T) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if clientKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if other, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return clientKey, other
}

// signJWT signs claims with RS256 (or the given alg header, unsigned for
// anything but RS256, to test refusals).
func signJWT(t *testing.T, key *rsa.PrivateKey, alg string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := enc(map[string]string{"alg": alg, "typ": "JWT"}) + "." + enc(claims)
	if alg != "RS256" {
		return signed + "." + base64.RawURLEncoding.EncodeToString([]byte("sig"))
	}
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

type oauthFixture struct {
	e        *Emulator
	clk      *fakeClock
	tokenURL string
}

const (
	cid    = "kafkalink-dest"
	secret = "s3cret-value"
)

func newOAuthFixture(t *testing.T, opts ...Option) *oauthFixture {
	t.Helper()
	key, _ := testKeys(t)
	clk := newFakeClock()
	e := New(append([]Option{WithClock(clk.Now)}, opts...)...)
	e.AddOAuthClient(OAuthClient{ID: cid, Secret: secret, PublicKey: &key.PublicKey})
	e.AddOAuthClient(OAuthClient{ID: "secret-only", Secret: "other-secret"})
	srv := httptest.NewServer(e.TokenHandler())
	t.Cleanup(srv.Close)
	return &oauthFixture{e: e, clk: clk, tokenURL: srv.URL + TokenEndpoint}
}

type tokenAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (f *oauthFixture) post(t *testing.T, form url.Values, basicID, basicSecret string) tokenAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := tokenAnswer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if err := json.Unmarshal(b, &a.body); err != nil {
		t.Fatalf("token answer is not JSON: %s", b)
	}
	return a
}

func (f *oauthFixture) claims(jti string) map[string]any {
	now := f.clk.Now()
	return map[string]any{"iss": cid, "sub": cid, "aud": f.tokenURL, "jti": jti,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
}

func assertionForm(assertion string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {ClientAssertionType}, "client_assertion": {assertion}}
}

func TestTokenClientSecret(t *testing.T) {
	cc := func(kv ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := map[string]struct {
		form              url.Values
		basicID, basicPwd string
		status            int
		errCode           string // RFC 6749 error, "" for success
		auth              string // ClientAuth in the request log
	}{
		"basic":                   {form: cc("scope", "kafka"), basicID: cid, basicPwd: secret, status: 200, auth: AuthClientSecretBasic},
		"post":                    {form: cc("client_id", cid, "client_secret", secret, "scope", "kafka"), status: 200, auth: AuthClientSecretPost},
		"basic wrong secret":      {form: cc(), basicID: cid, basicPwd: "nope", status: 401, errCode: "invalid_client", auth: AuthClientSecretBasic},
		"post wrong secret":       {form: cc("client_id", cid, "client_secret", "nope"), status: 401, errCode: "invalid_client", auth: AuthClientSecretPost},
		"unknown client":          {form: cc("client_id", "ghost", "client_secret", secret), status: 401, errCode: "invalid_client", auth: AuthClientSecretPost},
		"no client auth":          {form: cc("client_id", cid), status: 401, errCode: "invalid_client"},
		"two methods":             {form: cc("client_id", cid, "client_secret", secret), basicID: cid, basicPwd: secret, status: 400, errCode: "invalid_request"},
		"post without client_id":  {form: cc("client_secret", secret), status: 400, errCode: "invalid_request", auth: AuthClientSecretPost},
		"basic, other client_id":  {form: cc("client_id", "secret-only"), basicID: cid, basicPwd: secret, status: 400, errCode: "invalid_request", auth: AuthClientSecretBasic},
		"no grant_type":           {form: url.Values{"client_id": {cid}, "client_secret": {secret}}, status: 400, errCode: "invalid_request"},
		"password grant":          {form: url.Values{"grant_type": {"password"}}, basicID: cid, basicPwd: secret, status: 400, errCode: "unsupported_grant_type"},
		"client without a secret": {form: cc(), basicID: "secret-only", basicPwd: "", status: 401, errCode: "invalid_client", auth: AuthClientSecretBasic},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newOAuthFixture(t)
			a := f.post(t, tc.form, tc.basicID, tc.basicPwd)
			if a.status != tc.status || (tc.errCode != "" && a.body["error"] != tc.errCode) {
				t.Fatalf("answer %d %s, want %d %q", a.status, a.raw, tc.status, tc.errCode)
			}
			if a.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", a.header.Get("Cache-Control"))
			}
			if tc.errCode != "" {
				if d, _ := a.body["error_description"].(string); d == "" || strings.Contains(d, secret) {
					t.Errorf("error_description %q", d)
				}
				if f.e.TokensIssued(cid) != 0 {
					t.Error("a token was issued on error")
				}
			} else {
				tok, _ := a.body["access_token"].(string)
				if len(tok) < 32 || a.body["token_type"] != "Bearer" || a.body["expires_in"] != float64(3600) || a.body["scope"] != "kafka" {
					t.Errorf("token answer %s", a.raw)
				}
				if f.e.TokensIssued(cid) != 1 {
					t.Errorf("TokensIssued = %d", f.e.TokensIssued(cid))
				}
			}
			reqs := f.e.Requests()
			if len(reqs) != 1 || reqs[0].Cluster != OAuthCluster || reqs[0].Endpoint != TokenEndpoint ||
				reqs[0].Code != tc.status || reqs[0].ClientAuth != tc.auth {
				t.Errorf("request log %+v", reqs)
			}
		})
	}
}

func TestTokenRequestShape(t *testing.T) {
	f := newOAuthFixture(t)
	resp, err := http.Get(f.tokenURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	resp, err = http.Post(f.tokenURL, "application/json", strings.NewReader(`{"grant_type":"client_credentials"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("JSON body: %d", resp.StatusCode)
	}
}

func TestTokenClientAssertion(t *testing.T) {
	key, otherKey := testKeys(t)
	tests := map[string]struct {
		key    *rsa.PrivateKey
		alg    string
		change func(f *oauthFixture, c map[string]any)
		form   func(f *oauthFixture, assertion string) url.Values
		// basicID is sent in a Basic header with an empty secret.
		basicID   string
		errStatus int    // 401 (invalid_client) unless set; 400 is invalid_request
		errMsg    string // "" for success
	}{
		"valid":                   {},
		"aud as issuer URL":       {change: func(f *oauthFixture, c map[string]any) { c["aud"] = strings.TrimSuffix(f.tokenURL, TokenEndpoint) }},
		"aud as array":            {change: func(f *oauthFixture, c map[string]any) { c["aud"] = []string{"https://elsewhere", f.tokenURL} }},
		"without jti, nbf, iat":   {change: func(_ *oauthFixture, c map[string]any) { delete(c, "jti"); delete(c, "nbf"); delete(c, "iat") }},
		"with matching client_id": {form: func(_ *oauthFixture, a string) url.Values { v := assertionForm(a); v.Set("client_id", cid); return v }},
		"bad signature":           {key: otherKey, errMsg: "signature does not verify"},
		"alg none":                {alg: "none", errMsg: `alg "none" is not supported`},
		"alg HS256":               {alg: "HS256", errMsg: `alg "HS256"`},
		"wrong aud":               {change: func(_ *oauthFixture, c map[string]any) { c["aud"] = "https://idp.example/token" }, errMsg: "must name the token endpoint"},
		"expired":                 {change: func(f *oauthFixture, c map[string]any) { c["exp"] = f.clk.Now().Add(-time.Second).Unix() }, errMsg: "expired at"},
		"exp too far ahead":       {change: func(f *oauthFixture, c map[string]any) { c["exp"] = f.clk.Now().Add(2 * time.Hour).Unix() }, errMsg: "more than 1h0m0s ahead"},
		"no exp":                  {change: func(_ *oauthFixture, c map[string]any) { delete(c, "exp") }, errMsg: "exp is required"},
		"nbf in the future":       {change: func(f *oauthFixture, c map[string]any) { c["nbf"] = f.clk.Now().Add(5 * time.Minute).Unix() }, errMsg: "not valid before"},
		"iat in the future":       {change: func(f *oauthFixture, c map[string]any) { c["iat"] = f.clk.Now().Add(5 * time.Minute).Unix() }, errMsg: "in the future"},
		"iat too old":             {change: func(f *oauthFixture, c map[string]any) { c["iat"] = f.clk.Now().Add(-2 * time.Hour).Unix() }, errMsg: "ago"},
		"sub differs":             {change: func(_ *oauthFixture, c map[string]any) { c["sub"] = "someone" }, errMsg: "must equal iss"},
		"unknown issuer":          {change: func(_ *oauthFixture, c map[string]any) { c["iss"], c["sub"] = "ghost", "ghost" }, errMsg: "no registered public key"},
		"client without key":      {change: func(_ *oauthFixture, c map[string]any) { c["iss"], c["sub"] = "secret-only", "secret-only" }, errMsg: "no registered public key"},
		"client id in a Basic header without secret": {form: func(_ *oauthFixture, a string) url.Values { return assertionForm(a) }, basicID: cid},
		"other client id in a Basic header":          {form: func(_ *oauthFixture, a string) url.Values { return assertionForm(a) }, basicID: "secret-only", errStatus: 400, errMsg: "does not match"},
		"other client_id":                            {form: func(_ *oauthFixture, a string) url.Values { v := assertionForm(a); v.Set("client_id", "x"); return v }, errStatus: 400, errMsg: "does not match"},
		"not a JWT":                                  {form: func(*oauthFixture, string) url.Values { return assertionForm("abc") }, errMsg: "not a signed JWT"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newOAuthFixture(t)
			c := f.claims("jti-1")
			if tc.change != nil {
				tc.change(f, c)
			}
			k, alg := key, "RS256"
			if tc.key != nil {
				k = tc.key
			}
			if tc.alg != "" {
				alg = tc.alg
			}
			assertion := signJWT(t, k, alg, c)
			form := assertionForm(assertion)
			if tc.form != nil {
				form = tc.form(f, assertion)
			}
			a := f.post(t, form, tc.basicID, "")
			wantStatus, wantErr := 401, "invalid_client"
			if tc.errStatus == 400 {
				wantStatus, wantErr = 400, "invalid_request"
			}
			if tc.errMsg == "" {
				if a.status != 200 || a.body["access_token"] == nil || f.e.TokensIssued(cid) != 1 {
					t.Fatalf("answer %d %s", a.status, a.raw)
				}
			} else if d, _ := a.body["error_description"].(string); a.status != wantStatus || a.body["error"] != wantErr || !strings.Contains(d, tc.errMsg) {
				t.Fatalf("answer %d %s, want %d %s ~%q", a.status, a.raw, wantStatus, wantErr, tc.errMsg)
			}
			if reqs := f.e.Requests(); reqs[0].ClientAuth != AuthPrivateKeyJWT {
				t.Errorf("request log %+v", reqs)
			}
		})
	}
	t.Run("wrong assertion type", func(t *testing.T) {
		f := newOAuthFixture(t)
		form := assertionForm(signJWT(t, key, "RS256", f.claims("j")))
		form.Set("client_assertion_type", "urn:other")
		if a := f.post(t, form, "", ""); a.status != 400 || a.body["error"] != "invalid_request" {
			t.Fatalf("answer %d %s", a.status, a.raw)
		}
	})
}

func TestTokenAssertionReplay(t *testing.T) {
	key, _ := testKeys(t)
	f := newOAuthFixture(t)
	first := signJWT(t, key, "RS256", f.claims("jti-1"))
	steps := []struct {
		name      string
		assertion func() string
		advance   time.Duration
		status    int
	}{
		{"first use", func() string { return first }, 0, 200},
		{"replayed", func() string { return first }, 0, 401},
		{"same jti, new assertion", func() string { return signJWT(t, key, "RS256", f.claims("jti-1")) }, 0, 401},
		{"other jti", func() string { return signJWT(t, key, "RS256", f.claims("jti-2")) }, 0, 200},
		// Once the first assertion expired, its jti may be used again.
		{"jti reused after expiry", func() string { return signJWT(t, key, "RS256", f.claims("jti-1")) }, 6 * time.Minute, 200},
	}
	for _, s := range steps {
		f.clk.Advance(s.advance)
		a := f.post(t, assertionForm(s.assertion()), "", "")
		if a.status != s.status {
			t.Fatalf("%s: answer %d %s, want %d", s.name, a.status, a.raw, s.status)
		}
		if s.status == 401 && !strings.Contains(a.raw, "already used") {
			t.Errorf("%s: %s", s.name, a.raw)
		}
	}
	if n := f.e.TokensIssued(cid); n != 3 {
		t.Errorf("TokensIssued = %d, want 3", n)
	}
}

func TestOAuthClientRotation(t *testing.T) {
	key, otherKey := testKeys(t)
	f := newOAuthFixture(t)
	cc := url.Values{"grant_type": {"client_credentials"}}
	if a := f.post(t, cc, cid, secret); a.status != 200 {
		t.Fatalf("before rotation: %s", a.raw)
	}
	f.e.AddOAuthClient(OAuthClient{ID: cid, Secret: "rotated", PublicKey: &otherKey.PublicKey})
	steps := []struct {
		name   string
		do     func() tokenAnswer
		status int
	}{
		{"old secret", func() tokenAnswer { return f.post(t, cc, cid, secret) }, 401},
		{"new secret", func() tokenAnswer { return f.post(t, cc, cid, "rotated") }, 200},
		{"old key", func() tokenAnswer { return f.post(t, assertionForm(signJWT(t, key, "RS256", f.claims("a"))), "", "") }, 401},
		{"new key", func() tokenAnswer {
			return f.post(t, assertionForm(signJWT(t, otherKey, "RS256", f.claims("b"))), "", "")
		}, 200},
	}
	for _, s := range steps {
		if a := s.do(); a.status != s.status {
			t.Errorf("%s: answer %d %s, want %d", s.name, a.status, a.raw, s.status)
		}
	}
	if n := f.e.TokensIssued(cid); n != 3 {
		t.Errorf("TokensIssued = %d, want 3", n)
	}
	f.e.RemoveOAuthClient(cid)
	if a := f.post(t, cc, cid, "rotated"); a.status != 401 {
		t.Errorf("removed client: %s", a.raw)
	}
}

func TestRequireOAuth(t *testing.T) {
	f := newOAuthFixture(t, WithTokenTTL(10*time.Minute))
	c := f.e.AddCluster(ClusterConfig{ID: "lkc-oauth", Username: "key", Password: "pw", BearerToken: "static", RequireOAuth: true})
	token := func(t *testing.T) string {
		a := f.post(t, url.Values{"grant_type": {"client_credentials"}, "scope": {"kafka"}, "audience": {"lkc-oauth"}}, cid, secret)
		if a.status != 200 || a.body["expires_in"] != float64(600) {
			t.Fatalf("token: %s", a.raw)
		}
		return a.body["access_token"].(string)
	}
	call := func(auth string) result {
		req := httptest.NewRequest("GET", pfx+"/clusters/lkc-oauth/links", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		c.Handler().ServeHTTP(rec, req)
		r := result{code: rec.Code, header: rec.Header(), raw: rec.Body.String()}
		_ = json.Unmarshal(rec.Body.Bytes(), &r.obj)
		return r
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("key:pw"))
	tok := token(t)
	tests := []struct {
		name    string
		auth    string
		advance time.Duration
		setup   func()
		code    int
	}{
		{"no credentials", "", 0, nil, 401},
		{"basic refused", basic, 0, nil, 401},
		{"static bearer refused", "Bearer static", 0, nil, 401},
		{"unknown token", "Bearer not-issued", 0, nil, 401},
		{"issued token", "Bearer " + tok, 0, nil, 200},
		{"issued token, lowercase scheme", "bearer " + tok, 0, nil, 200},
		{"token before expiry", "Bearer " + tok, 9 * time.Minute, nil, 200},
		{"expired token", "Bearer " + tok, time.Minute, nil, 401},
		{"fresh token", "", 0, func() { tok = token(t) }, 200},
		{"revoked token", "", 0, func() {
			if n := f.e.RevokeTokens(cid); n != 1 {
				t.Errorf("RevokeTokens = %d", n)
			}
		}, 401},
	}
	for _, tc := range tests {
		f.clk.Advance(tc.advance)
		if tc.setup != nil {
			tc.setup()
		}
		auth := tc.auth
		if auth == "" && tc.setup != nil {
			auth = "Bearer " + tok
		}
		r := call(auth)
		if r.code != tc.code {
			t.Fatalf("%s: %d %s, want %d", tc.name, r.code, r.raw, tc.code)
		}
		if tc.code == 401 {
			if errCode(r) != CodeUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("%s: 401 %s, challenge %q", tc.name, r.raw, r.header.Get("WWW-Authenticate"))
			}
			continue
		}
		reqs := f.e.Requests()
		if last := reqs[len(reqs)-1]; last.ClientID != cid || last.Cluster != "lkc-oauth" {
			t.Errorf("%s: request log %+v", tc.name, last)
		}
	}
	// The admin API takes the same credentials.
	req := httptest.NewRequest("GET", "/admin/state", nil)
	req.Header.Set("Authorization", basic)
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("admin with basic: %d", rec.Code)
	}
	its := f.e.IssuedTokens(cid)
	if len(its) != 0 { // revoked above
		t.Errorf("IssuedTokens after revocation: %+v", its)
	}
	tok = token(t)
	if its := f.e.IssuedTokens(cid); len(its) != 1 || its[0].Scope != "kafka" || its[0].Audience != "lkc-oauth" ||
		!its[0].ExpireAt.Equal(f.clk.Now().Add(10*time.Minute)) {
		t.Errorf("IssuedTokens %+v", its)
	}
}

// x/oauth2 is what kafkalink's client uses: both of its client
// authentication styles must work against the emulator.
func TestTokenEndpointWithXOAuth2(t *testing.T) {
	e := New()
	e.AddOAuthClient(OAuthClient{ID: "id with spaces&symbols", Secret: "p@ss:word/+"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tokenURL, err := e.ServeOAuth(ctx, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(tokenURL, TokenEndpoint) || !strings.HasPrefix(tokenURL, "http://127.0.0.1:") {
		t.Fatalf("token URL %q", tokenURL)
	}
	for name, style := range map[string]oauth2.AuthStyle{"header": oauth2.AuthStyleInHeader, "params": oauth2.AuthStyleInParams} {
		t.Run(name, func(t *testing.T) {
			cfg := clientcredentials.Config{ClientID: "id with spaces&symbols", ClientSecret: "p@ss:word/+", TokenURL: tokenURL,
				Scopes: []string{"a", "b"}, EndpointParams: url.Values{"audience": {"lkc"}}, AuthStyle: style}
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken == "" || tok.TokenType != "Bearer" || time.Until(tok.Expiry) < 59*time.Minute {
				t.Errorf("token %+v", tok)
			}
			cfg.ClientSecret = "wrong"
			_, err = cfg.Token(ctx)
			var re *oauth2.RetrieveError
			if !asRetrieveError(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != 401 {
				t.Errorf("wrong secret: %v", err)
			}
		})
	}
	if n := e.TokensIssued("id with spaces&symbols"); n != 2 {
		t.Errorf("TokensIssued = %d", n)
	}
}

func asRetrieveError(err error, re **oauth2.RetrieveError) bool {
	for err != nil {
		if r, ok := err.(*oauth2.RetrieveError); ok {
			*re = r
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// Secrets, assertions and tokens never reach the request log (nor its JSON
// through the admin API).
func TestTokenRequestLogHasNoSecrets(t *testing.T) {
	key, _ := testKeys(t)
	f := newOAuthFixture(t)
	c := f.e.AddCluster(ClusterConfig{ID: "lkc-oauth", RequireOAuth: true})
	assertion := signJWT(t, key, "RS256", f.claims("j1"))
	var tokens []string
	for _, a := range []tokenAnswer{
		f.post(t, url.Values{"grant_type": {"client_credentials"}}, cid, secret),
		f.post(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {cid}, "client_secret": {secret}}, "", ""),
		f.post(t, assertionForm(assertion), "", ""),
		f.post(t, url.Values{"grant_type": {"client_credentials"}}, cid, "wrong-secret-value"),
	} {
		if tok, ok := a.body["access_token"].(string); ok {
			tokens = append(tokens, tok)
		}
	}
	if len(tokens) != 3 {
		t.Fatalf("tokens: %d", len(tokens))
	}
	req := httptest.NewRequest("GET", "/admin/requests", nil)
	req.Header.Set("Authorization", "Bearer "+tokens[0])
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("admin requests: %d %s", rec.Code, rec.Body)
	}
	log := rec.Body.String()
	for _, s := range append(tokens, secret, "wrong-secret-value", assertion, strings.Split(assertion, ".")[2]) {
		if strings.Contains(log, s) {
			t.Errorf("request log contains a secret, token or assertion: %s", log)
		}
	}
	if !strings.Contains(log, `"clientId":"`+cid+`"`) || !strings.Contains(log, `"clientAuth":"private_key_jwt"`) {
		t.Errorf("request log does not name the client and its authentication: %s", log)
	}
}
