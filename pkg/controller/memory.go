package controller

import (
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// linkMemory is what the controller remembers about one ClusterLink
// between reconciles. None of it is needed for correctness after a
// restart: losing it costs at most one extra REST read or status write.
type linkMemory struct {
	uid types.UID
	// cluster is the destination cluster the link was last observed on.
	cluster snapshotKey
	// seenGen is the generation of the cluster view the last reconcile
	// planned from, or, after acting, the last generation started before
	// the actions ended: the next reconcile plans from a newer one.
	seenGen uint64
	// remoteSeenGen is seenGen for the source cluster's view, where the
	// toSource topics of a bidirectional link live (tosource.go), and
	// remote that cluster (kept by the sweep while a link uses it).
	remoteSeenGen uint64
	remote        snapshotKey

	// Link tasks are reported by GET .../links/{name} only (not by the
	// shared list). They are read when this process first sees the link
	// and after its configs changed (tasksFor is the configs' digest,
	// status.appliedLinkConfigs, they were read for), and remembered in
	// between.
	tasksKnown bool
	tasksFor   string
	taskErrors []string

	// deferred is a status computed by a reconcile that only created
	// things (the link, mirror topics): instead of writing it, the
	// controller writes the status the follow-up reconcile observes a
	// moment later, so a new link costs two ClusterLink writes (the
	// finalizer, then the converged status), not four. from is the
	// persisted status it was computed from; a different persisted status
	// discards it.
	deferred *deferredStatus

	// waits counts consecutive reconciles that ended waiting on the
	// outside world (a source outage, a failed or unavailable link, a
	// long PENDING_*): they back off exponentially up to the resync
	// period. waitsGen is the generation they were counted for; a spec
	// change starts again at the poll interval.
	waits    int
	waitsGen int64
	// watching: the recovery watch refreshes the link's cluster so the
	// end of an outage is noticed without polling every link.
	watching bool
}

type deferredStatus struct {
	from   *kafkalinkv1alpha1.ClusterLinkStatus
	status *kafkalinkv1alpha1.ClusterLinkStatus
}

// memory returns the record of a ClusterLink, a new one when the object
// (by UID) is new. Callers hold c.mu.
func (c *Controller) memoryLocked(key cache.ObjectName, uid types.UID) *linkMemory {
	m, ok := c.memory[key]
	if !ok || m.uid != uid {
		m = &linkMemory{uid: uid}
		c.memory[key] = m
	}
	return m
}

// withMemory runs f on the record of cl under the lock.
func (c *Controller) withMemory(cl *kafkalinkv1alpha1.ClusterLink, f func(m *linkMemory)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c.memoryLocked(cache.MetaObjectToName(cl), cl.UID))
}

// resetBackoff makes a waiting link poll at the normal interval again
// (a Secret or KafkaRestClass it uses changed).
func (c *Controller) resetBackoff(key cache.ObjectName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.memory[key]; ok {
		m.waits = 0
	}
}

// waitBackoff is how long a link waiting on the outside world waits before
// its next reconcile: the poll interval for the first few, then doubling up
// to the resync period.
func waitBackoff(poll, resync time.Duration, waits int) time.Duration {
	const pollsBeforeBackoff = 3
	if waits <= pollsBeforeBackoff {
		return poll
	}
	d := poll
	for i := pollsBeforeBackoff; i < waits && d < resync; i++ {
		d *= 2
	}
	return min(d, resync)
}
