package controller

import (
	"strconv"
	"sync"

	"k8s.io/client-go/tools/cache"
)

// ownWrites remembers, per ClusterLink, the resourceVersion the
// controller's own last write produced. The informer cache can lag behind
// that write by a few milliseconds, and the write's own watch event (or
// another one already queued) starts the next reconcile: on the older copy
// it would redo finished work — alter the link's credentials again because
// status does not show them applied yet — and then fail its status write
// on a conflict. A reconcile that sees a copy older than its own write
// waits for the cache instead; the write's watch event requeues it.
//
// resourceVersions are compared as integers, as client-go's own
// MutationCache does for etcd-backed resources; anything that does not
// parse is treated as fresh, so the guard can only skip, never wedge.
type ownWrites struct {
	mu sync.Mutex
	rv map[cache.ObjectName]uint64
}

func (w *ownWrites) record(key cache.ObjectName, resourceVersion string) {
	v, err := strconv.ParseUint(resourceVersion, 10, 64)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.rv == nil {
		w.rv = map[cache.ObjectName]uint64{}
	}
	if v > w.rv[key] {
		w.rv[key] = v
	}
}

// stale reports whether the cached copy predates the controller's own last
// write of that object.
func (w *ownWrites) stale(key cache.ObjectName, cachedResourceVersion string) bool {
	v, err := strconv.ParseUint(cachedResourceVersion, 10, 64)
	if err != nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return v < w.rv[key]
}

func (w *ownWrites) forget(key cache.ObjectName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.rv, key)
}
