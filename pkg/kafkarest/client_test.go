package kafkarest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestNewValidation(t *testing.T) {
	pki := newPKI(t)
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"empty", Config{}, "endpoint is empty"},
		{"no scheme", Config{Endpoint: "localhost:8082"}, "scheme"},
		{"ftp", Config{Endpoint: "ftp://h/v3"}, "scheme"},
		{"no host", Config{Endpoint: "http:///v3"}, "missing host"},
		{"query", Config{Endpoint: "http://h/v3?x=1"}, "query"},
		{"bad url", Config{Endpoint: "http://h:bad port/"}, "invalid endpoint"},
		{"bad CA", Config{Endpoint: "https://h", CAPEM: []byte("garbage")}, "no valid PEM"},
		{"cert without key", Config{Endpoint: "https://h", ClientCertPEM: pki.clientCertPEM}, "must be set together"},
		{"bad key pair", Config{Endpoint: "https://h", ClientCertPEM: pki.clientCertPEM, ClientKeyPEM: []byte("x")}, "invalid client certificate"},
		{"ok", Config{Endpoint: "https://h:8090/kafka/v3/", CAPEM: pki.caPEM, ClientCertPEM: pki.clientCertPEM, ClientKeyPEM: pki.clientKP}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.prefix != "https://h:8090/kafka/v3" || c.cfg.Timeout != defaultTimeout || c.cfg.MaxAttempts != defaultMaxAttempts ||
					c.cfg.InitialBackoff != defaultInitialBackoff || c.cfg.MaxBackoff != defaultMaxBackoff || c.cfg.UserAgent != defaultUserAgent {
					t.Errorf("defaults not applied: %+v prefix %q", c.cfg, c.prefix)
				}
				tr := c.hc.Transport.(*http.Transport)
				if tr.TLSClientConfig.MinVersion != tls.VersionTLS12 || len(tr.TLSClientConfig.Certificates) != 1 || tr.TLSClientConfig.RootCAs == nil {
					t.Errorf("TLS config = %+v", tr.TLSClientConfig)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
	c, err := New(Config{Endpoint: "http://h", InitialBackoff: time.Second, MaxBackoff: time.Millisecond})
	if err != nil || c.cfg.MaxBackoff != time.Second {
		t.Errorf("MaxBackoff below InitialBackoff not raised: %v %v", c.cfg.MaxBackoff, err)
	}
}

func TestPrefixDiscovery(t *testing.T) {
	tests := []struct {
		name       string
		routes     []string // paths answering GET /clusters
		suffix     string   // appended to the server URL
		wantPrefix string   // relative to the server URL
		wantErr    string
		wantCalls  []string // paths requested, in order
	}{
		{
			name: "kafka/v3", routes: []string{"/kafka/v3/clusters", "/kafka/v3/clusters/c/links"},
			wantPrefix: "/kafka/v3", wantCalls: []string{"/kafka/v3/clusters", "/kafka/v3/clusters/c/links", "/kafka/v3/clusters/c/links"},
		},
		{
			name: "v3 fallback", routes: []string{"/v3/clusters", "/v3/clusters/c/links"},
			wantPrefix: "/v3", wantCalls: []string{"/kafka/v3/clusters", "/v3/clusters", "/v3/clusters/c/links", "/v3/clusters/c/links"},
		},
		{
			name: "base path", routes: []string{"/rest/v3/clusters", "/rest/v3/clusters/c/links"}, suffix: "/rest/",
			wantPrefix: "/rest/v3", wantCalls: []string{"/rest/kafka/v3/clusters", "/rest/v3/clusters", "/rest/v3/clusters/c/links", "/rest/v3/clusters/c/links"},
		},
		{
			name: "explicit v3", routes: []string{"/v3/clusters/c/links"}, suffix: "/v3",
			wantPrefix: "/v3", wantCalls: []string{"/v3/clusters/c/links", "/v3/clusters/c/links"},
		},
		{
			name: "explicit kafka/v3", routes: []string{"/kafka/v3/clusters/c/links"}, suffix: "/kafka/v3/",
			wantPrefix: "/kafka/v3", wantCalls: []string{"/kafka/v3/clusters/c/links", "/kafka/v3/clusters/c/links"},
		},
		{
			name: "nothing", routes: nil, wantErr: "no Kafka REST v3 API",
			wantCalls: []string{"/kafka/v3/clusters", "/v3/clusters", "/kafka/v3/clusters", "/v3/clusters"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			routes := map[string]http.HandlerFunc{}
			for _, p := range tt.routes {
				routes["GET "+p] = reply(200, `{"data":[]}`)
			}
			f := newFake(t, routes)
			c, _ := newClient(t, testConfig(f.URL+tt.suffix))
			for range 2 {
				_, err := c.ListLinks(context.Background(), "c")
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("err = %v, want %q", err, tt.wantErr)
					}
					if IsNotFound(err) {
						t.Errorf("a missing API must not look like a missing resource: %v", err)
					}
					if strings.Contains(err.Error(), "@") {
						t.Errorf("error leaks userinfo: %v", err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			var paths []string
			for _, r := range f.requests() {
				paths = append(paths, r.Path)
			}
			if strings.Join(paths, " ") != strings.Join(tt.wantCalls, " ") {
				t.Errorf("requests = %v, want %v", paths, tt.wantCalls)
			}
			if tt.wantErr == "" && c.prefix != f.URL+tt.wantPrefix {
				t.Errorf("prefix = %q, want %q", c.prefix, f.URL+tt.wantPrefix)
			}
		})
	}
}

func TestDiscoveryErrorsPropagate(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{
		"GET /kafka/v3/clusters": reply(401, `{"error_code":401,"message":"Unauthorized"}`),
	})
	c, _ := newClient(t, testConfig(f.URL))
	_, err := c.ListLinks(context.Background(), "c")
	if !IsUnauthorized(err) || !strings.Contains(err.Error(), "discover") {
		t.Fatalf("err = %v, want unauthorized discovery error", err)
	}
	if c.prefix != "" {
		t.Errorf("failed discovery cached: %q", c.prefix)
	}
}

func TestAuthHeaders(t *testing.T) {
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	tests := []struct {
		name     string
		mutate   func(cfg *Config, srv string)
		wantAuth string
		wantUA   string
	}{
		{"none", func(*Config, string) {}, "", defaultUserAgent},
		{"basic", func(c *Config, _ string) { c.Username, c.Password = "KEY", "SECRET" }, basic("KEY", "SECRET"), defaultUserAgent},
		{"bearer", func(c *Config, _ string) { c.BearerToken = "tok-123" }, "Bearer tok-123", defaultUserAgent},
		{"basic wins over bearer", func(c *Config, _ string) { c.Username, c.Password, c.BearerToken = "u", "p", "tok" }, basic("u", "p"), defaultUserAgent},
		{"userinfo in URL", func(c *Config, srv string) {
			c.Endpoint = strings.Replace(srv, "http://", "http://urlkey:url%20secret@", 1) + "/v3"
		}, basic("urlkey", "url secret"), defaultUserAgent},
		{"explicit creds beat userinfo", func(c *Config, srv string) {
			c.Endpoint = strings.Replace(srv, "http://", "http://urlkey:x@", 1) + "/v3"
			c.Username, c.Password = "cfg", "pw"
		}, basic("cfg", "pw"), defaultUserAgent},
		{"user agent", func(c *Config, _ string) { c.UserAgent = "kafkalink/test" }, "", "kafkalink/test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, map[string]http.HandlerFunc{"GET /v3/clusters": reply(200, clustersBody)})
			cfg := testConfig(f.URL + "/v3")
			tt.mutate(&cfg, f.URL)
			c, _ := newClient(t, cfg)
			if strings.Contains(c.base, "@") {
				t.Errorf("base keeps userinfo: %q", c.base)
			}
			if _, err := c.ListClusters(context.Background()); err != nil {
				t.Fatal(err)
			}
			h := f.requests()[0].Header
			if got := h.Get("Authorization"); got != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", got, tt.wantAuth)
			}
			if got := h.Get("User-Agent"); got != tt.wantUA {
				t.Errorf("User-Agent = %q, want %q", got, tt.wantUA)
			}
		})
	}
}

func TestCredentialsNotInErrors(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{"GET /v3/clusters": reply(403, `{"error_code":40301,"message":"Forbidden"}`)})
	cfg := testConfig(strings.Replace(f.URL, "http://", "http://user:hunter2@", 1) + "/v3")
	cfg.BearerToken = "tok-secret"
	c, _ := newClient(t, cfg)
	_, err := c.ListClusters(context.Background())
	if !IsUnauthorized(err) {
		t.Fatalf("err = %v", err)
	}
	// and a connection error, whose text would contain the URL
	f.Close()
	_, err2 := c.ListClusters(context.Background())
	for _, e := range []error{err, err2} {
		if s := e.Error(); strings.Contains(s, "hunter2") || strings.Contains(s, "tok-secret") || strings.Contains(s, "user") {
			t.Errorf("error leaks credentials: %q", s)
		}
	}
}

func TestTLS(t *testing.T) {
	pki := newPKI(t)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			t.Error("not TLS")
		}
		writeJSON(w, 200, clustersBody)
	})
	newTLSServer := func(t *testing.T, mutate func(*tls.Config)) *httptest.Server {
		srv := httptest.NewUnstartedServer(ok)
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.serverCert}}
		if mutate != nil {
			mutate(srv.TLS)
		}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(pki.caCert)
	requireClientCert := func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = clientCAs
	}
	otherPKI := newPKI(t)

	tests := []struct {
		name       string
		server     func(*tls.Config)
		cfg        func(*Config)
		wantErr    bool
		retryable  bool
		wantErrSub string
	}{
		{name: "custom CA", cfg: func(c *Config) { c.CAPEM = pki.caPEM }},
		{name: "mTLS", server: requireClientCert, cfg: func(c *Config) {
			c.CAPEM, c.ClientCertPEM, c.ClientKeyPEM = pki.caPEM, pki.clientCertPEM, pki.clientKP
		}},
		{name: "mTLS without client cert", server: requireClientCert, cfg: func(c *Config) { c.CAPEM = pki.caPEM }, wantErr: true},
		{name: "unknown CA (system roots)", cfg: func(*Config) {}, wantErr: true, wantErrSub: "certificate"},
		{name: "wrong CA", cfg: func(c *Config) { c.CAPEM = otherPKI.caPEM }, wantErr: true, wantErrSub: "certificate"},
		{name: "TLS 1.1 server refused", server: func(c *tls.Config) {
			c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		}, cfg: func(c *Config) { c.CAPEM = pki.caPEM }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTLSServer(t, tt.server)
			cfg := testConfig(srv.URL + "/v3")
			tt.cfg(&cfg)
			attempts := 0
			cfg.Observe = func(string, string, int, time.Duration) { attempts++ }
			c, _ := newClient(t, cfg)
			_, err := c.ListClusters(context.Background())
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), tt.wantErrSub) {
				t.Errorf("err = %v, want %q", err, tt.wantErrSub)
			}
			if IsRetryable(err) != tt.retryable {
				t.Errorf("IsRetryable(%v) = %v", err, IsRetryable(err))
			}
			if tt.name != "mTLS without client cert" && attempts != 1 {
				// a missing client cert may surface as a reset on the first read (TLS 1.3)
				t.Errorf("attempts = %d, want 1 (TLS errors are not retried)", attempts)
			}
		})
	}
}

func TestTypedErrors(t *testing.T) {
	tests := []struct {
		name                                    string
		status                                  int
		body, contentType                       string
		wantCode                                int
		wantMsg                                 string
		notFound, exists, unauth, retry, stoppd bool
		wantString                              string
	}{
		{name: "404 link", status: 404, body: `{"error_code":40403,"message":"Cluster link 'x' does not exist."}`,
			wantCode: 40403, wantMsg: "Cluster link 'x' does not exist.", notFound: true,
			wantString: "GET /clusters/{cluster_id}/links/{link_name}: 404 (error_code 40403): Cluster link 'x' does not exist."},
		{name: "409", status: 409, body: `{"error_code":40902,"message":"Cluster link 'x' already exists"}`,
			wantCode: 40902, wantMsg: "Cluster link 'x' already exists", exists: true,
			wantString: "GET /clusters/{cluster_id}/links/{link_name}: 409 (error_code 40902): Cluster link 'x' already exists"},
		{name: "400 already exists", status: 400, body: `{"error_code":40002,"message":"Topic 'x' already exists."}`, wantCode: 40002, wantMsg: "Topic 'x' already exists.", exists: true},
		{name: "400 other", status: 400, body: `{"error_code":400,"message":"bad"}`, wantCode: 400, wantMsg: "bad",
			wantString: "GET /clusters/{cluster_id}/links/{link_name}: 400: bad"},
		{name: "400 already stopped", status: 400, body: `{"error_code":400,"message":"Topic 't' has already stopped its mirror"}`, wantCode: 400, wantMsg: "Topic 't' has already stopped its mirror", stoppd: true},
		{name: "401", status: 401, body: `{"error_code":401,"message":"Unauthorized"}`, wantCode: 401, wantMsg: "Unauthorized", unauth: true},
		{name: "403 string code", status: 403, body: `{"error_code":"40301","message":"Forbidden"}`, wantCode: 40301, wantMsg: "Forbidden", unauth: true},
		{name: "float code", status: 400, body: `{"error_code":40002.0,"message":"m"}`, wantCode: 40002, wantMsg: "m"},
		{name: "null code", status: 400, body: `{"error_code":null,"message":"m"}`, wantMsg: "m"},
		{name: "weird code", status: 400, body: `{"error_code":{},"detail":"d"}`, wantMsg: "d"},
		{name: "empty body", status: 404, body: ``, wantMsg: "Not Found", notFound: true,
			wantString: "GET /clusters/{cluster_id}/links/{link_name}: 404: Not Found"},
		{name: "text body", status: 404, body: "no such\n  thing", contentType: "text/plain", wantMsg: "no such thing", notFound: true},
		{name: "long text body", status: 400, body: strings.Repeat("a", 600), contentType: "text/plain", wantMsg: strings.Repeat("a", 512) + "..."},
		{name: "html body", status: 502, body: "<html><body>Bad gateway</body></html>", contentType: "text/html", wantMsg: "Bad Gateway", retry: true},
		{name: "broken json", status: 500, body: `{"error_code":`, wantMsg: "Internal Server Error", retry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, map[string]http.HandlerFunc{
				"GET /v3/clusters/c/links/x": func(w http.ResponseWriter, _ *http.Request) {
					ct := tt.contentType
					if ct == "" {
						ct = "application/json"
					}
					w.Header().Set("Content-Type", ct)
					w.WriteHeader(tt.status)
					_, _ = io.WriteString(w, tt.body)
				},
			})
			cfg := testConfig(f.URL + "/v3")
			cfg.MaxAttempts = 1
			c, _ := newClient(t, cfg)
			_, err := c.GetLink(context.Background(), "c", "x")
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("err = %#v, want *Error", err)
			}
			if re.StatusCode != tt.status || re.ErrorCode != tt.wantCode || re.Message != tt.wantMsg || re.Method != "GET" || re.Endpoint != pathLink {
				t.Errorf("Error = %+v", re)
			}
			if tt.wantString != "" && err.Error() != tt.wantString {
				t.Errorf("Error() = %q, want %q", err.Error(), tt.wantString)
			}
			checks := []struct {
				name      string
				got, want bool
			}{
				{"IsNotFound", IsNotFound(err), tt.notFound},
				{"IsAlreadyExists", IsAlreadyExists(err), tt.exists},
				{"IsUnauthorized", IsUnauthorized(err), tt.unauth},
				{"IsRetryable", IsRetryable(err), tt.retry},
				{"IsAlreadyStopped", IsAlreadyStopped(err), tt.stoppd},
			}
			for _, ch := range checks {
				if ch.got != ch.want {
					t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
				}
			}
			wrapped := fmt.Errorf("reconcile: %w", err)
			if IsNotFound(wrapped) != tt.notFound || IsRetryable(wrapped) != tt.retry {
				t.Error("helpers do not see through wrapping")
			}
		})
	}
}

func TestHelpersOnOtherErrors(t *testing.T) {
	plain := errors.New("Topic 'x' has already stopped its mirror")
	if !IsAlreadyStopped(plain) || IsAlreadyStopped(nil) || IsAlreadyStopped(errors.New("other")) {
		t.Error("IsAlreadyStopped on plain errors")
	}
	for _, f := range []func(error) bool{IsNotFound, IsAlreadyExists, IsUnauthorized, IsRetryable} {
		if f(nil) || f(errors.New("x")) {
			t.Error("helper true for nil/plain error")
		}
	}
	if RetryAfter(nil) != 0 || RetryAfter(errors.New("x")) != 0 || RetryAfter(&Error{RetryAfter: time.Second}) != time.Second {
		t.Error("RetryAfter")
	}
	if got := (&Error{StatusCode: 500}).Error(); got != "500" {
		t.Errorf("bare Error() = %q", got)
	}
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("boom"), false},
		{"EOF", fmt.Errorf("x: %w", io.EOF), true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true},
		{"reset", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, true},
		{"refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"broken pipe", syscall.EPIPE, true},
		{"url error", &url.Error{Op: "Get", URL: "u", Err: errors.New("x")}, true},
		{"url canceled", &url.Error{Op: "Get", URL: "u", Err: context.Canceled}, false},
		{"canceled", context.Canceled, false},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{"dns", &net.DNSError{Err: "no such host", Name: "h", IsNotFound: true}, true},
		{"x509", &url.Error{Op: "Get", URL: "u", Err: x509.UnknownAuthorityError{}}, false},
		{"tls alert", tls.AlertError(42), false},
		{"429", &Error{StatusCode: 429}, true},
		{"408", &Error{StatusCode: 408}, true},
		{"500", &Error{StatusCode: 500}, true},
		{"503", &Error{StatusCode: 503}, true},
		{"404", &Error{StatusCode: 404}, false},
		{"409", &Error{StatusCode: 409}, false},
	}
	for _, tt := range tests {
		if got := IsRetryable(tt.err); got != tt.want {
			t.Errorf("%s: IsRetryable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"0.5":                           500 * time.Millisecond,
		"-1":                            0,
		"soon":                          0,
		"Mon, 01 Jan 2024 00:00:07 GMT": 7 * time.Second,
		"Sun, 31 Dec 2023 00:00:07 GMT": 0,
	}
	for in, want := range tests {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// observation is one Observe call.
type observation struct {
	endpoint, method string
	code             int
}

type observer struct {
	mu  sync.Mutex
	obs []observation
}

func (o *observer) observe(ep, method string, code int, d time.Duration) {
	if d < 0 {
		panic("negative duration")
	}
	o.mu.Lock()
	o.obs = append(o.obs, observation{ep, method, code})
	o.mu.Unlock()
}

func (o *observer) got() []observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]observation(nil), o.obs...)
}

func TestRetries(t *testing.T) {
	html429 := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(429)
		_, _ = io.WriteString(w, "<html><head><title>429 Too Many Requests</title></head><body>slow down</body></html>")
	}
	retryAfter := func(v string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", v)
			writeJSON(w, 429, `{"error_code":429,"message":"Too many requests"}`)
		}
	}
	ok := reply(200, `{"data":[]}`)
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		maxAttempts int
		wantErr     bool
		wantCodes   []int
		wantDelays  []time.Duration // with jitter pinned to the ceiling
		check       func(t *testing.T, err error)
	}{
		{
			name:      "503 503 then 200",
			handler:   sequence(reply(503, `{"error_code":503,"message":"unavailable"}`), reply(500, `{}`), ok),
			wantCodes: []int{503, 500, 200}, wantDelays: []time.Duration{time.Millisecond, 2 * time.Millisecond},
		},
		{
			name:      "429 with Retry-After honoured",
			handler:   sequence(retryAfter("0.005"), ok),
			wantCodes: []int{429, 200}, wantDelays: []time.Duration{5 * time.Millisecond},
		},
		{
			name:      "Retry-After capped at 4*MaxBackoff",
			handler:   sequence(retryAfter("3600"), ok),
			wantCodes: []int{429, 200}, wantDelays: []time.Duration{40 * time.Millisecond},
		},
		{
			name:      "HTML 429 without Retry-After falls back to backoff",
			handler:   sequence(html429, html429, ok),
			wantCodes: []int{429, 429, 200}, wantDelays: []time.Duration{time.Millisecond, 2 * time.Millisecond},
		},
		{
			name:      "HTML 429 exhausted gives a clean error",
			handler:   html429,
			wantErr:   true,
			wantCodes: []int{429, 429, 429, 429}, wantDelays: []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond},
			check: func(t *testing.T, err error) {
				var re *Error
				if !errors.As(err, &re) || re.StatusCode != 429 || re.Message != "Too Many Requests" || re.RetryAfter != 0 {
					t.Errorf("err = %#v", err)
				}
				if strings.Contains(err.Error(), "<html") {
					t.Errorf("HTML in error: %v", err)
				}
			},
		},
		{
			name:    "backoff capped at MaxBackoff",
			handler: reply(502, ``),
			wantErr: true, maxAttempts: 6,
			wantCodes:  []int{502, 502, 502, 502, 502, 502},
			wantDelays: []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond, 10 * time.Millisecond},
		},
		{
			name:      "400 not retried",
			handler:   reply(400, `{"error_code":40002,"message":"bad"}`),
			wantErr:   true,
			wantCodes: []int{400},
		},
		{
			name:      "404 not retried",
			handler:   reply(404, `{"error_code":40403,"message":"nope"}`),
			wantErr:   true,
			wantCodes: []int{404},
			check: func(t *testing.T, err error) {
				if !IsNotFound(err) {
					t.Errorf("err = %v", err)
				}
			},
		},
		{
			name:    "MaxAttempts 1 disables retries",
			handler: reply(503, ``),
			wantErr: true, maxAttempts: 1,
			wantCodes: []int{503},
		},
		{
			name: "connection dropped then success",
			handler: sequence(func(w http.ResponseWriter, _ *http.Request) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
			}, ok),
			wantCodes: []int{0, 200}, wantDelays: []time.Duration{time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, map[string]http.HandlerFunc{"GET /v3/clusters/c/links": tt.handler})
			cfg := testConfig(f.URL + "/v3")
			if tt.maxAttempts != 0 {
				cfg.MaxAttempts = tt.maxAttempts
			}
			o := &observer{}
			cfg.Observe = o.observe
			c, s := newClient(t, cfg)
			_, err := c.ListLinks(context.Background(), "c")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			var codes []int
			for _, ob := range o.got() {
				codes = append(codes, ob.code)
				if ob.endpoint != pathLinks || ob.method != "GET" {
					t.Errorf("observed %+v", ob)
				}
			}
			if fmt.Sprint(codes) != fmt.Sprint(tt.wantCodes) {
				t.Errorf("codes = %v, want %v", codes, tt.wantCodes)
			}
			if got := s.got(); fmt.Sprint(got) != fmt.Sprint(tt.wantDelays) {
				t.Errorf("delays = %v, want %v", got, tt.wantDelays)
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func TestRetryCreateOnConflictIsNotRetried(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{
		"POST /v3/clusters/c/links": sequence(reply(503, ``), reply(409, `{"error_code":40902,"message":"Cluster link 'l' already exists"}`)),
	})
	c, _ := newClient(t, testConfig(f.URL+"/v3"))
	err := c.CreateLink(context.Background(), "c", "l", CreateLinkRequest{SourceClusterID: "s"}, CreateLinkOptions{})
	if !IsAlreadyExists(err) {
		t.Fatalf("err = %v", err)
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].Body != reqs[1].Body || reqs[1].Body == "" {
		t.Errorf("retried request bodies differ or are missing: %+v", reqs)
	}
}

func TestRealBackoffJitter(t *testing.T) {
	c, err := New(Config{Endpoint: "http://h/v3", InitialBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt < 8; attempt++ {
		ceil := min(10*time.Millisecond<<(attempt-1), 40*time.Millisecond)
		for range 50 {
			if d := c.backoff(attempt); d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %v, outside [0,%v]", attempt, d, ceil)
			}
		}
	}
	// the real sleep honours the context
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleepCtx = %v", err)
	}
	if err := sleepCtx(context.Background(), time.Millisecond); err != nil {
		t.Errorf("sleepCtx = %v", err)
	}
	if err := sleepCtx(context.Background(), 0); err != nil {
		t.Errorf("sleepCtx(0) = %v", err)
	}
}

func TestContextDeadline(t *testing.T) {
	release := make(chan struct{})
	f := newFake(t, map[string]http.HandlerFunc{
		"GET /v3/clusters/c/links": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		},
	})
	defer close(release)
	o := &observer{}
	cfg := testConfig(f.URL + "/v3")
	cfg.Observe = o.observe
	c, _ := newClient(t, cfg)
	c.sleep = sleepCtx

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.ListLinks(ctx, "c")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v, the ctx deadline was not respected", el)
	}
	if got := o.got(); len(got) != 1 || got[0].code != 0 {
		t.Errorf("observed %+v, want one attempt with code 0", got)
	}

	// cancelled context: not retryable, nothing sent
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	_, err = c.ListLinks(cctx, "c")
	if !errors.Is(err, context.Canceled) || IsRetryable(err) {
		t.Errorf("err = %v", err)
	}
}

func TestPerAttemptTimeoutRetried(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{
		"GET /v3/clusters/c/links": sequence(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // hang until the client gives up
		}, reply(200, `{"data":[{"link_name":"l"}]}`)),
	})
	cfg := testConfig(f.URL + "/v3")
	cfg.Timeout = 50 * time.Millisecond
	o := &observer{}
	cfg.Observe = o.observe
	c, _ := newClient(t, cfg)
	links, err := c.ListLinks(context.Background(), "c")
	if err != nil || len(links) != 1 {
		t.Fatalf("ListLinks = %v, %v", links, err)
	}
	if got := o.got(); len(got) != 2 || got[0].code != 0 || got[1].code != 200 {
		t.Errorf("observed %+v", got)
	}
}

func TestContextCancelledDuringBackoff(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{"GET /v3/clusters/c/links": reply(503, `{"error_code":503,"message":"down"}`)})
	cfg := testConfig(f.URL + "/v3")
	cfg.InitialBackoff, cfg.MaxBackoff = time.Hour, time.Hour
	c, _ := newClient(t, cfg)
	c.sleep = sleepCtx
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := c.ListLinks(ctx, "c")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	var re *Error
	if !errors.As(err, &re) || re.StatusCode != 503 {
		t.Errorf("last error not kept: %v", err)
	}
	if n := f.count("GET", "/v3/clusters/c/links"); n != 1 {
		t.Errorf("%d attempts", n)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	o := &observer{}
	cfg := testConfig("http://" + addr + "/kafka/v3")
	cfg.Observe = o.observe
	c, s := newClient(t, cfg)
	err = c.DeleteTopic(context.Background(), "c", "t")
	if err == nil || !IsRetryable(err) || IsNotFound(err) {
		t.Fatalf("err = %v", err)
	}
	if len(s.got()) != 3 {
		t.Errorf("delays = %v, want 3 retries", s.got())
	}
	for _, ob := range o.got() {
		if ob != (observation{pathTopic, "DELETE", 0}) {
			t.Errorf("observed %+v", ob)
		}
	}
	if strings.Contains(err.Error(), "127.0.0.1") && !strings.Contains(err.Error(), "dial") {
		t.Errorf("unexpected error text %q", err)
	}
}

func TestObserveTemplates(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{
		"GET /kafka/v3/clusters":                             reply(200, clustersBody),
		"GET /kafka/v3/clusters/c/links/l%2Fx/mirrors/t":     reply(200, getMirrorBody),
		"POST /kafka/v3/clusters/c/links/l%2Fx/mirrors":      reply(201, ``),
		"DELETE /kafka/v3/clusters/c/links/l%2Fx":            reply(404, `{"error_code":40403,"message":"gone"}`),
		"PUT /kafka/v3/clusters/c/links/l%2Fx/configs:alter": reply(204, ``),
	})
	o := &observer{}
	cfg := testConfig(f.URL)
	cfg.Observe = o.observe
	c, _ := newClient(t, cfg)
	ctx := context.Background()
	if _, err := c.GetMirror(ctx, "c", "l/x", "t"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateMirror(ctx, "c", "l/x", CreateMirrorRequest{SourceTopicName: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteLink(ctx, "c", "l/x", false, false); !IsNotFound(err) {
		t.Fatal(err)
	}
	if err := c.AlterLinkConfigs(ctx, "c", "l/x", nil, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	want := []observation{
		{"/clusters", "GET", 200},
		{"/clusters/{cluster_id}/links/{link_name}/mirrors/{mirror_topic_name}", "GET", 200},
		{"/clusters/{cluster_id}/links/{link_name}/mirrors", "POST", 201},
		{"/clusters/{cluster_id}/links/{link_name}", "DELETE", 404},
		{"/clusters/{cluster_id}/links/{link_name}/configs:alter", "PUT", 204},
	}
	if got := o.got(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("observed\n%v\nwant\n%v", got, want)
	}
}

func TestConcurrentDiscovery(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{
		"GET /kafka/v3/clusters":         reply(200, clustersBody),
		"GET /kafka/v3/clusters/c/links": reply(200, `{"data":[]}`),
	})
	c, _ := newClient(t, testConfig(f.URL))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.ListLinks(context.Background(), "c"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := f.count("GET", "/kafka/v3/clusters"); n != 1 {
		t.Errorf("discovery ran %d times", n)
	}
}

// BeforeWrite is asked before every attempt of a write, retries included,
// and its refusal ends the call unsent; reads and validate_only requests
// are not writes.
func TestBeforeWriteGuardsEveryAttempt(t *testing.T) {
	fenced := errors.New("fenced")
	unavailable := reply(503, `{"error_code":503,"message":"unavailable"}`)
	f := newFake(t, map[string]http.HandlerFunc{
		"DELETE /v3/clusters/c/links/l": unavailable,
		"GET /v3/clusters/c/links":      reply(200, `{"data":[]}`),
	})
	cfg := testConfig(f.URL + "/v3")
	asked := 0
	cfg.BeforeWrite = func() error {
		asked++
		if asked > 1 {
			return fenced // the fence closed during the back-off
		}
		return nil
	}
	o := &observer{}
	cfg.Observe = o.observe
	c, _ := newClient(t, cfg)
	err := c.DeleteLink(context.Background(), "c", "l", false, false)
	if !errors.Is(err, fenced) {
		t.Fatalf("err = %v, want the fence's refusal", err)
	}
	if n := len(o.got()); n != 1 || asked != 2 {
		t.Errorf("%d attempts sent, fence asked %d times; want the first sent and the retry refused", n, asked)
	}
	// Reads and validate_only are sent whatever the fence says.
	if _, err := c.ListLinks(context.Background(), "c"); err != nil {
		t.Errorf("read refused: %v", err)
	}
	before := len(o.got())
	_ = c.DeleteLink(context.Background(), "c", "l", false, true)
	if len(o.got()) == before {
		t.Error("a validate_only request was not sent")
	}
}
