package kafkarest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2/jws"
)

// tokenServer is a minimal OAuth token endpoint: client credentials with a
// secret (basic) or an RS256 assertion, tokens valid for ttl.
type tokenServer struct {
	*httptest.Server
	mu       sync.Mutex
	secret   string
	key      *rsa.PublicKey
	ttl      int
	issued   atomic.Int32
	valid    map[string]bool
	block    chan struct{} // when set, requests wait for it
	lastForm map[string][]string
	refuse   bool // the REST API refuses every token
}

func newTokenServer(t *testing.T, secret string, ttl int) *tokenServer {
	ts := &tokenServer{secret: secret, ttl: ttl, valid: map[string]bool{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ts.block != nil {
			<-ts.block
		}
		_ = r.ParseForm()
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.lastForm = r.PostForm
		ok := false
		if id, sec, basic := r.BasicAuth(); basic {
			ok = id == "kafkalink" && sec == ts.secret
		} else if a := r.PostForm.Get("client_assertion"); a != "" && ts.key != nil {
			ok = jws.Verify(a, ts.key) == nil && r.PostForm.Get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
		}
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"bad client credentials"}`)
			return
		}
		tok := fmt.Sprintf("tok-%d", ts.issued.Add(1))
		ts.valid[tok] = true
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": ts.ttl})
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) revokeAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.valid = map[string]bool{}
}

// restServer answers GET /v3/clusters for valid tokens only.
func restServer(t *testing.T, ts *tokenServer) (*httptest.Server, *atomic.Int32) {
	var unauthorized atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		ts.mu.Lock()
		ok := ts.valid[tok] && !ts.refuse
		ts.mu.Unlock()
		if !ok {
			unauthorized.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error_code":40101,"message":"Authentication failed"}`)
			return
		}
		fmt.Fprint(w, `{"kind":"KafkaClusterList","metadata":{},"data":[{"cluster_id":"c1"}]}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &unauthorized
}

func TestTokenCacheRefreshesBeforeExpiry(t *testing.T) {
	ts := newTokenServer(t, "s3cret", 100)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	src := NewTokenSource(OAuthConfig{TokenURL: ts.URL, ClientID: "kafkalink", ClientSecret: "s3cret", Now: clock})
	ctx := context.Background()
	first, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at     time.Duration
		issued int32
	}{
		{10 * time.Second, 1}, // cached
		{79 * time.Second, 1}, // still more than a fifth of its life left
		{81 * time.Second, 2}, // refreshed before it expires (at 100 s)
	} {
		mu.Lock()
		now = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(tc.at)
		mu.Unlock()
		got, err := src.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := ts.issued.Load(); n != tc.issued {
			t.Errorf("at %v: %d tokens issued, want %d", tc.at, n, tc.issued)
		}
		if tc.issued == 1 && got != first {
			t.Errorf("at %v: token changed without a refresh", tc.at)
		}
	}
}

func TestTokenCacheSharesOneRequest(t *testing.T) {
	ts := newTokenServer(t, "s3cret", 3600)
	ts.block = make(chan struct{})
	src := NewTokenSource(OAuthConfig{TokenURL: ts.URL, ClientID: "kafkalink", ClientSecret: "s3cret"})
	var wg sync.WaitGroup
	tokens := make([]string, 32)
	for i := range tokens {
		wg.Go(func() {
			tok, err := src.Token(context.Background())
			if err != nil {
				t.Error(err)
			}
			tokens[i] = tok
		})
	}
	time.Sleep(100 * time.Millisecond) // let every caller queue behind the one request
	close(ts.block)
	wg.Wait()
	if n := ts.issued.Load(); n != 1 {
		t.Errorf("32 concurrent callers made %d token requests, want 1", n)
	}
	for _, tok := range tokens {
		if tok != tokens[0] {
			t.Fatalf("callers got different tokens: %q and %q", tok, tokens[0])
		}
	}
}

// TestRefusedTokenIsReplacedOnce: a 401 from the REST API fetches a fresh
// token and tries once more; a client the identity provider refuses is an
// Unauthorized error (CredentialsError to the controller) with no token or
// secret in its message.
func TestRefusedTokenIsReplacedOnce(t *testing.T) {
	ts := newTokenServer(t, "s3cret", 3600)
	srv, unauthorized := restServer(t, ts)
	c, err := New(Config{Endpoint: srv.URL + "/v3", Tokens: NewTokenSource(OAuthConfig{TokenURL: ts.URL, ClientID: "kafkalink", ClientSecret: "s3cret"}), MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if id, err := c.ClusterID(ctx); err != nil || id != "c1" {
		t.Fatalf("ClusterID %q, %v", id, err)
	}
	ts.revokeAll() // the cached token is no longer accepted
	if _, err := c.ClusterID(ctx); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if n, u := ts.issued.Load(), unauthorized.Load(); n != 2 || u != 1 {
		t.Errorf("%d tokens issued, %d refused calls; want 2 and 1", n, u)
	}

	// A wrong secret: the token endpoint refuses, the call fails once.
	bad, _ := New(Config{Endpoint: srv.URL + "/v3", Tokens: NewTokenSource(OAuthConfig{TokenURL: ts.URL, ClientID: "kafkalink", ClientSecret: "wrong-secret-value"})})
	_, err = bad.ClusterID(ctx)
	if !IsUnauthorized(err) || IsRetryable(err) {
		t.Fatalf("wrong secret: %v (unauthorized %v, retryable %v)", err, IsUnauthorized(err), IsRetryable(err))
	}
	if msg := err.Error(); !strings.Contains(msg, "invalid_client") || strings.Contains(msg, "wrong-secret-value") || strings.Contains(msg, "tok-") {
		t.Errorf("error message %q", msg)
	}
	// A token the REST API keeps refusing: one retry, then 401.
	ts.mu.Lock()
	ts.refuse = true
	ts.mu.Unlock()
	before := ts.issued.Load()
	_, err = c.ClusterID(ctx)
	if !IsUnauthorized(err) || ts.issued.Load()-before > 1 {
		t.Errorf("persistent 401: %v after %d new tokens", err, ts.issued.Load()-before)
	}
}

func TestClientAssertion(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ts := newTokenServer(t, "", 3600)
	ts.key = &key.PublicKey
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	sign := SignedAssertion(AssertionConfig{Issuer: "kafkalink", Subject: "kafkalink", Audience: ts.URL, Lifetime: time.Minute, IncludeJTI: true, IncludeNBF: true, Key: key})
	src := NewTokenSource(OAuthConfig{TokenURL: ts.URL, ClientID: "kafkalink", Assertion: sign, Now: func() time.Time { return now }})
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := ts.lastForm["client_assertion"][0]
	parts := strings.Split(a, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims["iss"] != "kafkalink" || claims["sub"] != "kafkalink" || claims["aud"] != ts.URL || claims["exp"] != float64(now.Add(time.Minute).Unix()) || claims["jti"] == nil || claims["nbf"] != float64(now.Unix()) {
		t.Errorf("claims %+v", claims)
	}
	if ts.lastForm["client_secret"] != nil || ts.lastForm["client_id"][0] != "kafkalink" {
		t.Errorf("form %v", ts.lastForm)
	}
	// Signed with another key: refused.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	bad := NewTokenSource(OAuthConfig{TokenURL: ts.URL, ClientID: "kafkalink", Assertion: SignedAssertion(AssertionConfig{Issuer: "kafkalink", Subject: "kafkalink", Audience: ts.URL, Key: other})})
	if _, err := bad.Token(context.Background()); !IsUnauthorized(err) {
		t.Errorf("assertion signed with another key: %v", err)
	}
}

// TestTokenCacheKeepsValidTokenWhenRefreshFails: an identity provider
// outage at refresh time does not fail calls while the token is valid.
func TestTokenCacheKeepsValidTokenWhenRefreshFails(t *testing.T) {
	ts := newTokenServer(t, "s3cret", 100)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	src := NewTokenSource(OAuthConfig{TokenURL: ts.URL, ClientID: "kafkalink", ClientSecret: "s3cret", Now: clock})
	first, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ts.mu.Lock()
	ts.secret = "rotated" // every refresh is refused from now on
	ts.mu.Unlock()
	mu.Lock()
	now = now.Add(90 * time.Second) // past the refresh point, before expiry
	mu.Unlock()
	if got, err := src.Token(context.Background()); err != nil || got != first {
		t.Fatalf("refresh failing before expiry: %q, %v; want the valid token", got, err)
	}
	mu.Lock()
	now = now.Add(20 * time.Second) // expired
	mu.Unlock()
	if _, err := src.Token(context.Background()); !IsUnauthorized(err) {
		t.Fatalf("after expiry with the refresh refused: %v", err)
	}
}
