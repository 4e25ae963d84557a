package kafkarest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Config configures a Client.
type Config struct {
	// Endpoint is the base URL http(s)://host:port[/path]. When its path
	// ends with /kafka/v3 or /v3 it is used as-is; otherwise the API prefix
	// is discovered on the first call (GET {Endpoint}/kafka/v3/clusters, on
	// 404 GET {Endpoint}/v3/clusters) and cached.
	Endpoint string
	// Username and Password are sent as HTTP basic auth when Username != "".
	Username, Password string
	// BearerToken is sent as "Authorization: Bearer ..." when set and
	// Username is empty.
	BearerToken string
	// Tokens, when set, supplies OAuth bearer tokens (NewTokenSource). A
	// 401 answer invalidates the token and the call is tried once more
	// with a fresh one; a second 401 is the caller's.
	Tokens TokenSource
	// CAPEM replaces the system roots; ClientCertPEM and ClientKeyPEM
	// enable mutual TLS.
	CAPEM, ClientCertPEM, ClientKeyPEM []byte
	// Timeout bounds each HTTP attempt (default 30s); the caller's context
	// deadline also applies.
	Timeout time.Duration
	// MaxAttempts is the number of HTTP attempts per call (default 4; 1
	// disables retries).
	MaxAttempts int
	// InitialBackoff and MaxBackoff bound the full-jitter exponential
	// backoff between attempts (defaults 200ms and 5s).
	InitialBackoff, MaxBackoff time.Duration
	// Observe, when set, is called once per HTTP attempt with the path
	// template (e.g. "/clusters/{cluster_id}/links/{link_name}/mirrors"),
	// the method, the status code (0 on a connection error) and the duration.
	Observe func(endpoint, method string, code int, d time.Duration)
	// UserAgent overrides the default User-Agent.
	UserAgent string
	// Transport replaces the HTTP transport (tests); the TLS settings above
	// are then ignored.
	Transport http.RoundTripper
	// BeforeWrite, when set, is asked before every HTTP attempt of a
	// request that changes something (any method but GET, unless
	// validate_only), retries included; its error ends the call unsent.
	// The controller's leader fence: a replica frozen during a retry's
	// back-off must not send the retry when it resumes.
	BeforeWrite func() error
}

const (
	defaultTimeout        = 30 * time.Second
	defaultMaxAttempts    = 4
	defaultInitialBackoff = 200 * time.Millisecond
	defaultMaxBackoff     = 5 * time.Second
	defaultUserAgent      = "kafkalink-kafkarest/1.0"
	maxResponseBody       = 32 << 20
	maxPages              = 1000
)

// Client talks to one Kafka REST v3 endpoint. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    string // endpoint without trailing slash and without userinfo
	hc      *http.Client
	mu      sync.Mutex
	prefix  string // resolved API prefix URL, "" until discovered
	sleep   func(ctx context.Context, d time.Duration) error
	jitter  func(n int64) int64
	nowFunc func() time.Time
}

// New validates cfg and builds a Client. No network call is made.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.Endpoint) == "" {
		return nil, errors.New("kafkarest: endpoint is empty")
	}
	u, err := url.Parse(strings.TrimSpace(cfg.Endpoint))
	if err != nil {
		return nil, fmt.Errorf("kafkarest: invalid endpoint: %w", redactURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("kafkarest: invalid endpoint: scheme must be http or https, got %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("kafkarest: invalid endpoint: missing host")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("kafkarest: invalid endpoint: query and fragment are not allowed")
	}
	c := &Client{cfg: cfg, nowFunc: time.Now}
	if u.User != nil {
		// Credentials embedded in the URL: use them unless explicit ones are
		// set, and never keep them in the URL (which would leak into errors).
		if cfg.Username == "" && cfg.BearerToken == "" {
			c.cfg.Username = u.User.Username()
			c.cfg.Password, _ = u.User.Password()
		}
		u.User = nil
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	c.base = strings.TrimRight(u.String(), "/")
	if p := u.Path; strings.HasSuffix(p, "/kafka/v3") || strings.HasSuffix(p, "/v3") {
		c.prefix = c.base
	}

	if c.cfg.Timeout <= 0 {
		c.cfg.Timeout = defaultTimeout
	}
	if c.cfg.MaxAttempts <= 0 {
		c.cfg.MaxAttempts = defaultMaxAttempts
	}
	if c.cfg.InitialBackoff <= 0 {
		c.cfg.InitialBackoff = defaultInitialBackoff
	}
	if c.cfg.MaxBackoff <= 0 {
		c.cfg.MaxBackoff = defaultMaxBackoff
	}
	if c.cfg.MaxBackoff < c.cfg.InitialBackoff {
		c.cfg.MaxBackoff = c.cfg.InitialBackoff
	}
	if c.cfg.UserAgent == "" {
		c.cfg.UserAgent = defaultUserAgent
	}

	rt := cfg.Transport
	if rt == nil {
		tlsCfg, err := buildTLS(cfg)
		if err != nil {
			return nil, err
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsCfg
		tr.MaxIdleConnsPerHost = 16
		rt = tr
	}
	c.hc = &http.Client{Transport: rt}
	c.sleep = sleepCtx
	c.jitter = rand.Int64N
	return c, nil
}

func buildTLS(cfg Config) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(cfg.CAPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CAPEM) {
			return nil, errors.New("kafkarest: CA bundle contains no valid PEM certificate")
		}
		t.RootCAs = pool
	}
	switch {
	case len(cfg.ClientCertPEM) > 0 && len(cfg.ClientKeyPEM) > 0:
		pair, err := tls.X509KeyPair(cfg.ClientCertPEM, cfg.ClientKeyPEM)
		if err != nil {
			return nil, fmt.Errorf("kafkarest: invalid client certificate or key: %w", err)
		}
		t.Certificates = []tls.Certificate{pair}
	case len(cfg.ClientCertPEM) > 0 || len(cfg.ClientKeyPEM) > 0:
		return nil, errors.New("kafkarest: client certificate and key must be set together")
	}
	return t, nil
}

func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// request describes one logical call.
type request struct {
	method   string
	tmpl     string   // path template relative to the API prefix
	args     []string // values for the {placeholders} of tmpl, in order
	query    url.Values
	body     any // JSON-encoded when non-nil
	out      any // JSON-decoded from a 2xx body when non-nil
	absolute string
}

// buildPath substitutes the {placeholders} of tmpl with escaped args.
func buildPath(tmpl string, args []string) (string, error) {
	var b strings.Builder
	rest, i := tmpl, 0
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return "", fmt.Errorf("kafkarest: bad path template %q", tmpl)
		}
		name := rest[open+1 : open+end]
		if i >= len(args) {
			return "", fmt.Errorf("kafkarest: %s: missing value for {%s}", tmpl, name)
		}
		v := args[i]
		if v == "" || v == "." || v == ".." {
			return "", fmt.Errorf("kafkarest: %s: invalid %s %q", tmpl, name, v)
		}
		b.WriteString(rest[:open])
		b.WriteString(url.PathEscape(v))
		rest = rest[open+end+1:]
		i++
	}
	if i != len(args) {
		return "", fmt.Errorf("kafkarest: %s: too many path values", tmpl)
	}
	return b.String(), nil
}

// APIPrefix returns the API path prefix in use (/kafka/v3 or /v3), or ""
// before the first request discovered it.
func (c *Client) APIPrefix() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimPrefix(c.prefix, c.base)
}

// apiPrefix returns the API prefix URL, discovering it on first use.
func (c *Client) apiPrefix(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prefix != "" {
		return c.prefix, nil
	}
	var firstErr error
	for _, p := range []string{"/kafka/v3", "/v3"} {
		cand := c.base + p
		err := c.call(ctx, request{method: http.MethodGet, tmpl: "/clusters", absolute: cand + "/clusters"})
		if err == nil {
			c.prefix = cand
			return cand, nil
		}
		if !IsNotFound(err) {
			return "", fmt.Errorf("kafkarest: discover the REST v3 prefix: %w", err)
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	// Deliberately not wrapped with %w: a missing API must not look like a
	// missing link or topic to IsNotFound.
	return "", fmt.Errorf("kafkarest: no Kafka REST v3 API at %s: neither /kafka/v3/clusters nor /v3/clusters exist (%v)", c.base, firstErr)
}

// do resolves the prefix and performs r with retries.
func (c *Client) do(ctx context.Context, r request) error {
	if r.absolute == "" {
		p, err := buildPath(r.tmpl, r.args)
		if err != nil {
			return err
		}
		prefix, err := c.apiPrefix(ctx)
		if err != nil {
			return err
		}
		r.absolute = prefix + p
	}
	return c.call(ctx, r)
}

// call performs r (whose absolute URL is set) with retries.
func (c *Client) call(ctx context.Context, r request) error {
	target := r.absolute
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	var payload []byte
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return fmt.Errorf("kafkarest: %s %s: encode request: %w", r.method, r.tmpl, err)
		}
	}
	var lastErr error
	fresh := false // a refused token was replaced once already
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return c.ctxError(r, err, lastErr)
		}
		token := ""
		var err error
		if c.cfg.Tokens != nil {
			token, err = c.cfg.Tokens.Token(ctx)
		}
		// Asked right before sending, after a token fetch that may itself
		// have taken a while.
		if err == nil && c.cfg.BeforeWrite != nil && r.method != http.MethodGet && r.query.Get("validate_only") != "true" {
			if ferr := c.cfg.BeforeWrite(); ferr != nil {
				return fmt.Errorf("kafkarest: %s %s not sent: %w", r.method, r.tmpl, ferr)
			}
		}
		if err == nil {
			err = c.attempt(ctx, r, target, payload, token)
		}
		if err == nil {
			return nil
		}
		if token != "" && !fresh {
			if e, ok := asError(err); ok && e.StatusCode == http.StatusUnauthorized {
				// The server no longer takes this token (expired early,
				// revoked, the client rotated): one more try with a
				// fresh one, not counted as an attempt.
				c.cfg.Tokens.Invalidate(token)
				fresh = true
				attempt--
				continue
			}
		}
		lastErr = err
		if ctx.Err() != nil {
			return c.ctxError(r, ctx.Err(), lastErr)
		}
		if attempt >= c.cfg.MaxAttempts || !IsRetryable(err) {
			return err
		}
		wait := c.backoff(attempt)
		if ra := RetryAfter(err); ra > 0 {
			wait = min(ra, 4*c.cfg.MaxBackoff)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return c.ctxError(r, err, lastErr)
		}
	}
}

func (c *Client) ctxError(r request, ctxErr, last error) error {
	if last == nil {
		return fmt.Errorf("kafkarest: %s %s: %w", r.method, r.tmpl, ctxErr)
	}
	if errors.Is(last, ctxErr) {
		return last
	}
	return fmt.Errorf("kafkarest: %s %s: %w (last error: %w)", r.method, r.tmpl, ctxErr, last)
}

// backoff returns a full-jitter delay for the given (1-based) attempt.
func (c *Client) backoff(attempt int) time.Duration {
	ceil := c.cfg.InitialBackoff
	for i := 1; i < attempt && ceil < c.cfg.MaxBackoff; i++ {
		ceil *= 2
	}
	ceil = min(ceil, c.cfg.MaxBackoff)
	if ceil <= 0 {
		return 0
	}
	return time.Duration(c.jitter(int64(ceil) + 1))
}

// attempt performs one HTTP exchange.
func (c *Client) attempt(ctx context.Context, r request, target string, payload []byte, token string) (err error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, r.method, target, body)
	if err != nil {
		return fmt.Errorf("kafkarest: %s %s: build request: %w", r.method, r.tmpl, redactURLError(err))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	case c.cfg.Username != "":
		req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	case c.cfg.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+c.cfg.BearerToken)
	}

	start := time.Now()
	code := 0
	defer func() {
		if c.cfg.Observe != nil {
			c.cfg.Observe(r.tmpl, r.method, code, time.Since(start))
		}
	}()
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("kafkarest: %s %s: %w", r.method, r.tmpl, redactURLError(err))
	}
	defer resp.Body.Close()
	code = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return newHTTPError(r.method, r.tmpl, resp, data, c.nowFunc())
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return fmt.Errorf("kafkarest: %s %s: read response: %w", r.method, r.tmpl, err)
	}
	if r.out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, r.out); err != nil {
		return fmt.Errorf("kafkarest: %s %s: decode %d response: %w", r.method, r.tmpl, resp.StatusCode, err)
	}
	return nil
}

// collection is the shape of the *DataList responses.
type collection[T any] struct {
	Metadata struct {
		Next *string `json:"next"`
	} `json:"metadata"`
	Data []T `json:"data"`
}

// list fetches a collection, following metadata.next links on the same host.
func list[T any](ctx context.Context, c *Client, r request) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	for page := 0; ; page++ {
		var out collection[T]
		r.out = &out
		if err := c.do(ctx, r); err != nil {
			return nil, err
		}
		all = append(all, out.Data...)
		if out.Metadata.Next == nil || *out.Metadata.Next == "" || page+1 >= maxPages {
			return all, nil
		}
		next, err := c.sameOrigin(*out.Metadata.Next)
		if err != nil || seen[next] {
			return all, nil // ignore a foreign or looping next link
		}
		seen[next] = true
		r.absolute, r.query = next, nil
	}
}

// sameOrigin resolves next against the endpoint and accepts it only when it
// points to the same scheme and host (credentials must not leak elsewhere).
func (c *Client) sameOrigin(next string) (string, error) {
	base, _ := url.Parse(c.base)
	u, err := base.Parse(next)
	if err != nil {
		return "", err
	}
	if u.Scheme != base.Scheme || u.Host != base.Host {
		return "", errors.New("foreign next link")
	}
	u.User = nil
	return u.String(), nil
}
