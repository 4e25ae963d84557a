package controller

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The REST API has no watch, and a ClusterLink's reconcile needs its link
// and the mirrors under it. Asking per link costs two calls per link per
// resync; a thousand links on one cluster would cost two thousand calls
// where two do. So observation is per destination cluster: one shared
// view of its links (GET .../links) and of every mirror under every link
// (GET .../links/-/mirrors), which every ClusterLink on that cluster plans
// from. Actions stay per link.
//
// Freshness is by generation, not by clock: each fetch of a cluster's
// links starts a new generation. A reconcile asks for a view newer than
// the one it last planned from (after acting, newer than every fetch
// started before its actions ended), so its plan never rests on data that
// predates what it did or saw — and the first reconcile to ask refreshes
// the view for all the others. A converged fleet thus costs one refresh per
// cluster per resync period, whichever link's resync comes first.

// snapshotKey identifies a destination cluster: the resolved endpoint and
// cluster id (two KafkaRestClasses for one cluster share a view).
type snapshotKey struct {
	endpoint  string
	clusterID string
}

func (k snapshotKey) String() string { return k.endpoint + "#" + k.clusterID }

// clusterView is one observation of a cluster. It is never modified once
// published: a view with mirrors is a new view of the same generation.
type clusterView struct {
	gen     uint64
	fetched time.Time
	links   map[string]Link
	// mirrors by link name; nil until the mirror list was fetched for this
	// generation (a reconcile that finds its link absent needs none).
	mirrors map[string][]Mirror
}

func (v *clusterView) hasMirrors() bool { return v.mirrors != nil }

// snapshotEntry is the state kept per cluster.
type snapshotEntry struct {
	started atomic.Uint64 // last generation whose fetch started

	mu   sync.Mutex // serialises fetches of this cluster
	view *clusterView
	// lastFetch is when the last fetch started (wall clock, monotonic):
	// the next waits until minInterval after it.
	lastFetch time.Time
	// prints are per-link fingerprints of the last view with mirrors:
	// a refresh that changes a link's fingerprint notifies its reconcile.
	prints map[string]string
	// client is the last client a reconcile used for this cluster (the
	// recovery watch reuses it).
	client RESTClient
}

// snapshots keeps one view per destination cluster.
type snapshots struct {
	now func() time.Time
	// minInterval spaces one cluster's fetches (Options.ViewRefreshInterval).
	minInterval time.Duration
	// changed is called for every link whose observed state differs
	// between two consecutive views with mirrors (the "watch" the REST
	// API lacks).
	changed func(clusterID, link string)

	mu      sync.Mutex
	entries map[snapshotKey]*snapshotEntry
}

func newSnapshots(now func() time.Time, changed func(clusterID, link string)) *snapshots {
	return &snapshots{now: now, changed: changed, entries: map[snapshotKey]*snapshotEntry{}}
}

func (s *snapshots) entry(key snapshotKey) *snapshotEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	if !ok {
		e = &snapshotEntry{}
		s.entries[key] = e
	}
	return e
}

// started returns the last generation whose fetch has started for the
// cluster: a view newer than it begins after this call.
func (s *snapshots) started(key snapshotKey) uint64 {
	return s.entry(key).started.Load()
}

// get returns a view of the cluster newer than generation after (0: any
// view), with every mirror listed when withMirrors. Concurrent callers
// share fetches: a caller that waited for another's fetch uses it when it
// is new enough.
func (s *snapshots) get(ctx context.Context, key snapshotKey, client RESTClient, after uint64, withMirrors bool) (*clusterView, error) {
	e := s.entry(key)
	// A caller may remember a generation of an entry since forgotten (the
	// sweep) or of another cluster: no newer fetch than any started here
	// can be asked for.
	after = min(after, e.started.Load())
	e.mu.Lock()
	for {
		v := e.view
		if v == nil || v.gen > after {
			break
		}
		wait := s.minInterval - time.Since(e.lastFetch)
		if wait <= 0 {
			break
		}
		// The last refresh is too recent: wait for the next without
		// holding the entry, so callers content with the current view
		// (a new link's first reconcile) go on meanwhile; whoever fetches
		// first after the wait serves the others.
		e.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		e.mu.Lock()
	}
	defer e.mu.Unlock()
	e.client = client
	v := e.view
	if v == nil || v.gen <= after {
		e.lastFetch = time.Now()
		gen := e.started.Add(1)
		links, err := client.ListLinks(ctx, key.clusterID)
		if err != nil {
			return nil, fmt.Errorf("list the links of cluster %q: %w", key.clusterID, err)
		}
		v = &clusterView{gen: gen, fetched: s.now(), links: make(map[string]Link, len(links))}
		for _, l := range links {
			v.links[l.Name] = l
		}
		e.view = v
	}
	if withMirrors && !v.hasMirrors() {
		ms, err := client.ListAllMirrors(ctx, key.clusterID)
		if err != nil {
			return nil, fmt.Errorf("list the mirror topics of cluster %q: %w", key.clusterID, err)
		}
		byLink := make(map[string][]Mirror, len(v.links))
		for _, m := range ms {
			byLink[m.Link] = append(byLink[m.Link], m)
		}
		v = &clusterView{gen: v.gen, fetched: v.fetched, links: v.links, mirrors: byLink}
		e.view = v
		s.notifyChanges(key, e, v)
	}
	return v, nil
}

// notifyChanges compares every link's fingerprint with the previous view
// with mirrors and reports the links that changed. The first view reports
// nothing: there is nothing to compare with, and every ClusterLink is
// reconciled at start anyway.
func (s *snapshots) notifyChanges(key snapshotKey, e *snapshotEntry, v *clusterView) {
	prints := make(map[string]string, len(v.links))
	for name, l := range v.links {
		prints[name] = fingerprint(l, v.mirrors[name])
	}
	if e.prints != nil && s.changed != nil {
		for name, p := range prints {
			if e.prints[name] != p {
				s.changed(key.clusterID, name)
			}
		}
		for name := range e.prints {
			if _, ok := prints[name]; !ok {
				s.changed(key.clusterID, name)
			}
		}
	}
	e.prints = prints
}

// fingerprint is what a reconcile plans from, without the noise: a lag
// that moves but stays above zero changes nothing a plan decides.
func fingerprint(l Link, ms []Mirror) string {
	var b strings.Builder
	b.WriteString(l.State)
	b.WriteByte('|')
	b.WriteString(l.Error)
	for _, m := range ms {
		b.WriteByte('|')
		b.WriteString(m.Name)
		b.WriteByte('=')
		b.WriteString(m.Status)
		if m.MaxLag > 0 {
			b.WriteString("+lag")
		}
		if n := len(m.TransitionErrors); n > 0 {
			b.WriteString("!" + strconv.Itoa(n))
		}
	}
	return b.String()
}

// refresh fetches a new view with mirrors of a cluster that was seen
// before (the recovery watch); it is a no-op for an unknown cluster.
func (s *snapshots) refresh(ctx context.Context, key snapshotKey) error {
	e := s.entry(key)
	e.mu.Lock()
	client, after := e.client, uint64(0)
	if e.view != nil {
		after = e.view.gen
	}
	e.mu.Unlock()
	if client == nil {
		return nil
	}
	_, err := s.get(ctx, key, client, after, true)
	return err
}

// forget drops clusters no ClusterLink uses any more.
func (s *snapshots) forget(keep func(snapshotKey) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.entries {
		if !keep(k) {
			delete(s.entries, k)
		}
	}
}
