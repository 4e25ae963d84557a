package controller

import (
	"testing"

	"k8s.io/client-go/tools/cache"
)

func TestOwnWrites(t *testing.T) {
	k := cache.ObjectName{Namespace: "ns", Name: "a"}
	other := cache.ObjectName{Namespace: "ns", Name: "b"}
	var w ownWrites
	tests := []struct {
		name   string
		record string
		cached string
		key    cache.ObjectName
		stale  bool
	}{
		{name: "nothing written yet", cached: "5", key: k},
		{name: "cache older than our write", record: "10", cached: "9", key: k, stale: true},
		{name: "cache at our write", cached: "10", key: k},
		{name: "cache past our write", cached: "11", key: k},
		{name: "an older write never lowers the mark", record: "7", cached: "9", key: k, stale: true},
		{name: "other objects are independent", cached: "1", key: other},
		{name: "an unparsable cached version counts as fresh", cached: "abc", key: k},
		{name: "an unparsable written version is ignored", record: "x", cached: "9", key: k, stale: true},
	}
	for _, tt := range tests {
		if tt.record != "" {
			w.record(tt.key, tt.record)
		}
		if got := w.stale(tt.key, tt.cached); got != tt.stale {
			t.Errorf("%s: stale(%s) = %v, want %v", tt.name, tt.cached, got, tt.stale)
		}
	}
	w.forget(k)
	if w.stale(k, "1") {
		t.Error("forgotten object still stale")
	}
}

// A reconcile on a cached copy older than the controller's own last write
// does nothing at all: no REST call, no apiserver write. Once the cache has
// caught up it proceeds.
func TestStaleCacheSkipsReconcile(t *testing.T) {
	r := newREST(t, "a")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", "")))...)
	if _, err := f.sync("demo"); err != nil { // adds the finalizer, creates the link
		t.Fatal(err)
	}
	f.waitForCache("demo")
	key := cache.ObjectName{Namespace: testNamespace, Name: "demo"}
	cached := f.get("demo").ResourceVersion
	// Pretend our last write produced a newer version the cache has not seen.
	f.c.writes.record(key, "999999")
	mark := len(r.emu.Requests())
	f.resetActions()
	res, err := f.c.sync(f.ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if res.requeueAfter != staleCacheRetry {
		t.Errorf("requeueAfter %v, want %v", res.requeueAfter, staleCacheRetry)
	}
	if n := len(r.emu.Requests()) - mark; n != 0 {
		t.Errorf("REST requests on a stale cache: %d", n)
	}
	if n := f.writes(); n != 0 {
		t.Errorf("apiserver writes on a stale cache: %d", n)
	}
	if f.get("demo").ResourceVersion != cached {
		t.Error("object changed")
	}

	f.c.writes.forget(key)
	converge(t, f, "demo", 4)
	if st := topicStatus(f.get("demo"), "a"); st == nil || st.Status != "ACTIVE" {
		t.Errorf("after the cache caught up: %+v", st)
	}
}

// Reconciles that start the moment a write returns (as the write's own
// watch event makes them) redo nothing: the link's configs are set once,
// at creation, and each mirror is created once.
func TestBackToBackReconcilesRedoNothing(t *testing.T) {
	r := newREST(t, "a", "b")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", ""), mt("b", "")))...)
	key := cache.ObjectName{Namespace: testNamespace, Name: "demo"}
	for i := 0; i < 40; i++ {
		if _, err := f.c.sync(f.ctx, key); err != nil {
			t.Fatalf("reconcile %d: %v", i, err)
		}
	}
	converge(t, f, "demo", 4)
	if n := r.emu.Count("PUT", endpoint("/configs:alter")) + r.emu.Count("POST", endpoint("/configs:alter")); n != 0 {
		t.Errorf("configs:alter calls %d, want 0 (configs are set at creation)", n)
	}
	if n := r.emu.Count("POST", "/clusters/{cluster_id}/links"); n != 1 {
		t.Errorf("link creates %d, want 1", n)
	}
	if n := r.emu.Count("POST", endpoint("/mirrors")); n != 2 {
		t.Errorf("mirror creates %d, want 2", n)
	}
}
