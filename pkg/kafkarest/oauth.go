package kafkarest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/oauth2/jws"
)

// TokenSource supplies OAuth bearer tokens for REST calls. Invalidate drops
// a token the REST API refused (401), so the next Token fetches a new one.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
	Invalidate(token string)
}

// OAuthConfig configures an OAuth 2.0 client-credentials token source: the
// client authenticates to the token endpoint with a secret, or with a JWT
// client assertion (RFC 7523).
type OAuthConfig struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	// Scope (space-separated) and Audience are sent when set.
	Scope, Audience string
	// Assertion, when set, is called for every token request and returns
	// the client assertion to send instead of the secret.
	Assertion func(now time.Time) (string, error)
	// HTTPClient talks to the token endpoint (TLS, timeouts).
	HTTPClient *http.Client
	// RetryBackoff and RetryBackoffMax space token requests after a
	// failure (defaults 100ms and 10s, as Kafka's sasl.login.retry.backoff).
	RetryBackoff, RetryBackoffMax time.Duration
	// Now is the clock (tests).
	Now func() time.Time
}

// NewTokenSource returns a token source that caches one token, refreshes it
// before it expires, lets concurrent callers share one token request, and
// backs off after a failed request. Tokens are never logged or put in
// errors.
func NewTokenSource(cfg OAuthConfig) TokenSource {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 100 * time.Millisecond
	}
	if cfg.RetryBackoffMax < cfg.RetryBackoff {
		cfg.RetryBackoffMax = max(10*time.Second, cfg.RetryBackoff)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &tokenCache{cfg: cfg}
}

type tokenCache struct {
	cfg OAuthConfig

	mu        sync.Mutex
	token     *oauth2.Token
	refreshAt time.Time
	expireAt  time.Time // on the cache's clock
	inflight  *tokenCall
	failures  int
	retryAt   time.Time
	lastErr   error
}

type tokenCall struct {
	done  chan struct{}
	token string
	err   error
}

func (c *tokenCache) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	now := c.cfg.Now()
	if c.token != nil && now.Before(c.refreshAt) {
		t := c.token.AccessToken
		c.mu.Unlock()
		return t, nil
	}
	if c.inflight == nil && c.lastErr != nil && now.Before(c.retryAt) {
		// The last request failed moments ago: do not hammer the
		// identity provider; the token still valid serves meanwhile,
		// else say why.
		if c.token != nil && now.Before(c.expireAt) {
			t := c.token.AccessToken
			c.mu.Unlock()
			return t, nil
		}
		err := c.lastErr
		c.mu.Unlock()
		return "", err
	}
	call := c.inflight
	if call == nil {
		call = &tokenCall{done: make(chan struct{})}
		c.inflight = call
		c.mu.Unlock()
		// One request for every waiting caller: it must not end because
		// the first caller gave up.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
		tok, err := c.fetch(fctx)
		cancel()
		c.mu.Lock()
		c.inflight = nil
		switch {
		case err != nil && c.token != nil && c.cfg.Now().Before(c.expireAt):
			// A refresh failed, but the token it was to replace is still
			// valid: keep using it, and try again after the back-off.
			c.failures++
			c.lastErr = err
			c.retryAt = c.cfg.Now().Add(c.backoff())
			call.token = c.token.AccessToken
		case err != nil:
			c.failures++
			c.lastErr = err
			c.retryAt = c.cfg.Now().Add(c.backoff())
			call.err = err
		default:
			c.failures, c.lastErr = 0, nil
			c.token = tok
			now := c.cfg.Now()
			c.refreshAt = refreshTime(now, tok.Expiry)
			c.expireAt = now.Add(time.Hour)
			if !tok.Expiry.IsZero() {
				c.expireAt = now.Add(time.Until(tok.Expiry))
			}
			call.token = tok.AccessToken
		}
		close(call.done)
		c.mu.Unlock()
		return call.token, call.err
	}
	c.mu.Unlock()
	select {
	case <-call.done:
		return call.token, call.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (c *tokenCache) Invalidate(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != nil && c.token.AccessToken == token {
		c.token = nil
	}
}

func (c *tokenCache) backoff() time.Duration {
	d := c.cfg.RetryBackoff
	for i := 1; i < c.failures && d < c.cfg.RetryBackoffMax; i++ {
		d *= 2
	}
	return min(d, c.cfg.RetryBackoffMax)
}

// refreshTime is when a token that expires at expiry (on the wall clock,
// as oauth2 computes it from expires_in) is replaced, on the cache's clock:
// a fifth of its lifetime early, at most a minute (no expiry: an hour).
func refreshTime(now, expiry time.Time) time.Time {
	if expiry.IsZero() {
		return now.Add(time.Hour)
	}
	lifetime := time.Until(expiry)
	return now.Add(lifetime - min(lifetime/5, time.Minute))
}

func (c *tokenCache) fetch(ctx context.Context) (*oauth2.Token, error) {
	cc := clientcredentials.Config{
		ClientID:     c.cfg.ClientID,
		ClientSecret: c.cfg.ClientSecret,
		TokenURL:     c.cfg.TokenURL,
		Scopes:       strings.Fields(c.cfg.Scope),
		// A secret goes in the Authorization header (client_secret_basic).
		AuthStyle:      oauth2.AuthStyleInHeader,
		EndpointParams: url.Values{},
	}
	if c.cfg.Audience != "" {
		cc.EndpointParams.Set("audience", c.cfg.Audience)
	}
	if c.cfg.Assertion != nil {
		assertion, err := c.cfg.Assertion(c.cfg.Now())
		if err != nil {
			return nil, &Error{StatusCode: http.StatusUnauthorized, Endpoint: "OAuth token endpoint", Message: "build the client assertion: " + err.Error()}
		}
		cc.ClientSecret = ""
		cc.AuthStyle = oauth2.AuthStyleInParams
		cc.EndpointParams.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		cc.EndpointParams.Set("client_assertion", assertion)
	}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient))
	if err == nil {
		return tok, nil
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		status := re.Response.StatusCode
		msg := re.ErrorCode
		if re.ErrorDescription != "" {
			msg += ": " + re.ErrorDescription
		}
		if msg == "" {
			msg = http.StatusText(status)
		}
		if status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden {
			// The identity provider refused the client: a credentials
			// problem, not an outage.
			status = http.StatusUnauthorized
		}
		return nil, &Error{StatusCode: status, Method: http.MethodPost, Endpoint: "OAuth token endpoint", Message: "the token endpoint refused the request: " + msg}
	}
	return nil, fmt.Errorf("kafkarest: OAuth token endpoint %s: %w", redactURL(c.cfg.TokenURL), redactURLError(err))
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}

// AssertionConfig describes the JWT a client signs to authenticate to the
// token endpoint (RFC 7523 client assertion).
type AssertionConfig struct {
	Issuer, Subject, Audience string
	Lifetime                  time.Duration
	IncludeJTI, IncludeNBF    bool
	Key                       *rsa.PrivateKey
}

// SignedAssertion returns a function that signs a fresh RS256 assertion
// for every token request.
func SignedAssertion(a AssertionConfig) func(now time.Time) (string, error) {
	return func(now time.Time) (string, error) {
		if a.Key == nil {
			return "", errors.New("no private key")
		}
		lifetime := a.Lifetime
		if lifetime <= 0 {
			lifetime = 5 * time.Minute
		}
		claims := &jws.ClaimSet{Iss: a.Issuer, Sub: a.Subject, Aud: a.Audience, Iat: now.Unix(), Exp: now.Add(lifetime).Unix(), PrivateClaims: map[string]any{}}
		if a.IncludeJTI {
			b := make([]byte, 16)
			if _, err := rand.Read(b); err != nil {
				return "", err
			}
			claims.PrivateClaims["jti"] = hex.EncodeToString(b)
		}
		if a.IncludeNBF {
			claims.PrivateClaims["nbf"] = now.Unix()
		}
		return jws.Encode(&jws.Header{Algorithm: "RS256", Typ: "JWT"}, claims, a.Key)
	}
}
