package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/credentials"
)

// TestBadInputGolden: every kind of bad input gets an answer that names the
// problem — an AdmissionReview denial when the request's UID can be read,
// else a 4xx — and none is ever admitted. The answers are golden files
// (testdata/golden/bad-input_*.txt; -update rewrites them).
func TestBadInputGolden(t *testing.T) {
	valid := reviewBody(t, "ClusterLink", admissionv1.Create, demoLink(topic("a", "")), nil, false)
	envelope := func(apiVersion, reqKind string, obj any, op admissionv1.Operation, old any) []byte {
		var m map[string]any
		if err := json.Unmarshal(reviewBody(t, "ClusterLink", op, obj, old, false), &m); err != nil {
			t.Fatal(err)
		}
		m["apiVersion"] = apiVersion
		req := m["request"].(map[string]any)
		if reqKind != "" {
			req["kind"] = map[string]any{"group": "", "version": "v1", "kind": reqKind}
			req["resource"] = map[string]any{"group": "", "version": "v1", "resource": strings.ToLower(reqKind) + "s"}
		}
		return raw(t, m)
	}
	pod := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p", "namespace": "operator"}}
	deep := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":{"spec":` +
		strings.Repeat(`{"a":`, 20000) + `1` + strings.Repeat(`}`, 20000) + `}}}`)
	deepInObject := bytes.Replace(valid, []byte(`"spec":{`), []byte(`"spec":{"x":`+strings.Repeat(`[`, 5000)+strings.Repeat(`]`, 5000)+`,`), 1)
	cases := map[string][]byte{
		"malformed JSON":                   []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":`),
		"empty body":                       nil,
		"not an object":                    []byte(`[1,2,3]`),
		"v1beta1 envelope around a Pod":    envelope("admission.k8s.io/v1beta1", "Pod", demoLink(topic("a", "")), admissionv1.Create, nil),
		"v1 envelope with a Pod request":   envelope("admission.k8s.io/v1", "Pod", demoLink(topic("a", "")), admissionv1.Create, nil),
		"v1 envelope with a Pod object":    envelope("admission.k8s.io/v1", "", pod, admissionv1.Create, nil),
		"wrong envelope kind":              bytes.Replace(valid, []byte(`"kind":"AdmissionReview"`), []byte(`"kind":"TokenReview"`), 1),
		"no uid":                           bytes.Replace(valid, []byte(`"uid":"uid-create"`), []byte(`"uid":""`), 1),
		"UPDATE without oldObject":         envelope("admission.k8s.io/v1", "", demoLink(topic("a", "")), admissionv1.Update, nil),
		"DELETE without oldObject":         envelope("admission.k8s.io/v1", "", nil, admissionv1.Delete, nil),
		"CREATE without object":            envelope("admission.k8s.io/v1", "", nil, admissionv1.Create, nil),
		"CONNECT":                          envelope("admission.k8s.io/v1", "", demoLink(topic("a", "")), admissionv1.Connect, nil),
		"deeply nested JSON":               deep,
		"deeply nested JSON in the object": deepInObject,
		"object of the wrong shape":        bytes.Replace(valid, []byte(`"mirrorTopics":[`), []byte(`"mirrorTopics":"x","y":[`), 1),
	}
	h := NewHandler(HandlerOptions{Lookup: testLookup()})
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			rec := post(t, h, PathClusterLink, "application/json", body)
			var got string
			switch rec.Code {
			case http.StatusOK:
				resp := decodeResponse(t, rec)
				if resp.Allowed {
					t.Fatalf("bad input was admitted: %s", rec.Body)
				}
				if resp.Result == nil || resp.Result.Message == "" {
					t.Fatalf("denial without a message: %s", rec.Body)
				}
				got = fmt.Sprintf("HTTP 200 AdmissionReview uid=%s allowed=false code=%d reason=%s\n%s\n", resp.UID, resp.Result.Code, resp.Result.Reason, resp.Result.Message)
			case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
				got = fmt.Sprintf("HTTP %d\n%s", rec.Code, rec.Body)
			default:
				t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
			}
			compareGoldenText(t, "bad-input_"+name, got)
		})
	}
}

func compareGoldenText(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", "golden", strings.ReplaceAll(name, " ", "_")+".txt")
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("answer differs from %s:\n got: %s\nwant: %s", file, got, want)
	}
}

// failingLookup cannot answer, like a webhook whose caches have not synced
// or whose lookups error.
// failingLookup fails its lookups with err; with secretsAnswer, Secrets
// are found and only the KafkaRestClass lookup fails.
type failingLookup struct {
	err           error
	secretsAnswer bool
}

func (f failingLookup) KafkaRestClass(context.Context, string, string) (*kafkalinkv1alpha1.KafkaRestClass, error) {
	return nil, f.err
}
func (f failingLookup) SecretExists(context.Context, string, string) (bool, error) {
	if f.secretsAnswer {
		return true, nil
	}
	return false, f.err
}

// tryDecodeResponse is decodeResponse for goroutines (no t.Fatal there).
func tryDecodeResponse(rec *httptest.ResponseRecorder) (*admissionv1.AdmissionResponse, error) {
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", rec.Code, rec.Body)
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil {
		return nil, fmt.Errorf("not an AdmissionReview (%v): %.200s", err, rec.Body)
	}
	return out.Response, nil
}

// TestLookupFailureDenies: a reference check that cannot be answered denies
// with a retryable 503, never admits — for every request that needs one,
// however many arrive at once.
func TestLookupFailureDenies(t *testing.T) {
	for name, lookup := range map[string]failingLookup{
		"caches not synced":                  {err: ErrCacheNotSynced},
		"lookup error":                       {err: errors.New("connection refused")},
		"timeout":                            {err: context.DeadlineExceeded},
		"KafkaRestClass lookup error only":   {err: errors.New("connection refused"), secretsAnswer: true},
		"KafkaRestClass lookup timeout only": {err: context.DeadlineExceeded, secretsAnswer: true},
	} {
		t.Run(name, func(t *testing.T) {
			h := NewHandler(HandlerOptions{Lookup: lookup})
			bodies := [][]byte{
				reviewBody(t, "ClusterLink", admissionv1.Create, demoLink(topic("a", "")), nil, true),
				reviewBody(t, "ClusterLink", admissionv1.Update, demoLink(topic("a", ""), topic("b", "")), demoLink(topic("a", "")), false),
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			allowed := 0
			for i := range 60 {
				wg.Go(func() {
					resp, err := tryDecodeResponse(post(t, h, PathClusterLink, "application/json", bodies[i%2]))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					if resp.Allowed {
						allowed++
						return
					}
					if resp.Result.Code != http.StatusServiceUnavailable || !strings.Contains(resp.Result.Message, "retry") {
						t.Errorf("denial is not a retryable 503: %+v", resp.Result)
					}
				})
			}
			wg.Wait()
			if allowed != 0 {
				t.Errorf("%d of 60 requests admitted while the lookup failed", allowed)
			}
			kbody := reviewBody(t, "KafkaRestClass", admissionv1.Create, &kafkalinkv1alpha1.KafkaRestClass{
				TypeMeta:   metav1.TypeMeta{APIVersion: "kafkalink.io/v1alpha1", Kind: "KafkaRestClass"},
				ObjectMeta: metav1.ObjectMeta{Name: "k", Namespace: "operator"},
				Spec: kafkalinkv1alpha1.KafkaRestClassSpec{KafkaRest: kafkalinkv1alpha1.KafkaRestSpec{
					Endpoint: "https://rest:8090",
					Authentication: &kafkalinkv1alpha1.RestAuthentication{
						Type: kafkalinkv1alpha1.RestAuthenticationBasic, Basic: &kafkalinkv1alpha1.BasicAuthentication{SecretRef: "s"},
					},
				}},
			}, nil, false)
			if resp := decodeResponse(t, post(t, h, PathKafkaRestClass, "application/json", kbody)); resp.Allowed != lookup.secretsAnswer {
				t.Errorf("KafkaRestClass allowed=%v (Secret lookups answer: %v)", resp.Allowed, lookup.secretsAnswer)
			}
			// What needs no lookup is still answered: a DELETE, and a
			// metadata-only update (a finalizer must always be removable).
			del := reviewBody(t, "ClusterLink", admissionv1.Delete, nil, demoLink(topic("a", "")), false)
			if resp := decodeResponse(t, post(t, h, PathClusterLink, "application/json", del)); !resp.Allowed {
				t.Errorf("DELETE denied: %s", resp.Result.Message)
			}
			old := demoLink(topic("a", ""))
			fin := old.DeepCopy()
			fin.Finalizers = []string{kafkalinkv1alpha1.FinalizerClusterLink}
			if resp := decodeResponse(t, post(t, h, PathClusterLink, "application/json", reviewBody(t, "ClusterLink", admissionv1.Update, fin, old, false))); !resp.Allowed {
				t.Errorf("finalizer-only update denied: %s", resp.Result.Message)
			}
		})
	}
}

// linkWithInvalidTopics is a ClusterLink CREATE whose n topics all start in
// FAILOVER, each one an error.
func linkWithInvalidTopics(t testing.TB, n int) []byte {
	topics := make([]kafkalinkv1alpha1.MirrorTopic, n)
	for i := range topics {
		topics[i] = topic(fmt.Sprintf("topic-%05d", i), kafkalinkv1alpha1.MirrorTopicStateFailover)
	}
	return reviewBody(t, "ClusterLink", admissionv1.Create, demoLink(topics...), nil, false)
}

// TestManyErrorsAreCapped: a denial lists the first errors in full and
// counts the rest, so its size does not grow with the object.
func TestManyErrorsAreCapped(t *testing.T) {
	h := NewHandler(HandlerOptions{Lookup: testLookup()})
	rec := post(t, h, PathClusterLink, "application/json", linkWithInvalidTopics(t, 10000))
	resp := decodeResponse(t, rec)
	if resp.Allowed {
		t.Fatal("admitted")
	}
	causes := causeFields(resp)
	if len(causes) != maxReportedErrors+1 {
		t.Fatalf("%d causes, want %d listed + 1 summary", len(causes), maxReportedErrors)
	}
	if causes[0] != "spec.mirrorTopics[name=topic-00000].state" {
		t.Errorf("first cause %s", causes[0])
	}
	last := resp.Result.Details.Causes[maxReportedErrors].Message
	if !strings.Contains(last, fmt.Sprintf("and %d more errors", 10000-maxReportedErrors)) || !strings.Contains(last, "spec.mirrorTopics[name=topic-00050].state") {
		t.Errorf("summary cause %q", last)
	}
	if rec.Body.Len() > 64<<10 {
		t.Errorf("denial of %d bytes; it should not grow with the number of errors", rec.Body.Len())
	}
}

// TestErrorCostIsLinear: denying 2N errors allocates no more than about
// twice what N does, in objects and in bytes (both grew quadratically before
// errors were capped). Allocation counts are deterministic, unlike time, so
// this cannot flake on a busy machine; the time itself is measured by
// BenchmarkDenyManyErrors.
func TestErrorCostIsLinear(t *testing.T) {
	h := NewHandler(HandlerOptions{Lookup: testLookup()})
	n, n2 := linkWithInvalidTopics(t, 5000), linkWithInvalidTopics(t, 10000)
	cost := func(body []byte) (allocs, bytes float64) {
		post(t, h, PathClusterLink, "application/json", body) // warm up
		const runs = 3
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range runs {
			rec := post(t, h, PathClusterLink, "application/json", body)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"allowed":false`) {
				t.Fatalf("unexpected answer %d: %.200s", rec.Code, rec.Body.String())
			}
		}
		runtime.ReadMemStats(&after)
		return float64(after.Mallocs-before.Mallocs) / runs, float64(after.TotalAlloc-before.TotalAlloc) / runs
	}
	a1, b1 := cost(n)
	a2, b2 := cost(n2)
	t.Logf("5,000 errors: %.0f allocations, %.0f bytes; 10,000 errors: %.0f allocations, %.0f bytes", a1, b1, a2, b2)
	if a2 > 2.1*a1 {
		t.Errorf("10,000 errors: %.0f allocations, more than 2.1× the %.0f of 5,000", a2, a1)
	}
	if b2 > 2.2*b1 {
		t.Errorf("10,000 errors: %.0f bytes allocated, more than 2.2× the %.0f of 5,000", b2, b1)
	}
}

// TestErrorTimeIsLinear: denying 2N errors takes at most 2.5× the time of
// N (before errors were capped: 3.8× per doubling). Each size is timed
// fifteen times, interleaved, and the fastest run of each is compared: the
// minimum is what the code costs, the rest is the machine's noise. The
// allocation test above cannot see a quadratic loop that allocates nothing.
// The collector is off while timing (and run between runs): its pacing
// follows the live heap, which is not the handler's algorithm.
func TestErrorTimeIsLinear(t *testing.T) {
	h := NewHandler(HandlerOptions{Lookup: testLookup()})
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	// 2N is the CRD's maxItems: the largest ClusterLink the apiserver
	// lets through to the webhook, every topic invalid.
	small, large := 500, 1000
	n, n2 := linkWithInvalidTopics(t, small), linkWithInvalidTopics(t, large)
	fastest := map[int]time.Duration{}
	for run := range 16 {
		for size, body := range map[int][]byte{small: n, large: n2} {
			runtime.GC()
			start := time.Now()
			rec := post(t, h, PathClusterLink, "application/json", body)
			d := time.Since(start)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"allowed":false`) {
				t.Fatalf("unexpected answer %d: %.200s", rec.Code, rec.Body.String())
			}
			if run == 0 {
				continue // warm-up
			}
			if f, ok := fastest[size]; !ok || d < f {
				fastest[size] = d
			}
		}
	}
	ratio := float64(fastest[large]) / float64(fastest[small])
	t.Logf("fastest of 15: %d errors %v, %d errors %v (ratio %.2f)", small, fastest[small], large, fastest[large], ratio)
	if ratio > 2.5 {
		t.Errorf("%d errors took %.2f× the time of %d (%v vs %v), more than 2.5×", large, ratio, small, fastest[large], fastest[small])
	}
}

// BenchmarkDenyManyErrors: the time to deny a link with 10,000 invalid
// mirror topics (docs/benchmarks.md).
func BenchmarkDenyManyErrors(b *testing.B) {
	h := NewHandler(HandlerOptions{Lookup: testLookup()})
	body := linkWithInvalidTopics(b, 10000)
	b.ReportAllocs()
	for b.Loop() {
		post(b, h, PathClusterLink, "application/json", body)
	}
}

// TestConcurrencyLimit: past the limits a request waits up to QueueWait,
// then gets HTTP 429 with Retry-After; it is never admitted, and the slot
// is free again afterwards.
func TestConcurrencyLimit(t *testing.T) {
	block := make(chan struct{})
	entered := make(chan struct{}, 4)
	lookup := &blockingLookup{fakeLookup: testLookup(), entered: entered, block: block}
	h := NewHandler(HandlerOptions{Lookup: lookup, Metrics: NewMetrics(prometheus.NewRegistry()), Limits: Limits{MaxConcurrent: 2, MaxInflightBytes: MaxRequestBytes, QueueWait: 100 * time.Millisecond}})
	body := reviewBody(t, "ClusterLink", admissionv1.Create, demoLink(topic("a", "")), nil, false)
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for range 2 {
		wg.Go(func() { codes <- post(t, h, PathClusterLink, "application/json", body).Code })
	}
	<-entered
	<-entered
	rec := post(t, h, PathClusterLink, "application/json", body)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Errorf("third concurrent request: HTTP %d (Retry-After %q), want 429 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	// A 3 MiB review needs the whole budget: it waits for both, then runs.
	close(block)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("held request answered %d", c)
		}
	}
	if rec := post(t, h, PathClusterLink, "application/json", body); rec.Code != http.StatusOK {
		t.Errorf("after the burst: HTTP %d", rec.Code)
	}
	req := httptest.NewRequest(http.MethodPost, PathClusterLink, bytes.NewReader(body))
	req.ContentLength = -1 // unknown length reserves the largest size
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Errorf("chunked request: HTTP %d", w.Code)
	}
}

type blockingLookup struct {
	*fakeLookup
	entered chan struct{}
	block   chan struct{}
}

func (b *blockingLookup) SecretExists(ctx context.Context, ns, name string) (bool, error) {
	select {
	case b.entered <- struct{}{}:
	default:
	}
	<-b.block
	return b.fakeLookup.SecretExists(ctx, ns, name)
}

// watchingLookup is a lookup limited to some namespaces, as CacheLookup
// is with --watch-namespaces.
type watchingLookup struct {
	*fakeLookup
	watched []string
}

func (w watchingLookup) Watches(ns string) ([]string, bool) {
	return w.watched, slices.Contains(w.watched, ns)
}

// TestUnwatchedNamespaceForbidden: an install that watches some namespaces
// refuses what it could never reconcile or check — a ClusterLink or a
// KafkaRestClass outside them, or a reference to a KafkaRestClass outside
// them — instead of admitting it as "does not exist yet".
func TestUnwatchedNamespaceForbidden(t *testing.T) {
	lookup := watchingLookup{fakeLookup: testLookup(), watched: []string{"operator"}}
	lookup.classes["team-c/krc"] = &kafkalinkv1alpha1.KafkaRestClass{ObjectMeta: metav1.ObjectMeta{Name: "krc", Namespace: "team-c"}, Spec: kafkalinkv1alpha1.KafkaRestClassSpec{AllowedNamespaces: []string{"operator"}}}
	h := NewHandler(HandlerOptions{Lookup: lookup})
	inTeamC := demoLink(topic("a", ""))
	inTeamC.Namespace = "team-c"
	refTeamC := demoLink(topic("a", ""))
	refTeamC.Spec.DestinationKafkaCluster.KafkaRestClassRef.Namespace = "team-c"
	refTeamC.Spec.DestinationKafkaCluster.KafkaRestClassRef.Name = "krc"
	classTeamC := &kafkalinkv1alpha1.KafkaRestClass{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kafkalink.io/v1alpha1", Kind: "KafkaRestClass"},
		ObjectMeta: metav1.ObjectMeta{Name: "k", Namespace: "team-c"},
		Spec:       kafkalinkv1alpha1.KafkaRestClassSpec{KafkaRest: kafkalinkv1alpha1.KafkaRestSpec{Endpoint: "https://rest:8090"}},
	}
	for _, tt := range []struct {
		name, path string
		body       []byte
		field      string // "" when allowed
	}{
		{"ClusterLink in a watched namespace", PathClusterLink, reviewBody(t, "ClusterLink", admissionv1.Create, demoLink(topic("a", "")), nil, false), ""},
		{"ClusterLink in an unwatched namespace", PathClusterLink, reviewBody(t, "ClusterLink", admissionv1.Create, inTeamC, nil, false), "metadata.namespace"},
		{"reference to a KafkaRestClass in an unwatched namespace", PathClusterLink, reviewBody(t, "ClusterLink", admissionv1.Create, refTeamC, nil, false), "spec.destinationKafkaCluster.kafkaRestClassRef.namespace"},
		{"KafkaRestClass in an unwatched namespace", PathKafkaRestClass, reviewBody(t, "KafkaRestClass", admissionv1.Create, classTeamC, nil, false), "metadata.namespace"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := decodeResponse(t, post(t, h, tt.path, "application/json", tt.body))
			if tt.field == "" {
				if !resp.Allowed {
					t.Fatalf("denied: %s", resp.Result.Message)
				}
				return
			}
			if resp.Allowed || resp.Result.Details == nil || len(resp.Result.Details.Causes) == 0 {
				t.Fatalf("allowed=%v result %+v", resp.Allowed, resp.Result)
			}
			c := resp.Result.Details.Causes[0]
			if c.Field != tt.field || !strings.Contains(c.Message, `"team-c" is not watched`) || !strings.Contains(c.Message, "--watch-namespaces") || !strings.Contains(c.Message, "operator") {
				t.Errorf("cause %+v", c)
			}
		})
	}
}

// TestDirectoryPolicyAtAdmission: directoryPathInContainer is refused
// unless directory credentials are on, the namespace is allowed
// (--credential-directory-namespaces) and the path lies under the root,
// with the flag named in the refusal; paths under the root in an allowed
// namespace are admitted (an admin's Vault injection).
func TestDirectoryPolicyAtAdmission(t *testing.T) {
	withDir := func(ns, dir string) []byte {
		cl := demoLink(topic("a", ""))
		cl.Namespace = ns
		cl.Spec.SourceKafkaCluster.Authentication = &kafkalinkv1alpha1.KafkaAuthentication{
			Type:                  kafkalinkv1alpha1.KafkaAuthenticationPlainPassthrough,
			JaasConfigPassThrough: &kafkalinkv1alpha1.SecretOrDirectory{DirectoryPathInContainer: dir},
		}
		return reviewBody(t, "ClusterLink", admissionv1.Create, cl, nil, false)
	}
	lookup := testLookup()
	lookup.classes["team-a/krc-cloud"] = &kafkalinkv1alpha1.KafkaRestClass{ObjectMeta: metav1.ObjectMeta{Name: "krc-cloud", Namespace: "team-a"}}
	lookup.classes["team-a/krc-cfk"] = &kafkalinkv1alpha1.KafkaRestClass{ObjectMeta: metav1.ObjectMeta{Name: "krc-cfk", Namespace: "team-a"}}
	policy := credentials.DirectoryPolicy{Root: "/mnt/kafkalink", Namespaces: []string{"operator"}}
	for _, tt := range []struct {
		name    string
		policy  credentials.DirectoryPolicy
		ns, dir string
		want    string // "" when admitted
	}{
		{"under the root, namespace allowed", policy, "operator", "/mnt/kafkalink/operator/jaas", ""},
		{"namespace not allowed", policy, "team-a", "/mnt/kafkalink/team-a/jaas", "--credential-directory-namespaces"},
		{"outside the root", policy, "operator", "/mnt/other-team", "--credential-directory-root"},
		{"dot-dot", policy, "operator", "/mnt/kafkalink/../other-team", "--credential-directory-root"},
		{"relative", policy, "operator", "kafkalink/operator", "--credential-directory-root"},
		{"directory credentials off", credentials.DirectoryPolicy{}, "operator", "/mnt/kafkalink/operator/jaas", "--credential-directory-root"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHandler(HandlerOptions{Lookup: lookup, Directories: tt.policy})
			resp := decodeResponse(t, post(t, h, PathClusterLink, "application/json", withDir(tt.ns, tt.dir)))
			if tt.want == "" {
				if !resp.Allowed {
					t.Fatalf("denied: %s", resp.Result.Message)
				}
				return
			}
			if resp.Allowed {
				t.Fatal("admitted")
			}
			if !strings.Contains(resp.Result.Message, "directoryPathInContainer") || !strings.Contains(resp.Result.Message, tt.want) {
				t.Errorf("refusal %q does not name the field and %s", resp.Result.Message, tt.want)
			}
		})
	}
}
