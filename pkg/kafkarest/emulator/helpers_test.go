package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

const (
	srcID = "lkc-src"
	dstID = "lkc-dst"
	pfx   = "/kafka/v3"
)

// fixture: a source cluster with topics and an empty destination cluster.
func newFixture(t *testing.T, opts ...Option) (*Emulator, *Cluster, *Cluster, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	e := New(append([]Option{WithClock(clk.Now), WithStopDelay(2 * time.Second)}, opts...)...)
	src := e.AddCluster(ClusterConfig{ID: srcID, Bootstrap: "onprem-kafka:9092",
		Topics: map[string]int{"orders": 3, "payments": 1, "audit": 2}})
	dst := e.AddCluster(ClusterConfig{ID: dstID, Bootstrap: "pkc-dst.example:9092"})
	return e, src, dst, clk
}

type result struct {
	code   int
	header http.Header
	raw    string
	obj    map[string]any
}

func (r result) data() []any {
	d, _ := r.obj["data"].([]any)
	return d
}

func do(t *testing.T, h http.Handler, method, path string, body any) result {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := result{code: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && rec.Body.Len() > 0 {
		var v any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s %s: invalid JSON %q: %v", method, path, rec.Body.String(), err)
		}
		res.obj, _ = v.(map[string]any)
	}
	return res
}

func mustCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d; body %s", r.code, code, r.raw)
	}
}

func cfgs(kv ...string) []map[string]any {
	var out []map[string]any
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, map[string]any{"name": kv[i], "value": kv[i+1]})
	}
	return out
}

// createLink creates a destination link "name" on dst pointing at src by bootstrap.
func createLink(t *testing.T, dst *Cluster, name string, extra ...string) {
	t.Helper()
	r := do(t, dst.Handler(), "POST", pfx+"/clusters/"+dst.ID()+"/links?link_name="+name,
		map[string]any{"configs": cfgs(append([]string{"bootstrap.servers", "onprem-kafka:9092"}, extra...)...)})
	mustCode(t, r, http.StatusCreated)
}

func createMirror(t *testing.T, c *Cluster, link, source string) {
	t.Helper()
	r := do(t, c.Handler(), "POST", pfx+"/clusters/"+c.ID()+"/links/"+link+"/mirrors",
		map[string]any{"source_topic_name": source})
	mustCode(t, r, http.StatusCreated)
}

func alter(t *testing.T, c *Cluster, link, action string, names ...string) result {
	t.Helper()
	return do(t, c.Handler(), "POST", pfx+"/clusters/"+c.ID()+"/links/"+link+"/mirrors:"+action,
		map[string]any{"mirror_topic_names": names})
}

// perTopic returns error_code and error_message of the first result.
func perTopic(t *testing.T, r result) (any, any) {
	t.Helper()
	mustCode(t, r, http.StatusOK)
	d := r.data()
	if len(d) == 0 {
		t.Fatalf("no per-topic results: %s", r.raw)
	}
	m := d[0].(map[string]any)
	return m["error_code"], m["error_message"]
}

func errCode(r result) float64 {
	f, _ := r.obj["error_code"].(float64)
	return f
}
