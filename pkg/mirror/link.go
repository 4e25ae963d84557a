package mirror

import (
	"fmt"
	"sort"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// ObservedMirror is one mirror topic listed under the link on the destination.
type ObservedMirror struct {
	Name            string
	SourceTopicName string
	Status          string
	MaxLag          int64
}

// CreateMirror is a mirror topic to create.
type CreateMirror struct {
	Name              string
	SourceTopicName   string
	ReplicationFactor *int32
	Configs           map[string]string
}

// LinkPlan is the grouped work for one ClusterLink: the controller makes one
// create call per entry of Create, one batch call per non-empty action list,
// and one delete call per entry of Delete.
type LinkPlan struct {
	Create   []CreateMirror
	Pause    []string
	Resume   []string
	Promote  []string
	Failover []string
	// Restore are stopped topics to truncate-and-restore as mirrors.
	Restore []string
	// ReverseStart and ReversePause are mirrors on this cluster to
	// reverse (their direction changed with reverse: true).
	ReverseStart, ReversePause []string
	// Reversing are topics whose direction changed with reverse: true
	// and whose mirror does not live on this plan's cluster yet: their
	// status keeps what was seen on the other cluster until it does.
	Reversing map[string]bool
	// ReverseBlocked are reverses this cluster cannot issue, with why
	// (reported on the topic, whose status the other plan builds).
	ReverseBlocked map[string]string
	// Delete are managed topics removed from spec.mirrorTopics that are
	// still mirroring. Never a stopped topic, never an unmanaged one.
	Delete []string
	// Release are managed topics removed from spec.mirrorTopics that are
	// stopped (normal topics now): they are kept and no longer tracked.
	Release []string
	// Wait are topics with nothing to do yet (requeue soon).
	Wait []string
	// Unmanaged are mirrors under the link never listed in
	// spec.mirrorTopics (stopped topics, normal topics now, are not counted).
	Unmanaged []string
	// Decisions has the decision for every topic in spec.mirrorTopics.
	Decisions map[string]Decision
}

// Empty reports whether the plan issues no REST call.
func (p *LinkPlan) Empty() bool {
	return len(p.Create)+len(p.Pause)+len(p.Resume)+len(p.Promote)+len(p.Failover)+len(p.Restore)+len(p.ReverseStart)+len(p.ReversePause)+len(p.Delete) == 0
}

// PlanLink plans the mirror topics a ClusterLink keeps on its own cluster
// (every topic but direction: toSource) from the mirrors listed under its
// link there (one list call) and the previous status, which records the
// managed topics and what was seen of them.
func PlanLink(spec *kafkalinkv1alpha1.ClusterLinkSpec, prev []kafkalinkv1alpha1.MirrorTopicStatus, observed []ObservedMirror) LinkPlan {
	return planDirection(spec, kafkalinkv1alpha1.DirectionToDestination, prev, observed)
}

// PlanToSource plans the direction: toSource topics of a bidirectional
// ClusterLink, from the mirrors listed under the same link on the source
// cluster. Mirrors there that this ClusterLink never listed belong to the
// other side's ClusterLink and are not reported as unmanaged.
func PlanToSource(spec *kafkalinkv1alpha1.ClusterLinkSpec, prev []kafkalinkv1alpha1.MirrorTopicStatus, observed []ObservedMirror) LinkPlan {
	return planDirection(spec, kafkalinkv1alpha1.DirectionToSource, prev, observed)
}

// DeletesRemovedTopics reports mirrorTopicOptions.deleteRemovedMirrorTopics,
// true when unset.
func DeletesRemovedTopics(spec *kafkalinkv1alpha1.ClusterLinkSpec) bool {
	o := spec.MirrorTopicOptions
	return o == nil || o.DeleteRemovedMirrorTopics == nil || *o.DeleteRemovedMirrorTopics
}

// StatusDirection is the direction a status entry records (toDestination
// when omitted).
func StatusDirection(s *kafkalinkv1alpha1.MirrorTopicStatus) kafkalinkv1alpha1.MirrorTopicDirection {
	if s.Direction == "" {
		return kafkalinkv1alpha1.DirectionToDestination
	}
	return s.Direction
}

func planDirection(spec *kafkalinkv1alpha1.ClusterLinkSpec, dir kafkalinkv1alpha1.MirrorTopicDirection, prev []kafkalinkv1alpha1.MirrorTopicStatus, observed []ObservedMirror) LinkPlan {
	plan := LinkPlan{Decisions: make(map[string]Decision, len(spec.MirrorTopics))}
	listed := make(map[string]ObservedMirror, len(observed))
	for _, m := range observed {
		listed[m.Name] = m
	}
	managed := make(map[string]*kafkalinkv1alpha1.MirrorTopicStatus, len(prev))
	prevDir := make(map[string]kafkalinkv1alpha1.MirrorTopicDirection, len(prev))
	for i := range prev {
		prevDir[prev[i].Name] = StatusDirection(&prev[i])
		if StatusDirection(&prev[i]) == dir {
			managed[prev[i].Name] = &prev[i]
		}
	}
	// Names in spec in either direction: a topic whose direction changed
	// (only possible without the CRD's rule) is neither deleted nor
	// counted unmanaged on the cluster it left.
	inAnySpec := make(map[string]bool, len(spec.MirrorTopics))
	for i := range spec.MirrorTopics {
		inAnySpec[spec.MirrorTopics[i].Name] = true
	}
	deleteRemoved := DeletesRemovedTopics(spec)
	inSpec := make(map[string]bool, len(spec.MirrorTopics))
	for i := range spec.MirrorTopics {
		t := &spec.MirrorTopics[i]
		from, seen := prevDir[t.Name]
		reversing := t.Reverse && seen && from != t.EffectiveDirection()
		if reversing && from == dir {
			// The mirror lives here still: reverse it.
			m, st, _ := lookup(listed, t.Name)
			d := PlanReverse(t.DesiredState(), st, m.MaxLag)
			if d.Action == ActionNone && !reversedHere(managed[t.Name]) {
				// Stopped, but not by a reverse of ours: there is no
				// mirror left to reverse.
				d = Decision{Action: ActionBlocked, Reason: fmt.Sprintf("reverse needs a mirror, and the topic is %s on the %s cluster (stopped outside kafkalink)", st, clusterOf(dir))}
			}
			switch d.Action {
			case ActionReverseStart:
				plan.ReverseStart = append(plan.ReverseStart, t.Name)
			case ActionReversePause:
				plan.ReversePause = append(plan.ReversePause, t.Name)
			case ActionWait:
				plan.Wait = append(plan.Wait, t.Name)
			case ActionBlocked:
				if plan.ReverseBlocked == nil {
					plan.ReverseBlocked = map[string]string{}
				}
				plan.ReverseBlocked[t.Name] = d.Reason
			}
			continue
		}
		if t.EffectiveDirection() != dir {
			continue
		}
		inSpec[t.Name] = true
		if m, exists := listed[t.Name]; reversing && (!exists || ParseStatus(m.Status).Stopped()) {
			// Reversed on the other cluster, not yet a mirror here: never
			// create it here, wait for the reverse.
			if plan.Reversing == nil {
				plan.Reversing = map[string]bool{}
			}
			plan.Reversing[t.Name] = true
			plan.Decisions[t.Name] = Decision{Action: ActionWait, Reason: fmt.Sprintf("reversing: the mirror is reversed where it lives now (%s), then mirrors here", clusterOf(from))}
			continue
		}
		m, st, exists := lookup(listed, t.Name)
		var d Decision
		if exists && m.SourceTopicName != "" && m.SourceTopicName != t.SourceName() {
			// A same-named mirror of another source topic was made outside
			// kafkalink: acting on it would change data nobody asked for.
			d = Decision{Action: ActionBlocked, Reason: fmt.Sprintf("a mirror topic %q already exists under the link mirroring source topic %q, not %q; rename one of them", t.Name, m.SourceTopicName, t.SourceName())}
		} else {
			var last Action
			if s := managed[t.Name]; s != nil {
				last = Action(s.LastAction)
			}
			d = Plan(Topic{Desired: t.DesiredState(), Status: st, MaxLag: m.MaxLag, StoppedSeen: HistoryFromStatus(managed[t.Name]), LastAction: last,
				Restore: t.RestoreAccepted(), OneWayAsked: OneWayAsked(managed[t.Name])})
		}
		plan.Decisions[t.Name] = d
		switch d.Action {
		case ActionCreate:
			plan.Create = append(plan.Create, CreateMirror{Name: t.Name, SourceTopicName: t.SourceName(), ReplicationFactor: t.ReplicationFactor, Configs: t.Configs})
		case ActionPause:
			plan.Pause = append(plan.Pause, t.Name)
		case ActionResume:
			plan.Resume = append(plan.Resume, t.Name)
		case ActionPromote:
			plan.Promote = append(plan.Promote, t.Name)
		case ActionFailover:
			plan.Failover = append(plan.Failover, t.Name)
		case ActionRestore:
			plan.Restore = append(plan.Restore, t.Name)
		case ActionWait:
			plan.Wait = append(plan.Wait, t.Name)
		}
		if d.Then == ActionPause {
			plan.Pause = append(plan.Pause, t.Name)
		}
	}
	// Managed topics removed from the spec: delete only what still mirrors.
	for i := range prev {
		s := &prev[i]
		if inAnySpec[s.Name] || StatusDirection(s) != dir {
			continue
		}
		m, exists := listed[s.Name]
		if !exists {
			continue // already gone; the status entry is dropped
		}
		switch {
		case m.SourceTopicName != "" && m.SourceTopicName != s.SourceName():
			// Not the mirror kafkalink managed: leave it alone.
			plan.Release = append(plan.Release, s.Name)
		case !deleteRemoved:
			// deleteRemovedMirrorTopics: false — removing a topic from the
			// spec only ends its management; it stays as it is.
			plan.Release = append(plan.Release, s.Name)
		default:
			switch OnRemovalOf(ParseStatus(m.Status), Desired(s.DesiredState), Action(s.LastAction)) {
			case RemovalDelete:
				plan.Delete = append(plan.Delete, s.Name)
			case RemovalRelease, RemovalRefused:
				plan.Release = append(plan.Release, s.Name)
			case RemovalWait:
				plan.Wait = append(plan.Wait, s.Name)
			}
		}
	}
	for _, m := range observed {
		// Stopped topics are normal topics, not mirrors: not counted. On
		// the source cluster, the other mirrors are the other side's.
		if dir == kafkalinkv1alpha1.DirectionToDestination && !inAnySpec[m.Name] && managed[m.Name] == nil && !ParseStatus(m.Status).Stopped() {
			plan.Unmanaged = append(plan.Unmanaged, m.Name)
		}
	}
	for _, l := range [][]string{plan.Pause, plan.Resume, plan.Promote, plan.Failover, plan.Restore, plan.ReverseStart, plan.ReversePause, plan.Delete, plan.Release, plan.Wait, plan.Unmanaged} {
		sort.Strings(l)
	}
	sort.Slice(plan.Create, func(i, j int) bool { return plan.Create[i].Name < plan.Create[j].Name })
	return plan
}

// Removal is what happens to a managed topic removed from spec.mirrorTopics.
type Removal string

// Removal outcomes.
const (
	// RemovalDelete: the topic still mirrors and is deleted on the destination.
	RemovalDelete Removal = "DELETE"
	// RemovalRelease: the topic is stopped (a normal topic now) and is kept;
	// kafkalink stops tracking it.
	RemovalRelease Removal = "RELEASE"
	// RemovalWait: the status is unknown; nothing is deleted until it is.
	RemovalWait Removal = "WAIT"
	// RemovalNone: the topic is not listed under the link; nothing to do.
	RemovalNone Removal = "NONE"
	// RemovalRefused: a one-way PROMOTE or FAILOVER was accepted and the
	// topic has not stopped yet. Deleting it could destroy the only copy of
	// the data, so the webhook refuses the removal; should it happen anyway
	// (no webhook), the controller stops managing the topic and deletes
	// nothing.
	RemovalRefused Removal = "REFUSED"
)

// OnRemoval decides what removing a managed topic from the spec does, by its
// observed status. Stopped topics hold data written after the promote or
// failover and are never deleted.
// OnRemovalOf is OnRemoval with the topic's history: the desired state it
// had and the last action kafkalink took on it.
func OnRemovalOf(st Status, desired Desired, lastAction Action) Removal {
	r := OnRemoval(st)
	if (r == RemovalDelete || r == RemovalWait) && (oneWay(desired) || lastAction == ActionPromote || lastAction == ActionFailover) {
		return RemovalRefused
	}
	return r
}

func OnRemoval(st Status) Removal {
	switch {
	case st == StatusAbsent:
		return RemovalNone
	case st.Stopped():
		return RemovalRelease
	case st == StatusUnknown:
		return RemovalWait
	}
	return RemovalDelete
}

// FailoverOnDelete decides what deleting a ClusterLink with deletionPolicy
// Failover does with the mirrors listed under its link: every topic still
// mirroring (managed or not) is failed over in one batch; waiting counts the
// topics already PENDING_STOPPED. The link may be deleted once both are zero.
// Unknown statuses are failed over too: failover is what the user asked for
// by deleting, and the server refuses it per topic if it cannot apply.
func FailoverOnDelete(observed []ObservedMirror) (failover []string, waiting int) {
	for _, m := range observed {
		switch ParseStatus(m.Status) {
		case StatusStopped:
		case StatusPendingStopped:
			waiting++
		default:
			failover = append(failover, m.Name)
		}
	}
	sort.Strings(failover)
	return failover, waiting
}

// lookup returns the mirror listed under a name and its status (ABSENT
// when it is not listed).
func lookup(listed map[string]ObservedMirror, name string) (ObservedMirror, Status, bool) {
	m, ok := listed[name]
	if !ok {
		return m, StatusAbsent, false
	}
	return m, ParseStatus(m.Status), true
}

// reversedHere reports whether kafkalink issued the reverse recorded in a
// status entry.
func reversedHere(s *kafkalinkv1alpha1.MirrorTopicStatus) bool {
	return s != nil && (s.LastAction == string(ActionReverseStart) || s.LastAction == string(ActionReversePause))
}
