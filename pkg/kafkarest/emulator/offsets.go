package emulator

import (
	"fmt"
	"time"
)

// Offsets. Every topic has a log-end offset per partition. A normal topic
// grows only by Produce. A mirror topic copies its source while it is ACTIVE
// and its link can reach the source: its end offset is the source's minus
// the modelled lag (never lower than what it already copied, never higher
// than the source). Copying is materialised by syncMirrors under the lock
// before every read and every change, so a mirror that cannot copy (PAUSED,
// SOURCE_UNAVAILABLE, LINK_PAUSED, stopped, restoring) keeps what it had.

func newTopic(name string, partitions int) *topic {
	partitions = max(partitions, 1)
	return &topic{name: name, partitions: partitions, ends: make([]int64, partitions)}
}

// resize changes the partition count, keeping the offsets of the partitions
// that remain.
func (t *topic) resize(partitions int) {
	partitions = max(partitions, 1)
	ends := make([]int64, partitions)
	copy(ends, t.ends)
	t.partitions, t.ends = partitions, ends
}

func (t *topic) end(p int) int64 {
	if t == nil || p < 0 || p >= len(t.ends) {
		return 0
	}
	return t.ends[p]
}

// lockSynced takes e.mu and materialises every mirror's copying up to now.
// Callers unlock.
func (e *Emulator) lockSynced() time.Time {
	e.mu.Lock()
	now := e.now()
	e.syncMirrors(now)
	return now
}

// syncMirrors brings every copying mirror topic up to date (callers hold
// e.mu). Chains (A -> B -> C) settle within a few passes.
func (e *Emulator) syncMirrors(now time.Time) {
	for pass := 0; pass < 4; pass++ {
		changed := false
		for _, c := range e.clusters {
			for _, l := range c.links {
				for _, m := range l.mirrors {
					if c.syncMirror(l, m, now) {
						changed = true
					}
				}
			}
		}
		if !changed {
			return
		}
	}
}

// sourceTopic returns the topic a mirror copies from, or nil.
func (c *Cluster) sourceTopic(l *link, m *mirror) *topic {
	rc := c.e.clusters[l.remoteID]
	if rc == nil {
		return nil
	}
	return rc.topics[m.sourceTopic]
}

// copying reports whether a mirror copies records now: it is ACTIVE (not
// paused, stopped or restoring) and its link reaches the source.
func (c *Cluster) copying(l *link, m *mirror, now time.Time) bool {
	c.e.settle(m, now)
	return m.status == StatusActive && c.linkState(l) == LinkActive
}

// syncMirror copies what a copying mirror can copy now; it reports whether
// an offset moved.
func (c *Cluster) syncMirror(l *link, m *mirror, now time.Time) bool {
	t := c.topics[m.name]
	src := c.sourceTopic(l, m)
	if t == nil || src == nil || !c.copying(l, m, now) {
		return false
	}
	lag := c.e.lag(m, now)
	changed := false
	for p := range t.ends {
		srcEnd := src.end(p)
		target := max(srcEnd-lag, 0)
		if target > t.ends[p] {
			t.ends[p] = target
			changed = true
		}
	}
	return changed
}

// mirrorLag is the lag of a mirror: the modelled lag (WithLagDecay), or what
// it has not copied of its source when that is more (a paused or cut-off
// mirror falls behind as the source grows). Stopped mirrors have none.
func (c *Cluster) mirrorLag(l *link, m *mirror, now time.Time) int64 {
	lag := c.e.lag(m, now)
	if m.status == StatusStopped || m.status == StatusPendingStopped {
		return lag
	}
	for p := 0; p < m.partitions; p++ {
		lag = max(lag, c.partitionLag(l, m, p, now))
	}
	return lag
}

// partitionLag is what partition p of a mirror has not copied of its source.
func (c *Cluster) partitionLag(l *link, m *mirror, p int, now time.Time) int64 {
	if m.status == StatusStopped || m.status == StatusPendingStopped {
		return 0
	}
	return max(c.sourceTopic(l, m).end(p)-c.topics[m.name].end(p), 0)
}

// mirrorOf returns the mirror (and its link) that topic name is on this
// cluster, if any.
func (c *Cluster) mirrorOf(name string) (*link, *mirror) {
	for _, ln := range sortedKeys(c.links) {
		if m := c.links[ln].mirrors[name]; m != nil {
			return c.links[ln], m
		}
	}
	return nil, nil
}

// Produce appends records to one partition of a topic (a test helper that
// stands in for producers). Mirror topics are read-only until they are
// STOPPED (promoted, failed over or reversed); writing to one fails, as
// Kafka refuses producers on a mirror topic.
func (c *Cluster) Produce(topic string, partition int, records int64) error {
	now := c.e.lockSynced()
	defer c.e.mu.Unlock()
	t := c.topics[topic]
	if t == nil {
		return fmt.Errorf("produce to %s/%s: unknown topic", c.cfg.ID, topic)
	}
	if partition < 0 || partition >= len(t.ends) {
		return fmt.Errorf("produce to %s/%s: unknown partition %d (the topic has %d)", c.cfg.ID, topic, partition, len(t.ends))
	}
	if records < 0 {
		return fmt.Errorf("produce to %s/%s: negative record count %d", c.cfg.ID, topic, records)
	}
	if l, m := c.mirrorOf(topic); m != nil {
		if st := c.mirrorStatus(l, m, now); st != StatusStopped {
			return fmt.Errorf("produce to %s/%s: the topic is a read-only mirror topic of cluster link %q (mirror_status %s); "+
				"only a STOPPED mirror topic accepts writes", c.cfg.ID, topic, l.name, st)
		}
	}
	t.ends[partition] += records
	c.e.syncMirrors(now)
	return nil
}

// EndOffsets returns the log-end offset of every partition of a topic.
func (c *Cluster) EndOffsets(topic string) ([]int64, bool) {
	c.e.lockSynced()
	defer c.e.mu.Unlock()
	t := c.topics[topic]
	if t == nil {
		return nil, false
	}
	return append([]int64(nil), t.ends...), true
}
