package controller

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2/textlogger"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/kafkarest"
	"github.com/kafkalink/kafkalink/pkg/kafkarest/emulator"
)

// clock is the emulator's clock; tests move it to complete transitions.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time        { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration)   { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func newClock() *clock                 { return &clock{now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)} }
func endpoint(suffix string) string    { return "/clusters/{cluster_id}/links/{link_name}" + suffix }
func topicNames(ts ...string) []string { return ts }
func (f *fixture) events() []string    { return drain(f.recorder.Events) }
func drain(ch <-chan string) []string {
	var out []string
	for {
		select {
		case e := <-ch:
			out = append(out, e)
		default:
			return out
		}
	}
}

// rest is the emulated destination and source, served over HTTP so the
// controller's real REST client (pkg/kafkarest) is what is tested.
type emuREST struct {
	emu   *emulator.Emulator
	clock *clock
	dst   *httptest.Server
	src   *httptest.Server
}

func newREST(t testing.TB, topics ...string) *emuREST {
	t.Helper()
	clk := newClock()
	emu := emulator.New(emulator.WithClock(clk.Now), emulator.WithStopDelay(5*time.Second))
	srcTopics := map[string]int{}
	for _, tp := range topics {
		srcTopics[tp] = 2
	}
	emu.AddCluster(emulator.ClusterConfig{ID: "onprem", Bootstrap: "onprem:9071", Username: "src", Password: "src-pass", Topics: srcTopics})
	emu.AddCluster(emulator.ClusterConfig{ID: "lkc-cloud", Bootstrap: "cloud:9092", Username: "key", Password: "secret"})
	r := &emuREST{emu: emu, clock: clk, dst: httptest.NewServer(emu.Cluster("lkc-cloud").Handler()), src: httptest.NewServer(emu.Cluster("onprem").Handler())}
	t.Cleanup(r.dst.Close)
	t.Cleanup(r.src.Close)
	return r
}

func (r *emuREST) objects(links ...*kafkalinkv1alpha1.ClusterLink) []runtime.Object {
	objs := []runtime.Object{
		restClass("krc-cloud", r.dst.URL, "lkc-cloud"),
		basicSecret("restclass-krc-cloud", "key", "secret"),
		plainSecret("plainpassjks", "link-reader", "pw"),
	}
	for _, l := range links {
		objs = append(objs, l)
	}
	return objs
}

// writes counts non-GET REST calls since mark.
func (r *emuREST) calls(mark int) (reads, writes int, list []string) {
	for _, q := range r.emu.Requests()[mark:] {
		if q.Method == "GET" || q.ValidateOnly { // validate_only changes nothing
			reads++
		} else {
			writes++
		}
		list = append(list, q.Method+" "+q.Endpoint)
	}
	return reads, writes, list
}

// exists reports whether the ClusterLink is still stored (a deleted object
// goes once its last finalizer is removed).
func (f *fixture) exists(name string) bool {
	_, err := f.client.KafkalinkV1alpha1().ClusterLinks(testNamespace).Get(f.ctx, name, metav1.GetOptions{})
	return err == nil
}

// handMirror creates a mirror under the link outside kafkalink.
func (r *emuREST) handMirror(t *testing.T, link, topic string) {
	t.Helper()
	c, err := kafkarest.New(kafkarest.Config{Endpoint: r.dst.URL, Username: "key", Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreateMirror(context.Background(), "lkc-cloud", link, kafkarest.CreateMirrorRequest{SourceTopicName: topic, MirrorTopicName: topic}); err != nil {
		t.Fatal(err)
	}
}

func converge(t *testing.T, f *fixture, name string, max int) {
	t.Helper()
	for i := 0; i < max; i++ {
		if _, err := f.sync(name); err != nil {
			t.Fatalf("sync %d: %v", i, err)
		}
		if c := condition(f.get(name), kafkalinkv1alpha1.ConditionReady); c != nil && c.Status == metav1.ConditionTrue {
			return
		}
	}
	cl := f.get(name)
	t.Fatalf("not Ready after %d syncs: %+v", max, cl.Status)
}

func TestCreateLinkAndMirrorsThenSteadyState(t *testing.T) {
	r := newREST(t, "orders", "payments")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("orders", ""), mt("payments", kafkalinkv1alpha1.MirrorTopicStatePause)))...)
	converge(t, f, "demo", 4)

	cl := f.get("demo")
	if !slices.Contains(cl.Finalizers, kafkalinkv1alpha1.FinalizerClusterLink) {
		t.Errorf("finalizer not added: %v", cl.Finalizers)
	}
	dst := r.emu.Cluster("lkc-cloud")
	cfg := dst.LinkConfigs("demo")
	if cfg["bootstrap.servers"] != "onprem:9071" || cfg["security.protocol"] == "" {
		t.Errorf("link configs %v", cfg)
	}
	for topic, want := range map[string]string{"orders": "ACTIVE", "payments": "PAUSED"} {
		if st, _, ok := dst.Mirror("demo", topic); !ok || st != want {
			t.Errorf("emulated %s: %q, want %s", topic, st, want)
		}
		if s := topicStatus(cl, topic); s == nil || s.Status != want || !s.Created {
			t.Errorf("status of %s: %+v", topic, s)
		}
	}
	if cl.Status.MirrorTopicsReady != "2/2" || cl.Status.ObservedGeneration != 1 || cl.Status.LinkState != "ACTIVE" {
		t.Errorf("status %+v", cl.Status)
	}
	events := strings.Join(f.events(), "\n")
	for _, want := range []string{"LinkCreated", "MirrorCreated", "MirrorsPaused"} {
		if !strings.Contains(events, want) {
			t.Errorf("no %s event in\n%s", want, events)
		}
	}

	// Steady state: one reconcile reads the link and the mirror list, writes
	// nothing to REST and nothing to the apiserver.
	mark := len(r.emu.Requests())
	f.resetActions()
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	reads, writes, list := r.calls(mark)
	if writes != 0 || reads > 2 {
		t.Errorf("steady-state reconcile made %d REST reads and %d writes: %v", reads, writes, list)
	}
	if n := f.writes(); n != 0 {
		t.Errorf("steady-state reconcile wrote %d times to the apiserver", n)
	}
}

func TestBatchActionsAndPromote(t *testing.T) {
	r := newREST(t, "a", "b", "c")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", ""), mt("b", ""), mt("c", "")))...)
	converge(t, f, "demo", 4)

	cl := f.get("demo")
	for i := range cl.Spec.MirrorTopics {
		cl.Spec.MirrorTopics[i].State = kafkalinkv1alpha1.MirrorTopicStatePause
	}
	f.update(cl)
	mark := len(r.emu.Requests())
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if n := r.emu.Count("POST", endpoint("/mirrors:pause")); n != 1 {
		t.Errorf("pausing 3 topics: %d mirrors:pause calls, want 1", n)
	}
	_, writes, list := r.calls(mark)
	if writes != 1 {
		t.Errorf("REST writes %d: %v", writes, list)
	}
	converge(t, f, "demo", 3)

	cl = f.get("demo")
	cl.Spec.MirrorTopics[0].State = kafkalinkv1alpha1.MirrorTopicStatePromote
	f.update(cl)
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	cl = f.get("demo")
	if s := topicStatus(cl, "a"); s.Status != "PENDING_STOPPED" || s.LastAction != "PROMOTE" || s.LastActionTime == nil {
		t.Errorf("after promote: %+v", s)
	}
	if c := condition(cl, kafkalinkv1alpha1.ConditionMirrorsSynced); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("MirrorsSynced during PENDING_STOPPED: %+v", c)
	}
	r.clock.Add(10 * time.Second)
	converge(t, f, "demo", 2)
	if s := topicStatus(f.get("demo"), "a"); s.Status != "STOPPED" {
		t.Errorf("after the stop delay: %+v", s)
	}
	if n := r.emu.Count("POST", endpoint("/mirrors:promote")); n != 1 {
		t.Errorf("promote calls: %d, want 1", n)
	}
}

func TestRemovedTopicsAndUnmanagedMirrors(t *testing.T) {
	r := newREST(t, "keep", "drop", "promoted", "hand-made")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("keep", ""), mt("drop", ""), mt("promoted", kafkalinkv1alpha1.MirrorTopicStateActive)))...)
	converge(t, f, "demo", 4)
	cl := f.get("demo")
	cl.Spec.MirrorTopics[2].State = kafkalinkv1alpha1.MirrorTopicStateFailover
	f.update(cl)
	_, _ = f.sync("demo")
	r.clock.Add(10 * time.Second)
	converge(t, f, "demo", 3)

	// A mirror made by hand under the same link is never touched.
	r.handMirror(t, "demo", "hand-made")

	cl = f.get("demo")
	cl.Spec.MirrorTopics = cl.Spec.MirrorTopics[:1] // drop "drop" and "promoted"
	f.update(cl)
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	converge(t, f, "demo", 2)
	dst := r.emu.Cluster("lkc-cloud")
	if _, _, ok := dst.Mirror("demo", "drop"); ok {
		t.Error("removed mirroring topic not deleted")
	}
	if !slices.Contains(dst.Topics(), "promoted") {
		t.Error("a failed-over topic was deleted")
	}
	if st, _, ok := dst.Mirror("demo", "hand-made"); !ok || st != "ACTIVE" {
		t.Errorf("hand-made mirror touched: %q %v", st, ok)
	}
	cl = f.get("demo")
	if cl.Status.UnmanagedMirrorTopics != 1 || len(cl.Status.MirrorTopics) != 1 {
		t.Errorf("status after removal: unmanaged %d, topics %+v", cl.Status.UnmanagedMirrorTopics, cl.Status.MirrorTopics)
	}
	if n := r.emu.Count("DELETE", "/clusters/{cluster_id}/topics/{topic_name}"); n != 1 {
		t.Errorf("topic deletes %d, want 1", n)
	}
}

func TestDeletionFailsOverThenDeletesLink(t *testing.T) {
	r := newREST(t, "a", "b", "hand")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", ""), mt("b", kafkalinkv1alpha1.MirrorTopicStatePause)))...)
	converge(t, f, "demo", 4)
	r.handMirror(t, "demo", "hand")

	cl := f.get("demo")
	if cl.Status.State != "ACTIVE" || cl.Status.LinkState != "ACTIVE" {
		t.Errorf("state of a converged link: state %q, linkState %q; want ACTIVE", cl.Status.State, cl.Status.LinkState)
	}
	cl.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	f.update(cl)
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if n := r.emu.Count("POST", endpoint("/mirrors:failover")); n != 1 {
		t.Fatalf("failover batches %d, want 1", n)
	}
	if got := f.get("demo").Finalizers; !slices.Contains(got, kafkalinkv1alpha1.FinalizerClusterLink) {
		t.Fatal("finalizer removed while mirrors are PENDING_STOPPED")
	}
	// kubectl get shows the deletion under way, not the link's ACTIVE.
	if st := f.get("demo").Status; st.State != kafkalinkv1alpha1.ClusterLinkStateDeleting {
		t.Errorf("state while failing over for deletion: %q (linkState %q), want %s", st.State, st.LinkState, kafkalinkv1alpha1.ClusterLinkStateDeleting)
	}
	r.clock.Add(10 * time.Second)
	for i := 0; i < 3 && f.exists("demo"); i++ {
		if _, err := f.sync("demo"); err != nil {
			t.Fatal(err)
		}
	}
	if f.exists("demo") {
		t.Fatalf("finalizer never removed: %+v", f.get("demo").Status.Conditions)
	}
	if n := r.emu.Count("DELETE", endpoint("")); n != 1 {
		t.Errorf("link deletes %d, want 1", n)
	}
	if n := r.emu.Count("POST", endpoint("/mirrors:failover")); n != 1 {
		t.Errorf("failover batches %d, want 1", n)
	}
	for _, tp := range topicNames("a", "b", "hand") {
		if !slices.Contains(r.emu.Cluster("lkc-cloud").Topics(), tp) {
			t.Errorf("topic %s lost on link deletion", tp)
		}
	}
}

// A deletion is reconciled again from an informer copy that still shows the
// finalizer when that copy is older than the finalizer's removal (the key was
// queued again meanwhile). That second reconcile must neither fail nor
// announce the deletion a second time.
func TestDeletedClusterLinkReportsOneLinkDeleted(t *testing.T) {
	for name, policy := range map[string]kafkalinkv1alpha1.DeletionPolicy{
		"failover": kafkalinkv1alpha1.DeletionPolicyFailover,
		"retain":   kafkalinkv1alpha1.DeletionPolicyRetain,
	} {
		t.Run(name, func(t *testing.T) {
			r := newREST(t, "a")
			f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", "")))...)
			converge(t, f, "demo", 4)
			cl := f.get("demo")
			if c := condition(cl, kafkalinkv1alpha1.ConditionMirrorsSynced); c == nil || c.Message != "mirror topics in their desired state: 1 of 1" {
				t.Errorf("MirrorsSynced of one topic: %+v", c)
			}
			cl.Spec.DeletionPolicy = policy
			cl.DeletionTimestamp = &metav1.Time{Time: time.Now()}
			f.update(cl)
			f.events()

			key := cache.ObjectName{Namespace: testNamespace, Name: "demo"}
			var stale *kafkalinkv1alpha1.ClusterLink
			for i := 0; i < 5 && f.exists("demo"); i++ {
				f.waitForCache("demo")
				cached, err := f.c.links.ClusterLinks(testNamespace).Get("demo")
				if err != nil {
					t.Fatal(err)
				}
				stale = cached.DeepCopy()
				if _, err := f.c.sync(f.ctx, key); err != nil {
					t.Fatalf("reconcile %d: %v", i, err)
				}
				r.clock.Add(10 * time.Second)
			}
			if f.exists("demo") {
				t.Fatalf("finalizer never removed: %+v", f.get("demo").Status.Conditions)
			}
			// The informer has not seen the deletion yet: put back the copy
			// the last reconcile worked from, and reconcile it again.
			f.waitForCache("demo")
			if err := f.c.linkIndexer.Add(stale); err != nil {
				t.Fatal(err)
			}
			if _, err := f.c.sync(f.ctx, key); err != nil {
				t.Errorf("second reconcile of the finished deletion: %v", err)
			}
			deleted, failingOver := 0, ""
			for _, e := range f.events() {
				if strings.Contains(e, " "+EventLinkDeleted+" ") {
					deleted++
				}
				if strings.Contains(e, " "+EventMirrorsFailedOver+" ") {
					failingOver = e
				}
			}
			if policy == kafkalinkv1alpha1.DeletionPolicyFailover && !strings.Contains(failingOver, "Failing over 1 mirror topic before deleting link demo: a") {
				t.Errorf("%s event of one topic: %q", EventMirrorsFailedOver, failingOver)
			}
			want := 1
			if policy == kafkalinkv1alpha1.DeletionPolicyRetain {
				want = 0 // Retain deletes nothing on the destination
			}
			if deleted != want {
				t.Errorf("%s events: %d, want %d", EventLinkDeleted, deleted, want)
			}
		})
	}
}

func TestDeletionRetainAndUnreachable(t *testing.T) {
	r := newREST(t, "a")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", "")))...)
	converge(t, f, "demo", 4)

	r.emu.SetFaults("lkc-cloud", emulator.Faults{ErrorRate: 1})
	cl := f.get("demo")
	cl.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	f.update(cl)
	if _, err := f.sync("demo"); err == nil {
		t.Fatal("deletion with an unreachable destination reported success")
	}
	cl = f.get("demo")
	if !slices.Contains(cl.Finalizers, kafkalinkv1alpha1.FinalizerClusterLink) {
		t.Fatal("finalizer dropped while the destination fails")
	}
	if c := condition(cl, kafkalinkv1alpha1.ConditionReady); c == nil || c.Reason != kafkalinkv1alpha1.ReasonDeletionBlocked {
		t.Errorf("Ready during blocked deletion: %+v", c)
	}
	if cl.Status.State != kafkalinkv1alpha1.ClusterLinkStateDeletionBlocked {
		t.Errorf("state during blocked deletion: %q, want %s", cl.Status.State, kafkalinkv1alpha1.ClusterLinkStateDeletionBlocked)
	}
	if ev := strings.Join(f.events(), "\n"); !strings.Contains(ev, "DeletionBlocked") {
		t.Errorf("no DeletionBlocked event:\n%s", ev)
	}

	// Retain: the documented way out. No REST call at all.
	cl.Spec.DeletionPolicy = kafkalinkv1alpha1.DeletionPolicyRetain
	f.update(cl)
	mark := len(r.emu.Requests())
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if _, _, list := r.calls(mark); len(list) != 0 {
		t.Errorf("Retain made REST calls: %v", list)
	}
	if f.exists("demo") {
		t.Error("Retain kept the finalizer")
	}
}

func TestMissingClassAndBadCredentials(t *testing.T) {
	r := newREST(t, "a")
	f := newFixture(t, DefaultRESTClientFactory(nil), clusterLink("demo", mt("a", "")), plainSecret("plainpassjks", "u", "p"))
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	c := condition(f.get("demo"), kafkalinkv1alpha1.ConditionReady)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != kafkalinkv1alpha1.ReasonKafkaRestClassNotFound || !strings.Contains(c.Message, "krc-cloud") {
		t.Errorf("Ready without a class: %+v", c)
	}
	if n := len(r.emu.Requests()); n != 0 {
		t.Errorf("%d REST calls without a class", n)
	}

	g := newFixture(t, DefaultRESTClientFactory(nil), restClass("krc-cloud", r.dst.URL, "lkc-cloud"), basicSecret("restclass-krc-cloud", "key", "wrong"),
		plainSecret("plainpassjks", "u", "p"), clusterLink("demo", mt("a", "")))
	_, _ = g.sync("demo")
	c = condition(g.get("demo"), kafkalinkv1alpha1.ConditionReady)
	if c == nil || c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, "401") {
		t.Errorf("Ready with wrong credentials: %+v", c)
	}
}

func TestNoConfigAlterAfterCreate(t *testing.T) {
	r := newREST(t, "a")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", "")))...)
	converge(t, f, "demo", 4)
	if n := r.emu.Count("PUT", endpoint("/configs:alter")) + r.emu.Count("POST", endpoint("/configs:alter")); n != 0 {
		t.Errorf("configs:alter called %d times for a link created with its configs", n)
	}
	// A changed spec config is applied with one configs:alter.
	cl := f.get("demo")
	cl.Spec.Configs = map[string]string{"consumer.offset.sync.ms": "5000"}
	f.update(cl)
	converge(t, f, "demo", 2)
	if n := r.emu.Count("PUT", endpoint("/configs:alter")); n != 1 {
		t.Errorf("configs:alter called %d times after a config change, want 1", n)
	}
	if got := r.emu.Cluster("lkc-cloud").LinkConfigs("demo")["consumer.offset.sync.ms"]; got != "5000" {
		t.Errorf("config on the destination: %q", got)
	}
}

func TestEventsAreLogged(t *testing.T) {
	var buf strings.Builder
	logger := textlogger.NewLogger(textlogger.NewConfig(textlogger.Output(&buf)))
	rec := &loggingRecorder{EventRecorder: record.NewFakeRecorder(10), logger: logger}
	rec.Eventf(clusterLink("demo"), "Normal", EventMirrorsPaused, "Paused %d mirror topics: %s", 2, "a, b")
	rec.Event(clusterLink("demo"), "Warning", EventDeletionBlocked, "cannot delete")
	rec.AnnotatedEventf(clusterLink("demo"), nil, "Normal", EventLinkCreated, "Created link %s", "demo")
	out := buf.String()
	for _, want := range []string{`"Paused 2 mirror topics: a, b" clusterLink="operator/demo" event="MirrorsPaused" type="Normal"`, `event="DeletionBlocked" type="Warning"`, `"Created link demo"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

func TestBatchEventsReadWell(t *testing.T) {
	r := newREST(t, "a", "b")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", kafkalinkv1alpha1.MirrorTopicStatePause), mt("b", kafkalinkv1alpha1.MirrorTopicStatePause)))...)
	converge(t, f, "demo", 4)
	cl := f.get("demo")
	cl.Spec.MirrorTopics[0].State = kafkalinkv1alpha1.MirrorTopicStateActive
	f.update(cl)
	converge(t, f, "demo", 3)
	events := strings.Join(f.events(), "\n")
	for _, want := range []string{"Normal MirrorsPaused Paused 2 mirror topics: a, b", "Normal MirrorsResumed Resumed 1 mirror topic: a"} {
		if !strings.Contains(events, want) {
			t.Errorf("no %q in\n%s", want, events)
		}
	}
}

// A wrong destination cluster id answers 404 for the link too: deletion
// must not take that as "the link is gone" and drop the finalizer.
func TestDeletionWithWrongClusterIDKeepsFinalizer(t *testing.T) {
	r := newREST(t, "a")
	objs := r.objects(clusterLink("demo", mt("a", "")))
	f := newFixture(t, DefaultRESTClientFactory(nil), objs...)
	converge(t, f, "demo", 4)

	class, err := f.client.KafkalinkV1alpha1().KafkaRestClasses(testNamespace).Get(f.ctx, "krc-cloud", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	class.Spec.KafkaRest.KafkaClusterID = "lkc-typo"
	if _, err := f.client.KafkalinkV1alpha1().KafkaRestClasses(testNamespace).Update(f.ctx, class, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the class informer see it
	cl := f.get("demo")
	cl.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	f.update(cl)
	// The link was seen on lkc-cloud: the class now resolving to another
	// id stops the deletion before any REST call (ClusterChanged).
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if !f.exists("demo") || !slices.Contains(f.get("demo").Finalizers, kafkalinkv1alpha1.FinalizerClusterLink) {
		t.Fatal("finalizer dropped although the link was never failed over or deleted")
	}
	if c := condition(f.get("demo"), kafkalinkv1alpha1.ConditionReady); c == nil || c.Reason != kafkalinkv1alpha1.ReasonDeletionBlocked || !strings.Contains(c.Message, `resolves to cluster "lkc-typo"`) {
		t.Errorf("Ready: %+v", c)
	}
	if n := r.emu.Count("POST", endpoint("/mirrors:failover")); n != 0 {
		t.Errorf("failover sent to a wrong cluster: %d", n)
	}
}

// sharedLinkPair is two ClusterLinks naming link "shared": "first" (older,
// mirroring a) and "second" (younger, mirroring b).
func sharedLinkPair() (older, younger *kafkalinkv1alpha1.ClusterLink) {
	older = clusterLink("first", mt("a", ""))
	older.Spec.Name = "shared"
	older.CreationTimestamp = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	younger = clusterLink("second", mt("b", ""))
	younger.Spec.Name = "shared"
	younger.UID = "uid-2"
	younger.CreationTimestamp = metav1.NewTime(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	return older, younger
}

// Two ClusterLinks for one link: the younger does nothing, and deleting it
// fails over nothing; once the older is gone it takes over.
func TestDuplicateLinkIsRefused(t *testing.T) {
	r := newREST(t, "a", "b")
	older, younger := sharedLinkPair()
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(older, younger)...)
	converge(t, f, "first", 4)

	mark := len(r.emu.Requests())
	if _, err := f.sync("second"); err != nil {
		t.Fatal(err)
	}
	if _, _, list := r.calls(mark); len(list) != 0 {
		t.Errorf("the duplicate made REST calls: %v", list)
	}
	c := condition(f.get("second"), kafkalinkv1alpha1.ConditionReady)
	if c == nil || c.Reason != kafkalinkv1alpha1.ReasonDuplicateLink || !strings.Contains(c.Message, "already managed by ClusterLink operator/first") {
		t.Errorf("Ready of the duplicate: %+v", c)
	}
	if slices.Contains(f.get("second").Finalizers, kafkalinkv1alpha1.FinalizerClusterLink) {
		t.Error("the duplicate got a finalizer")
	}
	// Deleting the duplicate touches nothing on the destination.
	dup := f.get("second")
	dup.Finalizers = []string{kafkalinkv1alpha1.FinalizerClusterLink, "other/keep"}
	dup.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	f.update(dup)
	if _, err := f.sync("second"); err != nil {
		t.Fatal(err)
	}
	if n := r.emu.Count("POST", endpoint("/mirrors:failover")); n != 0 {
		t.Errorf("deleting the duplicate failed over %d batches of the owner's mirrors", n)
	}
	if got := f.get("second").Finalizers; slices.Contains(got, kafkalinkv1alpha1.FinalizerClusterLink) {
		t.Errorf("finalizer kept on the duplicate: %v", got)
	}
	if st, _, _ := r.emu.Cluster("lkc-cloud").Mirror("shared", "a"); st != "ACTIVE" {
		t.Errorf("owner's mirror is %s", st)
	}
}

// The pause switch holds a deletion too: no failover, no link delete, the
// finalizer stays and Ready says how to proceed; unpausing completes it.
func TestPausedLinkDeletionWaits(t *testing.T) {
	r := newREST(t, "a")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", "")))...)
	converge(t, f, "demo", 4)

	cl := f.get("demo")
	cl.Annotations = map[string]string{kafkalinkv1alpha1.AnnotationPauseReconciliation: "true"}
	cl.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	f.update(cl)
	mark := len(r.emu.Requests())
	for i := 0; i < 2; i++ {
		if _, err := f.sync("demo"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.emu.Requests()) - mark; n != 0 {
		t.Errorf("REST requests while paused: %d", n)
	}
	cl = f.get("demo")
	if !slices.Contains(cl.Finalizers, kafkalinkv1alpha1.FinalizerClusterLink) {
		t.Fatal("finalizer dropped while paused")
	}
	if c := condition(cl, kafkalinkv1alpha1.ConditionReady); c == nil || c.Reason != kafkalinkv1alpha1.ReasonReconciliationPaused || !strings.Contains(c.Message, "remove the annotation") {
		t.Errorf("Ready while a paused link is deleted: %+v", c)
	}
	if cl.Status.State != kafkalinkv1alpha1.ClusterLinkStateDeletionBlocked {
		t.Errorf("state while a paused link is deleted: %q, want %s", cl.Status.State, kafkalinkv1alpha1.ClusterLinkStateDeletionBlocked)
	}
	if st, _, _ := r.emu.Cluster("lkc-cloud").Mirror("demo", "a"); st != "ACTIVE" {
		t.Errorf("mirror a is %s while paused, want ACTIVE", st)
	}

	delete(cl.Annotations, kafkalinkv1alpha1.AnnotationPauseReconciliation)
	f.update(cl)
	for i := 0; i < 4 && f.exists("demo"); i++ {
		if _, err := f.sync("demo"); err != nil {
			t.Fatal(err)
		}
		r.clock.Add(10 * time.Second)
	}
	if f.exists("demo") {
		t.Fatal("deletion did not finish after unpausing")
	}
	if n := r.emu.Count("POST", endpoint("/mirrors:failover")); n != 1 {
		t.Errorf("failover batches %d, want 1", n)
	}
}

// A KafkaRestClass re-pointed at another, real cluster neither moves the
// link there nor lets a deletion "confirm" the link gone and skip the
// failover: both wait, with a ClusterChanged reason, until the class points
// back (or deletionPolicy becomes Retain).
func TestClassRepointedToAnotherCluster(t *testing.T) {
	r := newREST(t, "a")
	r.emu.AddCluster(emulator.ClusterConfig{ID: "lkc-dr", Bootstrap: "dr:9092", Username: "key", Password: "secret"})
	dr := httptest.NewServer(r.emu.Cluster("lkc-dr").Handler())
	t.Cleanup(dr.Close)
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", "")))...)
	converge(t, f, "demo", 4)

	repoint := func(endpoint, id string) {
		t.Helper()
		class, err := f.client.KafkalinkV1alpha1().KafkaRestClasses(testNamespace).Get(f.ctx, "krc-cloud", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		class.Spec.KafkaRest.Endpoint, class.Spec.KafkaRest.KafkaClusterID = endpoint, id
		if _, err := f.client.KafkalinkV1alpha1().KafkaRestClasses(testNamespace).Update(f.ctx, class, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if c, _ := f.c.classes.KafkaRestClasses(testNamespace).Get("krc-cloud"); c != nil && c.Spec.KafkaRest.Endpoint == endpoint {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatal("class cache never caught up")
	}
	repoint(dr.URL, "lkc-dr")
	for i := 0; i < 2; i++ {
		if _, err := f.sync("demo"); err != nil {
			t.Fatal(err)
		}
	}
	if links := r.emu.Cluster("lkc-dr").Links(); len(links) != 0 {
		t.Errorf("link created on the other cluster: %v", links)
	}
	cl := f.get("demo")
	if c := condition(cl, kafkalinkv1alpha1.ConditionReady); c == nil || c.Reason != kafkalinkv1alpha1.ReasonClusterChanged ||
		!strings.Contains(c.Message, `lives on cluster "lkc-cloud"`) || !strings.Contains(c.Message, `resolves to cluster "lkc-dr"`) {
		t.Errorf("Ready after re-pointing the class: %+v", c)
	}
	if cl.Status.DestinationKafkaClusterID != "lkc-cloud" {
		t.Errorf("status.destinationKafkaClusterID became %q", cl.Status.DestinationKafkaClusterID)
	}

	cl.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	f.update(cl)
	for i := 0; i < 2; i++ {
		if _, err := f.sync("demo"); err != nil {
			t.Fatal(err)
		}
	}
	if !f.exists("demo") {
		t.Fatal("finalizer dropped although the link on lkc-cloud was never failed over")
	}
	if st, _, _ := r.emu.Cluster("lkc-cloud").Mirror("demo", "a"); st != "ACTIVE" {
		t.Errorf("mirror a is %s", st)
	}
	if c := condition(f.get("demo"), kafkalinkv1alpha1.ConditionReady); c == nil || c.Reason != kafkalinkv1alpha1.ReasonDeletionBlocked || !strings.Contains(c.Message, "Point the KafkaRestClass back") {
		t.Errorf("Ready while deletion waits: %+v", c)
	}

	// Pointing back lets the deletion fail over on the right cluster.
	repoint(r.dst.URL, "lkc-cloud")
	for i := 0; i < 4 && f.exists("demo"); i++ {
		if _, err := f.sync("demo"); err != nil {
			t.Fatal(err)
		}
		r.clock.Add(10 * time.Second)
	}
	if f.exists("demo") {
		t.Fatal("deletion did not finish after the class pointed back")
	}
	if n := r.emu.Count("POST", endpoint("/mirrors:failover")); n != 1 {
		t.Errorf("failover batches %d, want 1", n)
	}
	if links := r.emu.Cluster("lkc-cloud").Links(); len(links) != 0 {
		t.Errorf("link not deleted on lkc-cloud: %v", links)
	}
}

// A link never seen anywhere (no pin yet) and a class with a wrong cluster
// id: the 404 for the link is not taken as "gone" unless the cluster lists
// its links without it.
func TestDeletionWithWrongClusterIDBeforeFirstContact(t *testing.T) {
	r := newREST(t, "a")
	objs := r.objects()
	objs[0] = restClass("krc-cloud", r.dst.URL, "lkc-typo")
	cl := clusterLink("demo", mt("a", ""))
	cl.Finalizers = []string{kafkalinkv1alpha1.FinalizerClusterLink}
	cl.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	f := newFixture(t, DefaultRESTClientFactory(nil), append(objs, cl)...)
	if _, err := f.sync("demo"); err == nil {
		t.Fatal("deletion against a wrong cluster id reported success")
	}
	if !f.exists("demo") {
		t.Fatal("finalizer dropped without proof that the link is gone")
	}
	if c := condition(f.get("demo"), kafkalinkv1alpha1.ConditionReady); c == nil || !strings.Contains(c.Message, "is the cluster id right?") {
		t.Errorf("Ready: %+v", c)
	}
	if _, writes, list := r.calls(0); writes != 0 {
		t.Errorf("REST writes: %v", list)
	}
}

// Two ClusterLinks reaching one cluster through different KafkaRestClasses
// and naming the same link: the second is a duplicate all the same — no
// REST write, Ready says DuplicateLink, and deleting it fails over nothing.
func TestDuplicateLinkThroughAnotherClass(t *testing.T) {
	r := newREST(t, "a", "b")
	older, younger := sharedLinkPair()
	younger.Spec.DestinationKafkaCluster.KafkaRestClassRef = &kafkalinkv1alpha1.KafkaRestClassRef{Name: "krc-cloud-2"}
	objs := append(r.objects(older, younger), restClass("krc-cloud-2", r.dst.URL, "lkc-cloud"), basicSecret("restclass-krc-cloud-2", "key", "secret"))
	f := newFixture(t, DefaultRESTClientFactory(nil), objs...)
	converge(t, f, "first", 4)
	f.waitForCache("first") // its claim (status.clusterLinkID) is what the second one is checked against

	mark := len(r.emu.Requests())
	for i := 0; i < 2; i++ {
		if _, err := f.sync("second"); err != nil {
			t.Fatal(err)
		}
	}
	if _, writes, list := r.calls(mark); writes != 0 {
		t.Errorf("the duplicate wrote to the destination: %v", list)
	}
	if c := condition(f.get("second"), kafkalinkv1alpha1.ConditionReady); c == nil || c.Reason != kafkalinkv1alpha1.ReasonDuplicateLink || !strings.Contains(c.Message, "operator/first") {
		t.Errorf("second's Ready: %+v", c)
	}
	if _, _, ok := r.emu.Cluster("lkc-cloud").Mirror("shared", "b"); ok {
		t.Error("the duplicate created its mirror under the other ClusterLink's link")
	}

	// When the owner goes away, the duplicate waiting behind it through
	// another class is queued at once (not at the next resync).
	for f.c.queue().Len() > 0 {
		k, _ := f.c.queue().Get()
		f.c.queue().Done(k)
	}
	f.c.forgetLink(f.get("first"))
	queued := map[string]bool{}
	for f.c.queue().Len() > 0 {
		k, _ := f.c.queue().Get()
		queued[k.Name] = true
		f.c.queue().Done(k)
	}
	if !queued["second"] {
		t.Errorf("the waiting duplicate was not queued when the owner went away: %v", queued)
	}

	dup := f.get("second")
	dup.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	f.update(dup)
	if _, err := f.sync("second"); err != nil {
		t.Fatal(err)
	}
	if f.exists("second") {
		t.Error("the duplicate's deletion did not finish")
	}
	if n := r.emu.Count("POST", endpoint("/mirrors:failover")); n != 0 {
		t.Errorf("deleting the duplicate failed over %d batches", n)
	}
	if st, _, _ := r.emu.Cluster("lkc-cloud").Mirror("shared", "a"); st != "ACTIVE" {
		t.Errorf("first's mirror a is %s after deleting the duplicate", st)
	}
	if ev := strings.Join(f.events(), "\n"); !strings.Contains(ev, EventDuplicateReleased) {
		t.Errorf("events:\n%s", ev)
	}
}

// A normal topic that already has a managed mirror's name is not a mirror
// created by kafkalink: the topic says so, no MirrorCreated event, and the
// existing topic is left alone.
func TestCreateOverAnExistingNormalTopic(t *testing.T) {
	r := newREST(t, "a")
	r.emu.Cluster("lkc-cloud").CreateTopic("a", 1)
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", "")))...)
	var res result
	for i := 0; i < 4; i++ {
		var err error
		if res, err = f.sync("demo"); err != nil {
			t.Fatal(err)
		}
	}
	if res.requeueAfter != refusedRetry {
		t.Errorf("requeueAfter %v, want %v (a refused create is not retried every poll)", res.requeueAfter, refusedRetry)
	}
	ts := topicStatus(f.get("demo"), "a")
	if ts == nil || ts.Status != "ABSENT" || !strings.Contains(ts.Message, `a topic named "a" already exists on the destination and is not a mirror topic of link "demo"`) {
		t.Errorf("topic status: %+v", ts)
	}
	ev := strings.Join(f.events(), "\n")
	if strings.Contains(ev, EventMirrorCreated) || !strings.Contains(ev, EventMirrorActionFailed) {
		t.Errorf("events:\n%s", ev)
	}
	if c := condition(f.get("demo"), kafkalinkv1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("Ready: %+v", c)
	}
	if n := r.emu.Count("DELETE", "/clusters/{cluster_id}/topics/{topic_name}"); n != 0 {
		t.Errorf("the existing topic was deleted")
	}
}

// A refused finalizer add (a webhook denial, missing RBAC) is an Event
// naming the cause, and nothing is created on the destination.
func TestFinalizerAddFailureIsAnEvent(t *testing.T) {
	r := newREST(t, "a")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", "")))...)
	f.client.PrependReactor("patch", "clusterlinks", func(action clienttesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() == "" {
			return true, &kafkalinkv1alpha1.ClusterLink{}, fmt.Errorf("admission webhook denied the request: for this test")
		}
		return false, nil, nil
	})
	if _, err := f.sync("demo"); err == nil {
		t.Fatal("sync succeeded without its finalizer")
	}
	ev := strings.Join(f.events(), "\n")
	if !strings.Contains(ev, EventFinalizerFailed) || !strings.Contains(ev, "denied the request") {
		t.Errorf("events:\n%s", ev)
	}
	if _, writes, list := r.calls(0); writes != 0 {
		t.Errorf("REST writes without a finalizer: %v", list)
	}
}

// The owner of a link (the one that has seen it) keeps it when an older
// ClusterLink that never reached it is pointed at the same class later:
// the two duplicate checks agree, so they never lock each other out.
func TestOwnerKeepsLinkAgainstOlderLatecomer(t *testing.T) {
	r := newREST(t, "a", "b")
	older, younger := sharedLinkPair()
	older.Spec.DestinationKafkaCluster.KafkaRestClassRef = &kafkalinkv1alpha1.KafkaRestClassRef{Name: "krc-missing"}
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(older, younger)...)
	converge(t, f, "second", 4)
	if _, err := f.sync("first"); err != nil { // blocked: class missing
		t.Fatal(err)
	}
	cl := f.get("first")
	cl.Spec.DestinationKafkaCluster.KafkaRestClassRef = &kafkalinkv1alpha1.KafkaRestClassRef{Name: "krc-cloud"}
	f.update(cl)
	for i := 0; i < 3; i++ {
		for _, n := range []string{"first", "second"} {
			if _, err := f.sync(n); err != nil {
				t.Fatal(err)
			}
		}
	}
	if c := condition(f.get("second"), kafkalinkv1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("the owner lost its link: %+v", c)
	}
	if c := condition(f.get("first"), kafkalinkv1alpha1.ConditionReady); c == nil || c.Reason != kafkalinkv1alpha1.ReasonDuplicateLink {
		t.Errorf("the latecomer: %+v", c)
	}
}
