package controller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/kafkarest"
	"github.com/kafkalink/kafkalink/pkg/kafkarest/emulator"
)

// quickFactory builds REST clients without client-side retries and with a
// short per-attempt timeout, so a fault reaches the controller in one call.
// transport, when not nil, wraps the HTTP transport.
func quickFactory(timeout time.Duration, transport func(http.RoundTripper) http.RoundTripper) RESTClientFactory {
	return func(cfg RESTConfig) (RESTClient, error) {
		kc := kafkarest.Config{Endpoint: cfg.Endpoint, Timeout: timeout, MaxAttempts: 1}
		if c := cfg.Credentials; c != nil {
			kc.Username, kc.Password = c.Username, c.Password
		}
		if transport != nil {
			kc.Transport = transport(http.DefaultTransport.(*http.Transport).Clone())
		}
		client, err := kafkarest.New(kc)
		if err != nil {
			return nil, err
		}
		return &restAdapter{c: client}, nil
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// rotateSecret replaces a Secret's data and bumps its resourceVersion, on
// the apiserver and in the metadata informer (as its watch would).
func (f *fixture) rotateSecret(s *corev1.Secret, rv string) {
	f.t.Helper()
	s = s.DeepCopy()
	cur, err := f.kube.CoreV1().Secrets(s.Namespace).Get(f.ctx, s.Name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	cur.Data = s.Data
	cur.ResourceVersion = rv
	if _, err := f.kube.CoreV1().Secrets(s.Namespace).Update(f.ctx, cur, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	meta := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: cur.ObjectMeta}
	if err := f.c.secrets.indexer.Update(meta); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) secretGets() int {
	n := 0
	for _, a := range f.kube.Actions() {
		if a.GetVerb() == "get" && a.GetResource().Resource == "secrets" {
			n++
		}
	}
	return n
}

func TestLinkSecretRotationAltersLinkConfigsOnce(t *testing.T) {
	r := newREST(t, "a")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", "")))...)
	converge(t, f, "demo", 4)
	dst := r.emu.Cluster("lkc-cloud")
	if jaas := dst.LinkConfigs("demo")["sasl.jaas.config"]; !strings.Contains(jaas, `password="pw"`) {
		t.Fatalf("initial sasl.jaas.config %q", jaas)
	}
	alter := func() int {
		return r.emu.Count("PUT", endpoint("/configs:alter")) + r.emu.Count("POST", endpoint("/configs:alter"))
	}

	// A converged link reads no Secret per resync (the cache is keyed by
	// the informer's resourceVersion).
	f.kube.ClearActions()
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if n := f.secretGets(); n != 0 {
		t.Errorf("steady-state reconcile read %d Secrets", n)
	}

	// Same resourceVersion in the informer: the cached data is still used,
	// nothing is altered.
	cur, _ := f.kube.CoreV1().Secrets(testNamespace).Get(f.ctx, "plainpassjks", metav1.GetOptions{})
	cur.Data = plainSecret("plainpassjks", "link-reader", "ignored").Data
	if _, err := f.kube.CoreV1().Secrets(testNamespace).Update(f.ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if n := alter(); n != 0 {
		t.Fatalf("configs:alter without a resourceVersion change: %d", n)
	}

	// Rotation: the new password reaches the link with one configs:alter.
	f.rotateSecret(plainSecret("plainpassjks", "link-reader", "pw-rotated"), "7")
	f.kube.ClearActions()
	mark := len(r.emu.Requests())
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if n := alter(); n != 1 {
		t.Errorf("configs:alter calls %d, want 1", n)
	}
	if n := f.secretGets(); n != 1 {
		t.Errorf("Secret GETs after rotation %d, want 1", n)
	}
	if _, writes, list := r.calls(mark); writes != 1 {
		t.Errorf("REST writes %d, want only the configs:alter: %v", writes, list)
	}
	jaas := dst.LinkConfigs("demo")["sasl.jaas.config"]
	if !strings.Contains(jaas, `password="pw-rotated"`) || !strings.Contains(jaas, `username="link-reader"`) {
		t.Errorf("sasl.jaas.config after rotation %q", jaas)
	}
	if ev := strings.Join(f.events(), "\n"); !strings.Contains(ev, EventLinkConfigsUpdated) || strings.Contains(ev, "pw-rotated") {
		t.Errorf("events after rotation (must name the update, never the password):\n%s", ev)
	}
	cl := f.get("demo")
	if strings.Contains(fmt.Sprintf("%+v", cl.Status), "pw-rotated") {
		t.Error("status leaks the password")
	}

	// Applied once: the next resyncs alter nothing.
	for i := 0; i < 2; i++ {
		if _, err := f.sync("demo"); err != nil {
			t.Fatal(err)
		}
	}
	if n := alter(); n != 1 {
		t.Errorf("configs:alter repeated: %d calls", n)
	}
	if c := condition(f.get("demo"), kafkalinkv1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Ready after rotation: %+v", c)
	}
}

func TestRESTClassSecretRotation(t *testing.T) {
	r := newREST(t, "a")
	objs := r.objects(clusterLink("demo", mt("a", "")))
	for i, o := range objs {
		if s, ok := o.(*corev1.Secret); ok && s.Name == "restclass-krc-cloud" {
			objs[i] = basicSecret("restclass-krc-cloud", "key", "old-secret")
		}
	}
	f := newFixture(t, DefaultRESTClientFactory(nil), objs...)

	codes := func(mark int) (out []int) {
		for _, q := range r.emu.Requests()[mark:] {
			out = append(out, q.Code)
		}
		return out
	}

	// The old credentials: 401, reported as CredentialsError, no hot loop.
	res, err := f.sync("demo")
	if err != nil {
		t.Fatalf("a 401 is a user error, not a retried failure: %v", err)
	}
	if res.requeueAfter != f.c.opts.ResyncPeriod {
		t.Errorf("requeue after %v, want the resync period", res.requeueAfter)
	}
	c := condition(f.get("demo"), kafkalinkv1alpha1.ConditionReady)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != kafkalinkv1alpha1.ReasonCredentialsError || !strings.Contains(c.Message, "401") {
		t.Errorf("Ready with old credentials: %+v", c)
	}
	if got := codes(0); !slices.Equal(got, []int{401}) {
		t.Errorf("response codes with old credentials %v, want one 401", got)
	}

	// Rotated: the next calls carry the new credentials and succeed.
	f.rotateSecret(basicSecret("restclass-krc-cloud", "key", "secret"), "2")
	mark := len(r.emu.Requests())
	converge(t, f, "demo", 4)
	for i, code := range codes(mark) {
		if code == http.StatusUnauthorized || code == 0 {
			t.Errorf("request %d after rotation answered %d", i, code)
		}
	}
	if links := r.emu.Cluster("lkc-cloud").Links(); !slices.Equal(links, []string{"demo"}) {
		t.Errorf("links %v", links)
	}

	// Rotated again to credentials the destination rejects: the cached
	// client is replaced, so the very next call uses them and gets 401.
	f.rotateSecret(basicSecret("restclass-krc-cloud", "key", "revoked"), "3")
	mark = len(r.emu.Requests())
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if got := codes(mark); !slices.Equal(got, []int{401}) {
		t.Errorf("response codes after rotating to revoked credentials %v, want one 401", got)
	}
	if c := condition(f.get("demo"), kafkalinkv1alpha1.ConditionReady); c == nil || c.Reason != kafkalinkv1alpha1.ReasonCredentialsError {
		t.Errorf("Ready with revoked credentials: %+v", c)
	}
}

// recordingQueue records how the worker requeues a key.
type recordingQueue struct {
	workqueue.TypedRateLimitingInterface[cache.ObjectName]
	mu          sync.Mutex
	after       []time.Duration
	rateLimited int
}

func (q *recordingQueue) AddAfter(_ cache.ObjectName, d time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.after = append(q.after, d)
}

func (q *recordingQueue) AddRateLimited(cache.ObjectName) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.rateLimited++
}

// work runs one worker iteration on the link and reports how it was requeued.
func (f *fixture) work(q *recordingQueue, name string) ([]time.Duration, int) {
	f.t.Helper()
	f.waitForCache(name)
	q.mu.Lock()
	q.after, q.rateLimited = nil, 0
	q.mu.Unlock()
	q.Add(cache.ObjectName{Namespace: testNamespace, Name: name})
	if !f.c.processNextWorkItem(f.ctx, f.c.queue()) {
		f.t.Fatal("queue shut down")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.after, q.rateLimited
}

// TestRESTFaultsConverge injects each REST fault while the link is being
// created, checks the sync fails the right way (and the worker requeues it
// the right way), then clears the fault and converges without duplicates.
func TestRESTFaultsConverge(t *testing.T) {
	cases := []struct {
		name        string
		faults      emulator.Faults
		wantAfter   time.Duration // Retry-After honoured by the worker; 0 = rate limited
		wantCode    int           // emulator's recorded answer (0 = dropped)
		wantMessage string
	}{
		{"5xx", emulator.Faults{ErrorRate: 1}, 0, 500, "500"},
		{"429 JSON", emulator.Faults{TooManyRequests: 1}, time.Second, 429, "429"},
		{"429 HTML", emulator.Faults{TooManyRequests: 1, HTML429: true}, time.Second, 429, "429"},
		// Two drops: net/http itself retries an idempotent GET once when a
		// reused keep-alive connection is closed without an answer.
		{"dropped connections", emulator.Faults{DropConnections: 2}, 0, 0, "EOF"},
		{"latency beyond the client timeout", emulator.Faults{Latency: 400 * time.Millisecond}, 0, 200, "deadline"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newREST(t, "a", "b")
			f := newFixture(t, quickFactory(100*time.Millisecond, nil), r.objects(clusterLink("demo", mt("a", ""), mt("b", kafkalinkv1alpha1.MirrorTopicStatePause)))...)
			q := &recordingQueue{TypedRateLimitingInterface: f.c.queue()}
			f.c.queueRef.Store(&linkQueue{q})

			// Fault on the very first REST call.
			r.emu.SetFaults("lkc-cloud", tc.faults)
			_, err := f.sync("demo")
			if err == nil {
				t.Fatal("sync succeeded through the fault")
			}
			var retry *retryAfterError
			if got := errors.As(err, &retry); got != (tc.wantAfter > 0) {
				t.Errorf("retryAfterError %v for %v", got, err)
			} else if got && retry.after != tc.wantAfter {
				t.Errorf("retry after %v, want %v", retry.after, tc.wantAfter)
			}
			if !strings.Contains(err.Error(), tc.wantMessage) {
				t.Errorf("error %q does not mention %q", err, tc.wantMessage)
			}
			cl := f.get("demo")
			if c := condition(cl, kafkalinkv1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionFalse || c.Reason != kafkalinkv1alpha1.ReasonDestinationUnreachable {
				t.Errorf("Ready during the fault: %+v", c)
			}
			if !slices.Contains(cl.Finalizers, kafkalinkv1alpha1.FinalizerClusterLink) {
				t.Error("finalizer not added before the REST fault")
			}
			time.Sleep(10 * time.Millisecond) // the emulator records a timed-out request when its handler returns
			reqs := r.emu.Requests()
			if len(reqs) != 1 || reqs[0].Code != tc.wantCode {
				t.Errorf("requests during the fault %+v, want one answered %d", reqs, tc.wantCode)
			}

			// The link gets created, then the fault hits the link GET of the
			// next reconcile, run by the worker: it requeues after
			// Retry-After exactly, else rate limited.
			r.emu.SetFaults("lkc-cloud", emulator.Faults{})
			if _, err := f.sync("demo"); err != nil {
				t.Fatal(err)
			}
			r.emu.SetFaults("lkc-cloud", tc.faults)
			mark := len(r.emu.Requests())
			after, limited := f.work(q, "demo")
			time.Sleep(10 * time.Millisecond)
			reqs = r.emu.Requests()[mark:]
			if len(reqs) == 0 || len(reqs) > 2 {
				t.Errorf("requests of the faulty reconcile %+v", reqs)
			}
			for _, q := range reqs {
				if q.Code != tc.wantCode || q.Endpoint != "/clusters/{cluster_id}/links" {
					t.Errorf("requests of the faulty reconcile %+v, want only link list GETs answered %d", reqs, tc.wantCode)
				}
			}
			if tc.wantAfter > 0 {
				if !slices.Equal(after, []time.Duration{tc.wantAfter}) || limited != 0 {
					t.Errorf("worker requeued after %v, rate limited %d; want after %v", after, limited, tc.wantAfter)
				}
			} else if len(after) != 0 || limited != 1 {
				t.Errorf("worker requeued after %v, rate limited %d; want rate limited once", after, limited)
			}

			// Once the fault clears: converge, one link, each mirror once.
			r.emu.SetFaults("lkc-cloud", emulator.Faults{})
			converge(t, f, "demo", 4)
			r.assertDemoConverged(t)
			if n := r.emu.Count("POST", "/clusters/{cluster_id}/links"); n != 1 {
				t.Errorf("link creates %d, want 1", n)
			}
			if n := r.emu.Count("POST", endpoint("/mirrors")); n != 2 {
				t.Errorf("mirror creates %d, want 2", n)
			}
			// And a successful sync is requeued at the resync period.
			after, limited = f.work(q, "demo")
			if !slices.Equal(after, []time.Duration{f.c.opts.ResyncPeriod}) || limited != 0 {
				t.Errorf("converged worker requeue %v / %d", after, limited)
			}
		})
	}
}

// TestLostAnswersAreIdempotent: every mutating call's answer is lost after
// the destination applied it (the client times out), then the fault clears:
// the retried creates and actions converge with no duplicate link, mirror or
// extra batch.
// assertDemoConverged checks the destination holds exactly link demo with
// a ACTIVE and b PAUSED.
func (r *emuREST) assertDemoConverged(t *testing.T) {
	t.Helper()
	dst := r.emu.Cluster("lkc-cloud")
	if links := dst.Links(); !slices.Equal(links, []string{"demo"}) {
		t.Errorf("links %v", links)
	}
	var names []string
	for _, m := range dst.Mirrors("demo") {
		names = append(names, m.Name+"="+m.Status)
	}
	if !slices.Equal(names, []string{"a=ACTIVE", "b=PAUSED"}) {
		t.Errorf("mirrors %v", names)
	}
}

func TestLostAnswersAreIdempotent(t *testing.T) {
	r := newREST(t, "a", "b")
	var mu sync.Mutex
	lose := true
	lost := 0
	wrap := func(base http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := base.RoundTrip(req)
			mu.Lock()
			defer mu.Unlock()
			if err == nil && lose && req.Method != http.MethodGet {
				resp.Body.Close()
				lost++
				return nil, fmt.Errorf("answer lost: %w", context.DeadlineExceeded)
			}
			return resp, err
		})
	}
	f := newFixture(t, quickFactory(time.Second, wrap), r.objects(clusterLink("demo", mt("a", ""), mt("b", kafkalinkv1alpha1.MirrorTopicStatePause)))...)
	for i := 0; i < 4; i++ {
		if _, err := f.sync("demo"); err == nil {
			t.Logf("sync %d succeeded", i)
		}
	}
	mu.Lock()
	lose = false
	if lost == 0 {
		t.Fatal("no answer was lost")
	}
	mu.Unlock()
	converge(t, f, "demo", 4)
	r.assertDemoConverged(t)
	for _, q := range r.emu.Requests() {
		if q.Code == http.StatusConflict && q.Endpoint == "/clusters/{cluster_id}/links" {
			t.Logf("re-created link answered 409 (treated as done)")
		}
	}
}

// TestClientRetriesAbsorbShortFaults: with the production client (4
// attempts), a couple of dropped connections never reach the controller.
func TestClientRetriesAbsorbShortFaults(t *testing.T) {
	r := newREST(t, "a")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", "")))...)
	converge(t, f, "demo", 4)
	r.emu.SetFaults("lkc-cloud", emulator.Faults{DropConnections: 2})
	mark := len(r.emu.Requests())
	if _, err := f.sync("demo"); err != nil {
		t.Fatalf("sync with 2 dropped connections: %v", err)
	}
	var dropped int
	for _, q := range r.emu.Requests()[mark:] {
		if q.Code == 0 {
			dropped++
		}
	}
	if dropped != 2 {
		t.Errorf("dropped %d, want 2", dropped)
	}
	if c := condition(f.get("demo"), kafkalinkv1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Ready %+v", c)
	}
}

func manyTopics(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return out
}

func TestCountedEfficiency(t *testing.T) {
	t.Run("converged link: 1 link list + 1 mirror list of the cluster, no writes", func(t *testing.T) {
		r := newREST(t, "a", "b", "c")
		f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", ""), mt("b", kafkalinkv1alpha1.MirrorTopicStatePause), mt("c", "")))...)
		converge(t, f, "demo", 4)
		if _, err := f.sync("demo"); err != nil { // the first converged sync may still record status
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			mark := len(r.emu.Requests())
			f.resetActions()
			f.kube.ClearActions()
			res, err := f.sync("demo")
			if err != nil {
				t.Fatal(err)
			}
			reads, writes, list := r.calls(mark)
			// Each reconcile of the same link plans from a newer view of
			// its cluster (the shared-view tests count other links).
			want := []string{"GET /clusters/{cluster_id}/links", "GET /clusters/{cluster_id}/links/-/mirrors"}
			if !slices.Equal(list, want) || reads != 2 || writes != 0 {
				t.Errorf("resync %d REST calls %v, want %v", i, list, want)
			}
			if n := f.statusWrites(); n != 0 {
				t.Errorf("resync %d: %d status writes", i, n)
			}
			if n := f.writes(); n != 0 {
				t.Errorf("resync %d: %d apiserver writes", i, n)
			}
			if n := f.secretGets(); n != 0 {
				t.Errorf("resync %d: %d Secret GETs", i, n)
			}
			if res.requeueAfter != f.c.opts.ResyncPeriod {
				t.Errorf("resync %d requeues after %v", i, res.requeueAfter)
			}
		}
	})

	t.Run("pausing 100 topics is 1 mirrors:pause call", func(t *testing.T) {
		names := manyTopics("p", 100)
		r := newREST(t, names...)
		var topics []kafkalinkv1alpha1.MirrorTopic
		for _, n := range names {
			topics = append(topics, mt(n, ""))
		}
		f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", topics...))...)
		converge(t, f, "demo", 4)
		cl := f.get("demo")
		for i := range cl.Spec.MirrorTopics {
			cl.Spec.MirrorTopics[i].State = kafkalinkv1alpha1.MirrorTopicStatePause
		}
		f.update(cl)
		mark := len(r.emu.Requests())
		f.resetActions()
		if _, err := f.sync("demo"); err != nil {
			t.Fatal(err)
		}
		reads, writes, list := r.calls(mark)
		if writes != 1 || reads != 2 || r.emu.Count("POST", endpoint("/mirrors:pause")) != 1 {
			t.Errorf("pausing 100 topics: %d reads, %d writes: %v", reads, writes, list)
		}
		if n := f.statusWrites(); n != 1 {
			t.Errorf("status writes %d, want 1", n)
		}
		for _, m := range r.emu.Cluster("lkc-cloud").Mirrors("demo") {
			if m.Status != "PAUSED" {
				t.Errorf("%s is %s", m.Name, m.Status)
			}
		}
		cl = f.get("demo")
		for _, s := range cl.Status.MirrorTopics {
			if s.LastAction != "PAUSE" {
				t.Errorf("%s lastAction %q", s.Name, s.LastAction)
			}
		}
		converge(t, f, "demo", 2)
		if n := r.emu.Count("POST", endpoint("/mirrors:pause")); n != 1 {
			t.Errorf("pause batches after converging: %d", n)
		}
	})

	t.Run("a new link with 50 topics: 1 link list, the link and 50 mirror creates, no mirror list", func(t *testing.T) {
		const n = 50
		names := manyTopics("c", n)
		r := newREST(t, names...)
		var topics []kafkalinkv1alpha1.MirrorTopic
		for _, x := range names {
			topics = append(topics, mt(x, ""))
		}
		f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", topics...))...)
		if _, err := f.sync("demo"); err != nil {
			t.Fatal(err)
		}
		creates, other := 0, []string{}
		for _, q := range r.emu.Requests() {
			switch {
			case q.Method == "POST" && q.Endpoint == endpoint("/mirrors"):
				creates++
			case q.Endpoint == "/clusters":
				// The client's API prefix discovery, once per client.
			default:
				other = append(other, q.Method+" "+q.Endpoint)
			}
		}
		if creates != n {
			t.Errorf("%d mirror creates, want %d", creates, n)
		}
		if want := []string{"GET /clusters/{cluster_id}/links", "POST /clusters/{cluster_id}/links"}; !slices.Equal(other, want) {
			t.Errorf("other REST calls %v, want %v", other, want)
		}
		// The finalizer is the only write: the status of a reconcile that
		// only created things is written by the next one, which observes.
		if n := f.statusWrites(); n != 0 {
			t.Errorf("status writes %d, want 0", n)
		}
		if n := f.writes(); n != 1 {
			t.Errorf("apiserver writes %d, want 1 (the finalizer)", n)
		}
		converge(t, f, "demo", 2)
		if got := len(r.emu.Cluster("lkc-cloud").Mirrors("demo")); got != n {
			t.Errorf("%d mirrors", got)
		}
		if c := r.emu.Count("POST", endpoint("/mirrors")); c != n {
			t.Errorf("mirror creates overall %d, want %d", c, n)
		}
	})
}

func TestCrossNamespaceReferencePolicy(t *testing.T) {
	cases := []struct {
		allowed []string
		ok      bool
	}{
		{nil, false},
		{[]string{"team-a"}, false},
		{[]string{testNamespace}, true},
		{[]string{"*"}, true},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.allowed), func(t *testing.T) {
			r := newREST(t, "a")
			class := restClass("krc-cloud", r.dst.URL, "lkc-cloud")
			class.Namespace = "shared"
			class.Spec.AllowedNamespaces = tc.allowed
			secret := basicSecret("restclass-krc-cloud", "key", "secret")
			secret.Namespace = "shared"
			cl := clusterLink("demo", mt("a", ""))
			cl.Spec.DestinationKafkaCluster.KafkaRestClassRef.Namespace = "shared"
			f := newFixture(t, DefaultRESTClientFactory(nil), []runtime.Object{class, secret, plainSecret("plainpassjks", "u", "p"), cl}...)

			if tc.ok {
				converge(t, f, "demo", 4)
				return
			}
			res, err := f.sync("demo")
			if err != nil {
				t.Fatalf("a forbidden reference is reported, not retried: %v", err)
			}
			if res.requeueAfter != f.c.opts.ResyncPeriod {
				t.Errorf("requeue after %v", res.requeueAfter)
			}
			got := f.get("demo")
			c := condition(got, kafkalinkv1alpha1.ConditionReady)
			if c == nil || c.Status != metav1.ConditionFalse || c.Reason != kafkalinkv1alpha1.ReasonKafkaRestClassForbidden ||
				!strings.Contains(c.Message, "shared/krc-cloud") || !strings.Contains(c.Message, testNamespace) {
				t.Errorf("Ready %+v", c)
			}
			if n := len(r.emu.Requests()); n != 0 {
				t.Errorf("%d REST calls for a forbidden reference", n)
			}
			if n := f.secretGets(); n != 0 {
				t.Errorf("%d Secret reads in the class's namespace for a forbidden reference", n)
			}
			if ev := strings.Join(f.events(), "\n"); !strings.Contains(ev, EventReferenceError) {
				t.Errorf("no %s event:\n%s", EventReferenceError, ev)
			}
			// Reported once: the next sync writes no status.
			f.resetActions()
			if _, err := f.sync("demo"); err != nil {
				t.Fatal(err)
			}
			if n := f.statusWrites(); n != 0 {
				t.Errorf("status rewritten %d times for an unchanged forbidden reference", n)
			}
		})
	}
}

// A removed topic stopped by someone else between the plan's list and the
// delete is a normal topic by then: the controller looks again right
// before deleting and leaves it alone.
func TestTopicStoppedBeforeDeleteIsKept(t *testing.T) {
	r := newREST(t, "a", "b")
	var armed atomic.Bool
	stopB := func() {
		c, err := kafkarest.New(kafkarest.Config{Endpoint: r.dst.URL, Username: "key", Password: "secret"})
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := c.AlterMirrors(context.Background(), "lkc-cloud", "demo", kafkarest.MirrorAction("failover"), []string{"b"}, false); err != nil {
			t.Error(err)
		}
	}
	transport := func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := next.RoundTrip(req)
			if err == nil && req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/links/-/mirrors") && armed.CompareAndSwap(true, false) {
				stopB() // after the plan's list, before the delete
			}
			return resp, err
		})
	}
	f := newFixture(t, quickFactory(5*time.Second, transport), r.objects(clusterLink("demo", mt("a", ""), mt("b", "")))...)
	converge(t, f, "demo", 4)

	cl := f.get("demo")
	cl.Spec.MirrorTopics = cl.Spec.MirrorTopics[:1]
	f.update(cl)
	armed.Store(true)
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if armed.Load() {
		t.Fatal("the hook never ran")
	}
	if n := r.emu.Count("DELETE", "/clusters/{cluster_id}/topics/{topic_name}"); n != 0 {
		t.Errorf("deleted %d topics; b was stopped before the delete", n)
	}
	if !slices.Contains(r.emu.Cluster("lkc-cloud").Topics(), "b") {
		t.Error("topic b is gone")
	}
}
