package controller

import (
	"fmt"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// restCalls lists the REST calls since mark as "METHOD endpoint", without
// the client's one-time API prefix discovery (the first GET /clusters of
// the log); any later GET /clusters counts.
func (r *emuREST) restCalls(mark int) []string {
	var out []string
	first := true
	for i, q := range r.emu.Requests() {
		isDiscovery := q.Endpoint == "/clusters" && first
		if q.Endpoint == "/clusters" {
			first = false
		}
		if i < mark || isDiscovery {
			continue
		}
		out = append(out, q.Method+" "+q.Endpoint)
	}
	return out
}

func tenTopics(prefix string) ([]string, []kafkalinkv1alpha1.MirrorTopic) {
	var names []string
	var topics []kafkalinkv1alpha1.MirrorTopic
	for i := 0; i < 10; i++ {
		n := fmt.Sprintf("%s-%02d", prefix, i)
		names = append(names, n)
		topics = append(topics, mt(n, ""))
	}
	return names, topics
}

// One new ClusterLink with ten topics converges with 14 REST calls (the
// lower bound, 13, plus the one observation that sees the result) and two
// ClusterLink writes (the finalizer, then the converged status).
func TestNewLinkConvergesWithFourteenCallsAndTwoWrites(t *testing.T) {
	names, topics := tenTopics("t")
	r := newREST(t, names...)
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", topics...))...)
	converge(t, f, "demo", 3)

	calls := r.restCalls(0)
	want := []string{"GET /clusters/{cluster_id}/links", "POST /clusters/{cluster_id}/links"}
	for range 10 {
		want = append(want, "POST "+endpoint("/mirrors"))
	}
	want = append(want, "GET /clusters/{cluster_id}/links", "GET /clusters/{cluster_id}/links/-/mirrors")
	if !slices.Equal(calls, want) {
		t.Errorf("REST calls to converge (%d):\n%v\nwant (%d):\n%v", len(calls), calls, len(want), want)
	}
	if n := f.writes(); n != 2 {
		t.Errorf("ClusterLink writes to converge: %d, want 2 (finalizer, converged status)", n)
	}
	cl := f.get("demo")
	if cl.Status.MirrorTopicsReady != "10/10" || cl.Status.ClusterLinkID == "" || cl.Status.AppliedLinkConfigs == "" {
		t.Errorf("converged status %+v", cl.Status)
	}
	for _, n := range names {
		if s := topicStatus(cl, n); s == nil || !s.Created || s.LastAction != "CREATE" || s.LastActionTime == nil {
			t.Errorf("status of %s: %+v (the deferred status must keep what the creating reconcile did)", n, s)
		}
	}
	// The converged link's next reconcile writes nothing (status unchanged)
	// and makes no configs call (the creation's digest was carried over).
	f.resetActions()
	mark := len(r.emu.Requests())
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if n := f.writes(); n != 0 {
		t.Errorf("converged reconcile wrote %d times", n)
	}
	for _, c := range r.restCalls(mark) {
		if c != "GET /clusters/{cluster_id}/links" && c != "GET /clusters/{cluster_id}/links/-/mirrors" {
			t.Errorf("converged reconcile called %s", c)
		}
	}
}

// Two ClusterLinks on one destination cluster share its view: a resync of
// both costs one link list and one mirror list, not two of each.
func TestSharedViewTwoLinksOneCluster(t *testing.T) {
	namesA, topicsA := tenTopics("a")
	namesB, topicsB := tenTopics("b")
	r := newREST(t, append(namesA, namesB...)...)
	a, b := clusterLink("link-a", topicsA...), clusterLink("link-b", topicsB...)
	b.UID = "uid-b"
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(a, b)...)
	converge(t, f, "link-a", 3)
	converge(t, f, "link-b", 3)

	for round := 0; round < 3; round++ {
		mark := len(r.emu.Requests())
		f.resetActions()
		for _, name := range []string{"link-a", "link-b"} {
			res, err := f.sync(name)
			if err != nil {
				t.Fatal(err)
			}
			if res.requeueAfter != f.c.opts.ResyncPeriod {
				t.Errorf("round %d: %s requeues after %v", round, name, res.requeueAfter)
			}
		}
		want := []string{"GET /clusters/{cluster_id}/links", "GET /clusters/{cluster_id}/links/-/mirrors"}
		if got := r.restCalls(mark); !slices.Equal(got, want) {
			t.Errorf("round %d: REST calls for two links %v, want %v", round, got, want)
		}
		if n := f.writes(); n != 0 {
			t.Errorf("round %d: %d apiserver writes", round, n)
		}
	}
	// Each link is still planned from its own mirrors.
	for name, n := range map[string]string{"link-a": namesA[3], "link-b": namesB[7]} {
		if s := topicStatus(f.get(name), n); s == nil || s.Status != "ACTIVE" {
			t.Errorf("%s/%s: %+v", name, n, s)
		}
	}
}

// A reconcile that acted plans next from a view started after its actions,
// never from one taken before (or during) them.
func TestViewAfterActingIsNewer(t *testing.T) {
	names, topics := tenTopics("t")
	r := newREST(t, names...)
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", topics...))...)
	converge(t, f, "demo", 3)
	cl := f.get("demo")
	cl.Spec.MirrorTopics[0].State = kafkalinkv1alpha1.MirrorTopicStatePause
	f.update(cl)
	if _, err := f.sync("demo"); err != nil { // pauses
		t.Fatal(err)
	}
	mark := len(r.emu.Requests())
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /clusters/{cluster_id}/links", "GET /clusters/{cluster_id}/links/-/mirrors"}
	if got := r.restCalls(mark); !slices.Equal(got, want) {
		t.Errorf("reconcile after acting: %v, want a fresh view %v", got, want)
	}
	if s := topicStatus(f.get("demo"), names[0]); s == nil || s.Status != "PAUSED" {
		t.Errorf("after the pause: %+v", s)
	}
}

// During a source outage a link's polls back off exponentially to the
// resync period without REST writes; a spec change or a Secret change
// starts over at the poll interval; the recovery watch's refresh of the
// cluster queues the link as soon as the source is back.
func TestBackoffWhileSourceUnavailable(t *testing.T) {
	names, topics := tenTopics("t")
	r := newREST(t, names...)
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", topics...))...)
	converge(t, f, "demo", 3)
	f.waitForCache("demo")

	r.emu.SetSourceOutage("onprem", true)
	mark := len(r.emu.Requests())
	poll := f.c.opts.TransitionPollInterval
	var got []time.Duration
	var elapsed time.Duration
	calls := 0
	for i := 0; i < 9; i++ {
		before := len(r.emu.Requests())
		res, err := f.sync("demo")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res.requeueAfter)
		// A reconcile while waiting re-reads the shared view, nothing more.
		want := []string{"GET /clusters/{cluster_id}/links", "GET /clusters/{cluster_id}/links/-/mirrors"}
		if c := r.restCalls(before); !slices.Equal(c, want) {
			t.Errorf("reconcile %d during the outage called %v, want %v", i, c, want)
		}
		calls += len(r.emu.Requests()) - before
		elapsed += res.requeueAfter
	}
	// The schedule's cost: calls per link per minute of outage, against
	// the budget of 4 (issue target) — the recovery watch adds at most
	// degradedCallBudget per waiting link (TestWatchInterval).
	if perMinute := float64(calls) / elapsed.Minutes(); perMinute+degradedCallBudget > 4 {
		t.Errorf("%.2f REST calls per minute from reconciles (+%d from the watch) during the outage, budget 4", perMinute, degradedCallBudget)
	}
	want := []time.Duration{2 * poll, 4 * poll, 8 * poll, 16 * poll, 32 * poll, 64 * poll, 128 * poll, f.c.opts.ResyncPeriod, f.c.opts.ResyncPeriod}
	if !slices.Equal(got, want) {
		t.Errorf("requeues during the outage %v, want %v", got, want)
	}
	if _, writes, list := r.calls(mark); writes != 0 {
		t.Errorf("REST writes during the outage: %v", list)
	}
	if c := condition(f.get("demo"), kafkalinkv1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("Ready during the outage: %+v", c)
	}
	if w := f.c.watchedClusters(); len(w) != 1 {
		t.Errorf("recovery watch: %v, want the link's cluster", w)
	}

	// A Secret change starts over.
	f.c.enqueueLinksOfSecret(plainSecret("plainpassjks", "link-reader", "pw"))
	if res, err := f.sync("demo"); err != nil || res.requeueAfter != 2*poll {
		t.Errorf("after a Secret change: requeue %v, %v; want %v", res.requeueAfter, err, 2*poll)
	}
	for i := 0; i < 3; i++ {
		if _, err := f.sync("demo"); err != nil {
			t.Fatal(err)
		}
	}
	// So does a spec change (one that needs no REST action).
	cl := f.get("demo")
	cl.Spec.DeletionPolicy = kafkalinkv1alpha1.DeletionPolicyRetain
	f.update(cl)
	if res, err := f.sync("demo"); err != nil || res.requeueAfter != 2*poll {
		t.Errorf("after a spec change: requeue %v, %v; want %v", res.requeueAfter, err, 2*poll)
	}

	// The source returns: the watch's refresh notices and queues the link.
	r.emu.SetSourceOutage("onprem", false)
	for f.c.queue().Len() > 0 {
		k, _ := f.c.queue().Get()
		f.c.queue().Done(k)
	}
	for key := range f.c.watchedClusters() {
		if err := f.c.snapshots.refresh(f.ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if f.c.queue().Len() != 1 {
		t.Fatalf("queue after the refresh: %d items, want the recovered link", f.c.queue().Len())
	}
	k, _ := f.c.queue().Get()
	f.c.queue().Done(k)
	if k != (cache.ObjectName{Namespace: testNamespace, Name: "demo"}) {
		t.Errorf("queued %v", k)
	}
	res, err := f.sync("demo")
	if err != nil {
		t.Fatal(err)
	}
	if c := condition(f.get("demo"), kafkalinkv1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Ready after the outage: %+v", c)
	}
	if res.requeueAfter != f.c.opts.ResyncPeriod || len(f.c.watchedClusters()) != 0 {
		t.Errorf("after recovery: requeue %v, watched %v", res.requeueAfter, f.c.watchedClusters())
	}
	if _, writes, list := r.calls(mark); writes != 0 {
		t.Errorf("REST writes over the outage: %v", list)
	}
}

// The recovery watch's budget: at most degradedCallBudget calls per waiting
// link per minute (a refresh is two calls), never faster than the poll.
func TestWatchInterval(t *testing.T) {
	poll := 5 * time.Second
	for n, want := range map[int]time.Duration{0: 0, 1: time.Minute, 4: 15 * time.Second, 12: poll, 40: poll, 1000: poll} {
		got := watchInterval(poll, n)
		if got != want {
			t.Errorf("watchInterval(%v, %d) = %v, want %v", poll, n, got, want)
		}
		if n > 0 {
			perLinkPerMinute := 2 * float64(time.Minute) / float64(got) / float64(n)
			if perLinkPerMinute > degradedCallBudget {
				t.Errorf("%d links: %.2f calls per link per minute", n, perLinkPerMinute)
			}
		}
	}
}

func TestWaitBackoff(t *testing.T) {
	poll, resync := 5*time.Second, 5*time.Minute
	for waits, want := range map[int]time.Duration{0: poll, 1: poll, 3: poll, 4: 10 * time.Second, 5: 20 * time.Second, 8: 160 * time.Second, 9: resync, 50: resync} {
		if got := waitBackoff(poll, resync, waits); got != want {
			t.Errorf("waitBackoff(%d) = %v, want %v", waits, got, want)
		}
	}
}

// The informers' transform drops managedFields and kubectl's
// last-applied annotation, and keeps every other annotation.
func TestStripForCache(t *testing.T) {
	cl := clusterLink("demo")
	cl.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}}
	cl.Annotations = map[string]string{annotationLastApplied: `{"big":"object"}`, kafkalinkv1alpha1.AnnotationPauseReconciliation: "true"}
	out, err := stripForCache(cl)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*kafkalinkv1alpha1.ClusterLink)
	if got.ManagedFields != nil {
		t.Errorf("managedFields kept: %v", got.ManagedFields)
	}
	if _, ok := got.Annotations[annotationLastApplied]; ok || got.Annotations[kafkalinkv1alpha1.AnnotationPauseReconciliation] != "true" {
		t.Errorf("annotations %v", got.Annotations)
	}
	if out, err := stripForCache(cache.DeletedFinalStateUnknown{Key: "x"}); err != nil || out == nil {
		t.Errorf("tombstone: %v %v", out, err)
	}
}

// Secret values no ClusterLink or KafkaRestClass references any more are
// dropped by the sweep; referenced ones stay.
func TestSweepDropsUnreferencedSecretValues(t *testing.T) {
	names, topics := tenTopics("t")
	r := newREST(t, names...)
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", topics...))...)
	converge(t, f, "demo", 3)
	f.c.secrets.mu.Lock()
	f.c.secrets.data[testNamespace+"/gone"] = cachedSecret{resourceVersion: "1", data: map[string][]byte{"x": []byte("y")}}
	before := len(f.c.secrets.data)
	f.c.secrets.mu.Unlock()
	f.c.sweep(f.ctx)
	f.c.secrets.mu.Lock()
	defer f.c.secrets.mu.Unlock()
	if _, ok := f.c.secrets.data[testNamespace+"/gone"]; ok {
		t.Error("unreferenced Secret value kept")
	}
	if len(f.c.secrets.data) != before-1 {
		t.Errorf("cached Secrets %d, want %d (the referenced ones)", len(f.c.secrets.data), before-1)
	}
}

// A view that raced with the link (it lists the cluster without a link
// this ClusterLink has seen) is checked with a GET of the link before
// anything is re-created: the link is not created twice, and the status
// keeps every managed topic.
func TestStaleViewWithoutTheLinkIsChecked(t *testing.T) {
	names, topics := tenTopics("t")
	r := newREST(t, names...)
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", topics...))...)
	converge(t, f, "demo", 3)
	f.waitForCache("demo")
	before := f.get("demo").Status.MirrorTopics

	// Publish a newer view that lacks the link, as a list taken just
	// before the link appeared would.
	var key snapshotKey
	f.c.mu.Lock()
	key = f.c.memory[cache.ObjectName{Namespace: testNamespace, Name: "demo"}].cluster
	f.c.mu.Unlock()
	e := f.c.snapshots.entry(key)
	e.mu.Lock()
	gen := e.started.Add(1)
	e.view = &clusterView{gen: gen, fetched: f.now, links: map[string]Link{}, mirrors: map[string][]Mirror{}}
	e.mu.Unlock()

	mark := len(r.emu.Requests())
	f.resetActions()
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if got, want := r.restCalls(mark), []string{"GET " + endpoint("")}; !slices.Equal(got, want) {
		t.Errorf("REST calls on a stale view: %v, want %v", got, want)
	}
	if n := f.writes(); n != 0 {
		t.Errorf("%d apiserver writes on a stale view", n)
	}
	// The next reconcile plans from a fresh view and stays converged.
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	cl := f.get("demo")
	if len(cl.Status.MirrorTopics) != len(before) || r.emu.Count("POST", "/clusters/{cluster_id}/links") != 1 {
		t.Errorf("after the stale view: %d status entries (had %d), %d link creates", len(cl.Status.MirrorTopics), len(before), r.emu.Count("POST", "/clusters/{cluster_id}/links"))
	}
	if c := condition(cl, kafkalinkv1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Ready: %+v", c)
	}
}
