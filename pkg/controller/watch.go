package controller

import (
	"context"
	"time"

	"k8s.io/klog/v2"
)

// degradedCallBudget is how many REST calls per minute the recovery watch
// may spend per waiting ClusterLink. A refresh costs two calls (links and
// all mirrors), so a cluster with n waiting links is refreshed every
// 60s/n, but never more often than the transition poll interval: forty
// links in a source outage cost 24 calls a minute in all (0.6 per link),
// and each notices the source's return within one poll interval.
const degradedCallBudget = 2

// watchInterval is how often the recovery watch refreshes a cluster with
// n links waiting on the outside world.
func watchInterval(poll time.Duration, n int) time.Duration {
	if n <= 0 {
		return 0
	}
	perRefresh := 2 * time.Minute / time.Duration(degradedCallBudget*n)
	return max(poll, perRefresh)
}

// runRecoveryWatch refreshes, at watchInterval, every cluster that has
// ClusterLinks backed off while waiting on the outside world. The refresh
// notifies the links whose observed state changed (observedChange), so a
// link backed off to the resync period still reconverges within one poll
// interval of the outage ending, while its own reconciles stay rare.
func (c *Controller) runRecoveryWatch(ctx context.Context) {
	logger := klog.FromContext(ctx)
	next := map[snapshotKey]time.Time{}
	tick := time.NewTicker(max(c.opts.TransitionPollInterval/5, 100*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		for key, n := range c.watchedClusters() {
			due, ok := next[key]
			if !ok {
				// Starts one interval after the first link began waiting:
				// that link's own reconcile has just looked.
				next[key] = now.Add(watchInterval(c.opts.TransitionPollInterval, n))
				continue
			}
			if now.Before(due) {
				continue
			}
			next[key] = now.Add(watchInterval(c.opts.TransitionPollInterval, n))
			if err := c.snapshots.refresh(ctx, key); err != nil {
				logger.V(2).Info("Recovery watch could not refresh the cluster view", "cluster", key.String(), "err", err)
			}
		}
		for key := range next {
			if _, ok := c.watchedClusters()[key]; !ok {
				delete(next, key)
			}
		}
	}
}

// watchedClusters counts the waiting ClusterLinks per cluster.
func (c *Controller) watchedClusters() map[snapshotKey]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[snapshotKey]int{}
	for _, m := range c.memory {
		if m.watching {
			out[m.cluster]++
		}
	}
	return out
}

// sweep drops what no ClusterLink uses any more: cluster views of clusters
// no link is on, and Secret values no link or class references.
func (c *Controller) sweep(context.Context) {
	c.mu.Lock()
	used := map[snapshotKey]bool{}
	for _, m := range c.memory {
		used[m.cluster] = true
		if m.remote != (snapshotKey{}) {
			used[m.remote] = true
		}
	}
	c.mu.Unlock()
	c.snapshots.forget(func(k snapshotKey) bool { return used[k] })
	c.secrets.prune(func(key string) bool {
		links, _ := c.linkIndexer.ByIndex(indexSecret, key)
		classes, _ := c.classIndexer.ByIndex(indexSecret, key)
		return len(links)+len(classes) > 0
	})
}
