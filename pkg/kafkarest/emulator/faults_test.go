package emulator

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func serve(t *testing.T, e *Emulator, id string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	u, err := e.Serve(ctx, id, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func get(t *testing.T, url string) (*http.Response, string, error) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults Faults
		check  func(t *testing.T, resp *http.Response, body string, err error)
	}{
		{"429 json", Faults{TooManyRequests: 1}, func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" ||
				!strings.Contains(body, `"error_code":42901`) {
				t.Errorf("got %v %v %q", err, resp, body)
			}
		}},
		{"429 html", Faults{TooManyRequests: 1, HTML429: true}, func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "<html>") {
				t.Errorf("got %v %v %q", err, resp, body)
			}
		}},
		{"5xx", Faults{ErrorRate: 1}, func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 500 || !strings.Contains(body, `"error_code":500`) {
				t.Errorf("got %v %v %q", err, resp, body)
			}
		}},
		{"drop", Faults{DropConnections: 1}, func(t *testing.T, resp *http.Response, body string, err error) {
			if err == nil {
				t.Errorf("dropped connection gave %v %q", resp.StatusCode, body)
			}
		}},
		{"auth failure", Faults{AuthFailure: true}, func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 401 || !strings.Contains(body, `"error_code":401`) {
				t.Errorf("got %v %v %q", err, resp, body)
			}
		}},
		{"latency", Faults{Latency: 50 * time.Millisecond}, func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("got %v %v", err, resp)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := New()
			e.AddCluster(ClusterConfig{ID: "c"})
			u := serve(t, e, "c") + pfx + "/clusters/c"
			e.SetFaults("c", tc.faults)
			start := time.Now()
			resp, body, err := get(t, u)
			tc.check(t, resp, body, err)
			if tc.faults.Latency > 0 && time.Since(start) < tc.faults.Latency {
				t.Error("latency not applied")
			}
			// Counted faults are consumed; the next request succeeds.
			if tc.faults.TooManyRequests > 0 || tc.faults.DropConnections > 0 {
				resp, body, err := get(t, u)
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("after fault: %v %v %q", err, resp, body)
				}
			}
			reqs := e.Requests()
			if len(reqs) == 0 || reqs[0].Endpoint != "/clusters/{cluster_id}" {
				t.Errorf("request log %+v", reqs)
			}
		})
	}
}

func TestErrorRatePartial(t *testing.T) {
	e := New()
	c := e.AddCluster(ClusterConfig{ID: "c"})
	e.SetFaults("c", Faults{ErrorRate: 0.5})
	fails := 0
	for i := 0; i < 200; i++ {
		if do(t, c.Handler(), "GET", pfx+"/clusters/c", nil).code == 500 {
			fails++
		}
	}
	if fails < 50 || fails > 150 {
		t.Errorf("fails %d/200 at rate 0.5", fails)
	}
}

func TestDropWithoutHijacker(t *testing.T) {
	e := New()
	c := e.AddCluster(ClusterConfig{ID: "c"})
	e.SetFaults("c", Faults{DropConnections: 1})
	defer func() {
		if r := recover(); r != http.ErrAbortHandler {
			t.Errorf("recover %v", r)
		}
	}()
	do(t, c.Handler(), "GET", pfx+"/clusters/c", nil)
}

func TestGlobalLatency(t *testing.T) {
	e := New(WithLatency(30 * time.Millisecond))
	c := e.AddCluster(ClusterConfig{ID: "c"})
	start := time.Now()
	mustCode(t, do(t, c.Handler(), "GET", pfx+"/clusters/c", nil), 200)
	if time.Since(start) < 30*time.Millisecond {
		t.Error("latency not applied")
	}
}

func TestRequestLog(t *testing.T) {
	e, _, dst, _ := newFixture(t)
	createLink(t, dst, "l1")
	createMirror(t, dst, "l1", "orders")
	alter(t, dst, "l1", "failover", "orders")
	alter(t, dst, "l1", "failover", "orders")
	do(t, dst.Handler(), "GET", pfx+"/clusters/"+dstID+"/links/-/mirrors", nil)
	do(t, dst.Handler(), "GET", pfx+"/nope", nil)
	do(t, dst.Handler(), "GET", "/admin/state", nil) // admin calls are not logged
	tests := []struct {
		method, endpoint string
		want             int
	}{
		{"POST", "/clusters/{cluster_id}/links", 1},
		{"POST", "/clusters/{cluster_id}/links/{link_name}/mirrors", 1},
		{"POST", "/clusters/{cluster_id}/links/{link_name}/mirrors:failover", 2},
		{"", "/clusters/{cluster_id}/links/{link_name}/mirrors:failover", 2},
		{"GET", "/clusters/{cluster_id}/links/-/mirrors", 1},
		{"GET", "/clusters/{cluster_id}/links/{link_name}/mirrors", 0},
		{"GET", "", 1},
	}
	for _, tc := range tests {
		if got := e.Count(tc.method, tc.endpoint); got != tc.want {
			t.Errorf("Count(%q, %q) = %d, want %d", tc.method, tc.endpoint, got, tc.want)
		}
	}
	reqs := e.Requests()
	if len(reqs) != 6 || reqs[0].Cluster != dstID || reqs[0].Code != 201 || reqs[0].Path != pfx+"/clusters/"+dstID+"/links" || reqs[0].Time.IsZero() {
		t.Errorf("requests: %+v", reqs)
	}
	e.ResetRequests()
	if len(e.Requests()) != 0 {
		t.Error("reset")
	}
}

func TestAdminEndpoints(t *testing.T) {
	e, src, dst, _ := newFixture(t)
	h := dst.Handler()
	createLink(t, dst, "l1", "sasl.jaas.config", "top-secret")
	createMirror(t, dst, "l1", "orders")
	tests := []struct {
		name, method, path string
		body               any
		code               int
	}{
		{"topic", "POST", "/admin/topics", map[string]any{"name": "t1", "partitions": 4}, 201},
		{"topic no name", "POST", "/admin/topics", map[string]any{}, 400},
		{"topic malformed", "POST", "/admin/topics", "{", 400},
		{"outage", "POST", "/admin/source-outage", map[string]any{"cluster_id": srcID, "down": true}, 204},
		{"outage unknown", "POST", "/admin/source-outage", map[string]any{"cluster_id": "x", "down": true}, 404},
		{"outage malformed", "POST", "/admin/source-outage", "{", 400},
		{"state", "GET", "/admin/state", nil, 200},
		{"requests", "GET", "/admin/requests", nil, 200},
		{"faults", "POST", "/admin/faults", map[string]any{"latency_ms": 1, "too_many_requests": 1, "html_429": true}, 204},
		{"faults malformed", "POST", "/admin/faults", "x", 400},
		{"reset requests", "DELETE", "/admin/requests", nil, 204},
		{"unknown", "GET", "/admin/nope", nil, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mustCode(t, do(t, h, tc.method, tc.path, tc.body), tc.code)
		})
	}
	if st, _ := dst.LinkState("l1"); st != LinkUnavailable {
		t.Errorf("admin outage not applied: %s", st)
	}
	r := do(t, h, "GET", "/admin/state", nil)
	if strings.Contains(r.raw, "top-secret") || !strings.Contains(r.raw, `"t1":4`) || !strings.Contains(r.raw, `"mirror_status":"SOURCE_UNAVAILABLE"`) {
		t.Errorf("state: %s", r.raw)
	}
	mustCode(t, do(t, h, "GET", pfx+"/clusters/"+dstID, nil), 429) // injected through admin
	mustCode(t, do(t, h, "POST", "/admin/source-outage", map[string]any{"down": false}), 204)
	if st := src.State(); len(st.Topics) != 3 {
		t.Errorf("src state %+v", st)
	}
	if len(e.Requests()) != 1 {
		t.Errorf("requests %+v", e.Requests())
	}
	var reqs []Request
	r = do(t, h, "GET", "/admin/requests", nil)
	if err := json.Unmarshal([]byte(r.raw), &reqs); err != nil || len(reqs) != 1 || reqs[0].Code != 429 {
		t.Errorf("admin requests %s %v", r.raw, err)
	}
}

func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{"h2"}}
}

func TestServeTLSAndShutdown(t *testing.T) {
	e := New()
	e.AddCluster(ClusterConfig{ID: "c"})
	ctx, cancel := context.WithCancel(context.Background())
	u, err := e.Serve(ctx, "c", "127.0.0.1:0", selfSigned(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, "https://127.0.0.1:") {
		t.Fatalf("url %s", u)
	}
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := cl.Get(u + pfx + "/clusters/c")
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	self := body["metadata"].(map[string]any)["self"].(string)
	if resp.StatusCode != 200 || self != u+pfx+"/clusters/c" {
		t.Errorf("status %d self %s", resp.StatusCode, self)
	}
	// Dropped connections over TLS.
	e.SetFaults("c", Faults{DropConnections: 1})
	// (fresh connection: net/http retries idempotent requests on reused ones)
	cl2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if _, err := cl2.Get(u + pfx + "/clusters/c"); err == nil {
		t.Error("drop over TLS did not fail")
	}
	cancel()
	deadline := time.Now().Add(2 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(u, "https://"), 100*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still listening after ctx cancel")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := e.Serve(context.Background(), "nope", "127.0.0.1:0", nil); err == nil {
		t.Error("unknown cluster served")
	}
	if _, err := e.Serve(context.Background(), "c", "bad-addr", nil); err == nil {
		t.Error("bad addr served")
	}
}
