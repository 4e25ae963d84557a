package controller

import (
	"context"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// listingClient is a RESTClient whose two list calls are counted and
// answer what the test set; every other method is unused here.
type listingClient struct {
	RESTClient
	mu          sync.Mutex
	links       []Link
	mirrors     []Mirror
	linkLists   atomic.Int32
	mirrorLists atomic.Int32
	// gate, when set, holds ListLinks until it is closed.
	gate chan struct{}
}

func (c *listingClient) ListLinks(context.Context, string) ([]Link, error) {
	c.linkLists.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.links), nil
}

func (c *listingClient) ListAllMirrors(context.Context, string) ([]Mirror, error) {
	c.mirrorLists.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.mirrors), nil
}

func (c *listingClient) set(f func(c *listingClient)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c)
}

func TestSnapshotGenerations(t *testing.T) {
	ctx := context.Background()
	key := snapshotKey{endpoint: "https://dst", clusterID: "lkc-1"}
	client := &listingClient{
		links:   []Link{{Name: "a", State: "ACTIVE"}, {Name: "b", State: "ACTIVE"}},
		mirrors: []Mirror{{Link: "a", Name: "a1", Status: "ACTIVE"}, {Link: "b", Name: "b1", Status: "ACTIVE"}},
	}
	s := newSnapshots(time.Now, nil)

	// A reconcile whose link is absent needs no mirror list.
	v1, err := s.get(ctx, key, client, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if client.linkLists.Load() != 1 || client.mirrorLists.Load() != 0 || v1.hasMirrors() {
		t.Fatalf("first view: %d link lists, %d mirror lists", client.linkLists.Load(), client.mirrorLists.Load())
	}
	// The mirrors are fetched once for that generation, on demand.
	v1m, err := s.get(ctx, key, client, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if v1m.gen != v1.gen || client.linkLists.Load() != 1 || client.mirrorLists.Load() != 1 {
		t.Fatalf("mirrors of the same generation: gen %d→%d, %d link lists, %d mirror lists", v1.gen, v1m.gen, client.linkLists.Load(), client.mirrorLists.Load())
	}
	if got := v1m.mirrors["b"]; len(got) != 1 || got[0].Name != "b1" {
		t.Errorf("mirrors of b: %+v", got)
	}
	// Any caller that has seen nothing newer reuses it.
	for range 3 {
		if v, _ := s.get(ctx, key, client, v1.gen-1, true); v.gen != v1.gen {
			t.Errorf("reuse: gen %d", v.gen)
		}
	}
	if client.linkLists.Load() != 1 || client.mirrorLists.Load() != 1 {
		t.Errorf("reuse made calls: %d link lists, %d mirror lists", client.linkLists.Load(), client.mirrorLists.Load())
	}
	// A caller that planned from it (or acted since) gets a newer one.
	after := s.started(key)
	v2, err := s.get(ctx, key, client, after, true)
	if err != nil {
		t.Fatal(err)
	}
	if v2.gen <= after || client.linkLists.Load() != 2 || client.mirrorLists.Load() != 2 {
		t.Errorf("newer view: gen %d after %d, %d link lists, %d mirror lists", v2.gen, after, client.linkLists.Load(), client.mirrorLists.Load())
	}
	// The published view is never changed under a reader.
	if v1.hasMirrors() {
		t.Error("an earlier view gained mirrors after it was returned")
	}
}

// Callers waiting on one fetch share it; a caller whose requirement began
// after that fetch started gets a fetch of its own.
func TestSnapshotConcurrentCallersShareAFetch(t *testing.T) {
	ctx := context.Background()
	key := snapshotKey{endpoint: "https://dst", clusterID: "lkc-1"}
	client := &listingClient{links: []Link{{Name: "a"}}, gate: make(chan struct{})}
	s := newSnapshots(time.Now, nil)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := s.get(ctx, key, client, 0, false); err != nil {
				t.Error(err)
			}
		})
	}
	// Let the first fetch begin, then release it.
	for client.linkLists.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(client.gate)
	wg.Wait()
	if n := client.linkLists.Load(); n != 1 {
		t.Errorf("10 concurrent callers made %d link lists, want 1", n)
	}
}

// A refresh reports exactly the links whose observed state changed; a lag
// that moves but stays above zero is not a change.
func TestSnapshotChangeNotification(t *testing.T) {
	ctx := context.Background()
	key := snapshotKey{endpoint: "https://dst", clusterID: "lkc-1"}
	client := &listingClient{
		links: []Link{{Name: "a", State: "ACTIVE"}, {Name: "b", State: "ACTIVE"}, {Name: "c", State: "ACTIVE"}},
		mirrors: []Mirror{
			{Link: "a", Name: "a1", Status: "ACTIVE", MaxLag: 5},
			{Link: "b", Name: "b1", Status: "ACTIVE"},
			{Link: "c", Name: "c1", Status: "ACTIVE"},
		},
	}
	var mu sync.Mutex
	var changed []string
	s := newSnapshots(time.Now, func(clusterID, link string) {
		mu.Lock()
		defer mu.Unlock()
		if clusterID != "lkc-1" {
			t.Errorf("cluster %q", clusterID)
		}
		changed = append(changed, link)
	})
	refresh := func() []string {
		t.Helper()
		mu.Lock()
		changed = nil
		mu.Unlock()
		if _, err := s.get(ctx, key, client, s.started(key), true); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		sort.Strings(changed)
		return slices.Clone(changed)
	}
	if got := refresh(); len(got) != 0 {
		t.Errorf("first view reported %v", got)
	}
	client.set(func(c *listingClient) {
		c.mirrors[0].MaxLag = 900                  // lag moves: no change
		c.mirrors[1].Status = "SOURCE_UNAVAILABLE" // b changes
		c.links = c.links[:2]                      // c is gone
	})
	if got, want := refresh(), []string{"b", "c"}; !slices.Equal(got, want) {
		t.Errorf("changed %v, want %v", got, want)
	}
	if got := refresh(); len(got) != 0 {
		t.Errorf("unchanged refresh reported %v", got)
	}
	client.set(func(c *listingClient) { c.mirrors[0].MaxLag = 0 }) // a caught up: its promote may proceed
	if got, want := refresh(), []string{"a"}; !slices.Equal(got, want) {
		t.Errorf("changed %v, want %v", got, want)
	}
}

// The recovery watch refreshes only clusters it has a client for, and the
// sweep forgets clusters no link uses.
func TestSnapshotRefreshAndForget(t *testing.T) {
	ctx := context.Background()
	key := snapshotKey{endpoint: "https://dst", clusterID: "lkc-1"}
	s := newSnapshots(time.Now, nil)
	if err := s.refresh(ctx, snapshotKey{endpoint: "https://unknown", clusterID: "x"}); err != nil {
		t.Errorf("refresh of an unseen cluster: %v", err)
	}
	client := &listingClient{links: []Link{{Name: "a"}}}
	if _, err := s.get(ctx, key, client, 0, false); err != nil {
		t.Fatal(err)
	}
	if err := s.refresh(ctx, key); err != nil {
		t.Fatal(err)
	}
	if client.linkLists.Load() != 2 || client.mirrorLists.Load() != 1 {
		t.Errorf("refresh: %d link lists, %d mirror lists", client.linkLists.Load(), client.mirrorLists.Load())
	}
	s.forget(func(snapshotKey) bool { return false })
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) != 0 {
		t.Errorf("entries after forget: %d", len(s.entries))
	}
}

// With a refresh interval, fetches of one cluster are spaced: callers
// that need a newer view right after a fetch wait for the next one and
// share it, while a caller content with the current view is answered at
// once, even during that wait.
func TestSnapshotRefreshInterval(t *testing.T) {
	ctx := context.Background()
	key := snapshotKey{endpoint: "https://dst", clusterID: "lkc-1"}
	client := &listingClient{links: []Link{{Name: "a", State: "ACTIVE"}}, mirrors: []Mirror{{Link: "a", Name: "a1", Status: "ACTIVE"}}}
	s := newSnapshots(time.Now, nil)
	s.minInterval = 300 * time.Millisecond

	v1, err := s.get(ctx, key, client, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			v, err := s.get(ctx, key, client, v1.gen, true)
			if err != nil || v.gen <= v1.gen {
				t.Errorf("view %v, %v: want one newer than %d", v, err, v1.gen)
			}
		})
	}
	// Meanwhile a caller content with any view is not held up.
	time.Sleep(50 * time.Millisecond)
	quick := time.Now()
	if v, err := s.get(ctx, key, client, 0, true); err != nil || v.gen != v1.gen {
		t.Errorf("current view: %v %v", v, err)
	}
	if d := time.Since(quick); d > 100*time.Millisecond {
		t.Errorf("a caller content with the current view waited %v", d)
	}
	wg.Wait()
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("the next fetch came %v after the last, want the interval", d)
	}
	if n, m := client.linkLists.Load(), client.mirrorLists.Load(); n != 2 || m != 2 {
		t.Errorf("%d link lists and %d mirror lists for nine callers, want 2 and 2 (one before, one shared after the interval)", n, m)
	}
}

// A generation remembered from a view the sweep has since forgotten is
// larger than anything the new entry has started: callers holding one
// share the next fetch instead of waiting, one interval each, for a
// generation that comes only after many fetches.
func TestSnapshotGenerationFromAForgottenEntry(t *testing.T) {
	ctx := context.Background()
	key := snapshotKey{endpoint: "https://src", clusterID: "lkc-src"}
	client := &listingClient{links: []Link{{Name: "a", State: "ACTIVE"}}}
	s := newSnapshots(time.Now, nil)
	s.minInterval = 200 * time.Millisecond
	for range 5 {
		if _, err := s.get(ctx, key, client, s.started(key), true); err != nil {
			t.Fatal(err)
		}
	}
	remembered := s.started(key) // 5
	s.forget(func(snapshotKey) bool { return false })
	if _, err := s.get(ctx, key, client, 0, true); err != nil { // the new entry's first view
		t.Fatal(err)
	}
	before := client.linkLists.Load()
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := s.get(ctx, key, client, remembered, true); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := client.linkLists.Load() - before; n != 1 {
		t.Errorf("%d fetches for four callers with a forgotten generation, want 1 shared", n)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("callers waited %v", d)
	}
}
