package controller

import (
	"context"
	"errors"
	"fmt"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/mirror"
)

// A bidirectional link is two links of one name, one on each cluster, each
// made by its own ClusterLink (the pair). A mirror topic with direction
// toSource lives on the other cluster, under the other side's link, and
// mirrors a topic of this ClusterLink's cluster. This ClusterLink creates
// and drives it there, through sourceKafkaCluster.kafkaRestClassRef, with
// the same state machine, and records it in its own status (direction
// toSource). The other side's ClusterLink counts it as unmanaged; its
// deletion fails it over like every mirror under its link.

// needsSourceSide reports whether cl has toSource topics to drive: in its
// spec, or in its status (removed ones still to delete).
func needsSourceSide(cl *kafkalinkv1alpha1.ClusterLink) bool {
	if cl.Spec.HasToSourceTopics() {
		return true
	}
	for i := range cl.Status.MirrorTopics {
		if cl.Status.MirrorTopics[i].Direction == kafkalinkv1alpha1.DirectionToSource {
			return true
		}
	}
	return false
}

// remoteLinkKey is "clusterID#linkName" of the other side's link of a
// bidirectional ClusterLink with toSource topics: a refresh of that
// cluster's view that changes the link notifies this ClusterLink too.
func remoteLinkKey(cl *kafkalinkv1alpha1.ClusterLink) string {
	if cl.Spec.LinkMode() != kafkalinkv1alpha1.LinkModeBidirectional || cl.Status.SourceKafkaClusterID == "" || !needsSourceSide(cl) {
		return ""
	}
	return cl.Status.SourceKafkaClusterID + "#" + cl.LinkName()
}

func indexLinkByRemoteLink(obj any) ([]string, error) {
	cl, ok := obj.(*kafkalinkv1alpha1.ClusterLink)
	if !ok {
		return nil, nil
	}
	if k := remoteLinkKey(cl); k != "" {
		return []string{k}, nil
	}
	return nil, nil
}

// syncToSource plans and drives the toSource topics on the source cluster.
// A problem reaching that side is reported on those topics (and in Ready),
// not as a failure of the whole reconcile: the destination side has been
// reconciled already and its status must be written.
func (c *Controller) syncToSource(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink, local *side, linkName string, run *mirrorRun, obs *observation) error {
	group := &mirrorGroup{dir: kafkalinkv1alpha1.DirectionToSource, link: linkName}
	refuse := func(msg string) {
		// Every toSource topic keeps what was last seen of it and says
		// why nothing happens; planning would decide nothing anyway.
		group.plan = mirror.LinkPlan{Decisions: map[string]mirror.Decision{}}
		var listed []Mirror
		for _, s := range cl.Status.MirrorTopics {
			if s.Direction == kafkalinkv1alpha1.DirectionToSource && s.Status != "" && s.Status != string(mirror.StatusAbsent) {
				listed = append(listed, Mirror{Name: s.Name, SourceTopicName: s.SourceName(), Status: s.Status, MaxLag: s.MaxLag})
			}
		}
		prevDir := map[string]kafkalinkv1alpha1.MirrorTopicDirection{}
		for i := range cl.Status.MirrorTopics {
			prevDir[cl.Status.MirrorTopics[i].Name] = mirror.StatusDirection(&cl.Status.MirrorTopics[i])
		}
		for _, t := range cl.Spec.MirrorTopics {
			if t.EffectiveDirection() != kafkalinkv1alpha1.DirectionToSource {
				continue
			}
			group.plan.Decisions[t.Name] = mirror.Decision{Action: mirror.ActionBlocked, Reason: msg}
			if from, ok := prevDir[t.Name]; ok && from != kafkalinkv1alpha1.DirectionToSource && t.Reverse {
				// Being reversed from the destination: its entry keeps
				// the destination's direction and status.
				if group.plan.Reversing == nil {
					group.plan.Reversing = map[string]bool{}
				}
				group.plan.Reversing[t.Name] = true
			}
		}
		group.listed = listed
		// An empty plan executes nothing: this only builds the statuses
		// (removed topics stay listed until they can be deleted).
		_ = c.runMirrorGroup(ctx, cl, group, run, obs)
	}
	if cl.Spec.LinkMode() != kafkalinkv1alpha1.LinkModeBidirectional {
		refuse(fmt.Sprintf("direction toSource needs a bidirectional link; this link's mode is %s", cl.Spec.LinkMode()))
		return nil
	}
	remote, err := c.resolveSide(ctx, cl, cl.Spec.SourceKafkaCluster.KafkaRestClassRef, "spec.sourceKafkaCluster")
	if err != nil {
		var be *blockedError
		if !errors.As(err, &be) {
			run.busy = true // transient: poll again soon
		}
		refuse(fmt.Sprintf("cannot reach the source cluster to manage this mirror topic there: %v", err))
		return nil
	}
	if remote.clusterID == local.clusterID {
		refuse(fmt.Sprintf("sourceKafkaCluster resolves to cluster %q, the destination itself", remote.clusterID))
		return nil
	}
	var after uint64
	c.withMemory(cl, func(m *linkMemory) {
		if m.remote != remote.key {
			m.remote, m.remoteSeenGen = remote.key, 0
		}
		after = m.remoteSeenGen
	})
	view, err := c.snapshots.get(ctx, remote.key, remote.client, after, true)
	if err != nil {
		run.busy = true
		refuse(fmt.Sprintf("cannot list the mirror topics on source cluster %q: %v", remote.clusterID, err))
		return nil
	}
	acted := obs.acted
	defer func() {
		seen := view.gen
		if obs.acted && !acted {
			seen = c.snapshots.started(remote.key)
		}
		c.withMemory(cl, func(m *linkMemory) { m.remoteSeenGen = seen })
	}()
	link, exists := view.links[linkName]
	switch {
	case !exists:
		refuse(fmt.Sprintf("waiting for link %q on source cluster %q: the other ClusterLink of the bidirectional pair creates it (same spec.name, sourceInitiatedLink.linkMode: Bidirectional)", linkName, remote.clusterID))
		return nil
	case link.SourceClusterID != local.clusterID:
		// Creating the mirror under a link to some third cluster would
		// mirror the wrong data.
		refuse(fmt.Sprintf("link %q on source cluster %q links to cluster %q, not to the destination %q; it is not the other side of this bidirectional link",
			linkName, remote.clusterID, link.SourceClusterID, local.clusterID))
		return nil
	}
	group.side, group.listed = remote, view.mirrors[linkName]
	group.plan = mirror.PlanToSource(&cl.Spec, cl.Status.MirrorTopics, observedMirrors(group.listed))
	return c.runMirrorGroup(ctx, cl, group, run, obs)
}
