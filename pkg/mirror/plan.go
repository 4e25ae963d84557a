package mirror

import (
	"fmt"
	"strconv"
	"strings"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// Topic is one mirror topic as Plan sees it: what is wanted, what the
// destination reports, and what earlier reconciles saw.
type Topic struct {
	Desired Desired
	Status  Status
	// MaxLag is the largest partition lag; a promote waits for it to drain.
	MaxLag int64
	// StoppedSeen: the topic was seen PENDING_STOPPED or STOPPED (or was
	// promoted or failed over by the controller). A stopped topic that is no
	// longer listed under the link is a normal topic now, not one to create.
	StoppedSeen bool
	// LastAction is the last action the controller issued for the topic
	// (status.mirrorTopics[].lastAction).
	LastAction Action
	// Restore: the spec acknowledges truncate-and-restore
	// (restore.acceptTruncation), so a STOPPED topic may mirror again.
	Restore bool
	// OneWayAsked: this ClusterLink asked for the topic's stop (its last
	// planned desired state was PROMOTE or FAILOVER, or it issued one). A
	// restore applies only then: a leftover acceptTruncation must not
	// truncate a topic stopped by someone else (a CLI failover, the
	// other side's deletion).
	OneWayAsked bool
}

// Decision is the outcome of Plan for one topic.
type Decision struct {
	Action Action
	// Then is a second action issued in the same reconcile right after
	// Action succeeds (CREATE then PAUSE for a topic that starts paused).
	Then Action
	// Reason explains WAIT and BLOCKED decisions in words a user can act on.
	Reason string
	// Invalid marks a cell the webhook rejects: the desired state
	// contradicts the observed status. The controller only reports it.
	Invalid bool
}

// Plan decides the action for one topic (docs/design.md §3). It never
// returns DELETE: deletion is decided per link (PlanLink), from ownership.
func Plan(t Topic) Decision {
	d := t.Desired
	if d == "" {
		d = DesiredActive
	}
	st := t.Status
	if st == "" {
		st = StatusAbsent
	}
	if t.Restore && t.OneWayAsked && st == StatusStopped && !oneWay(d) {
		return Decision{Action: ActionRestore, Reason: "truncate-and-restore: the records written since the topic stopped are deleted and it mirrors its source again"}
	}
	if isInvalid(d, st, t.StoppedSeen) {
		return Decision{Action: ActionBlocked, Invalid: true, Reason: contradiction(d, st, t.StoppedSeen, t.Restore)}
	}
	switch {
	case st == StatusAbsent && !t.StoppedSeen:
		if d == DesiredPause {
			return Decision{Action: ActionCreate, Then: ActionPause, Reason: "created, then paused"}
		}
		return Decision{Action: ActionCreate}
	case st == StatusAbsent || st == StatusStopped:
		return Decision{Action: ActionNone}
	case st == StatusPendingStopped:
		return Decision{Action: ActionWait, Reason: "waiting for PENDING_STOPPED to become STOPPED"}
	case st == StatusActive || st == StatusPaused:
		switch d {
		case DesiredActive:
			if st == StatusPaused {
				return Decision{Action: ActionResume}
			}
			return Decision{Action: ActionNone}
		case DesiredPause:
			if st == StatusActive {
				return Decision{Action: ActionPause}
			}
			return Decision{Action: ActionNone}
		case DesiredPromote:
			if st == StatusActive && t.MaxLag > 0 {
				return Decision{Action: ActionWait, Reason: promoteWaitReason(strconv.FormatInt(t.MaxLag, 10))}
			}
			return Decision{Action: ActionPromote}
		}
		return Decision{Action: ActionFailover}
	case st.pending():
		if d == DesiredFailover {
			return Decision{Action: ActionFailover}
		}
		return Decision{Action: ActionWait, Reason: fmt.Sprintf("waiting for %s to complete", st)}
	case st.degraded():
		switch d {
		case DesiredActive:
			return Decision{Action: ActionWait, Reason: fmt.Sprintf("mirror is %s; it resumes when the source and link recover", st)}
		case DesiredPause:
			if t.LastAction == ActionPause {
				// Paused already; the destination reports the degraded
				// status over PAUSED until the source is back.
				return Decision{Action: ActionWait, Reason: fmt.Sprintf("paused; the destination reports %s until the source and link recover", st)}
			}
			return Decision{Action: ActionPause}
		case DesiredPromote:
			return Decision{Action: ActionBlocked, Reason: fmt.Sprintf("cannot promote while the mirror is %s: promote needs the source to check lag; use FAILOVER if the source is gone", st)}
		}
		return Decision{Action: ActionFailover}
	case st == StatusLinkPaused:
		switch d {
		case DesiredPromote:
			return Decision{Action: ActionBlocked, Reason: "cannot promote while the link is paused: resume the link (cluster.link.paused=false) or use FAILOVER"}
		case DesiredFailover:
			return Decision{Action: ActionFailover}
		}
		return Decision{Action: ActionWait, Reason: "the link is paused (cluster.link.paused)"}
	}
	return Decision{Action: ActionWait, Reason: fmt.Sprintf("unknown mirror status %s: waiting; this kafkalink version does not act on it", st)}
}

// isInvalid reports the cells of the table the webhook rejects: a one-way
// state for a topic that never existed, or a mirroring state for a topic
// that has stopped.
func isInvalid(d Desired, st Status, stoppedSeen bool) bool {
	switch {
	case st == StatusAbsent && !stoppedSeen:
		return oneWay(d)
	case st == StatusAbsent, st.Stopped():
		return !oneWay(d)
	}
	return false
}

// contradiction explains why a desired state cannot be reached from the
// observed status, and what is allowed instead.
func contradiction(d Desired, st Status, stoppedSeen, restore bool) string {
	allowed := Allowed(st, stoppedSeen)
	var why string
	switch {
	case st == StatusAbsent && !stoppedSeen:
		why = fmt.Sprintf("the mirror topic does not exist yet and cannot be created in state %s", d)
	case st == StatusAbsent && restore:
		why = "truncate-and-restore needs the stopped topic listed under the link, and it no longer is (the link was re-created, or the topic deleted); it cannot mirror again"
	case st == StatusAbsent:
		why = "the topic was promoted or failed over and is no longer a mirror; it cannot mirror again"
	case restore && st == StatusStopped:
		why = "truncate-and-restore applies to a topic this ClusterLink promoted or failed over (state PROMOTE or FAILOVER in its spec), and this one was stopped outside it; " +
			"set its state to FAILOVER first, then back with restore.acceptTruncation"
	case restore:
		why = fmt.Sprintf("truncate-and-restore needs the topic STOPPED, and it is %s; wait until it is STOPPED", st)
	default:
		why = fmt.Sprintf("the topic is %s on the destination (promoted or failed over: now a normal writable topic) and cannot go back to %s "+
			"unless it is restored as a mirror: set restore.acceptTruncation: true (truncate-and-restore deletes the records written since it stopped)", st, d)
	}
	return fmt.Sprintf("%s; allowed: %s", why, joinDesired(allowed))
}

// Allowed lists the desired states valid for an observed status.
func Allowed(st Status, stoppedSeen bool) []Desired {
	var out []Desired
	for _, d := range DesiredStates {
		if !isInvalid(d, st, stoppedSeen) {
			out = append(out, d)
		}
	}
	return out
}

func joinDesired(ds []Desired) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = string(d)
	}
	return strings.Join(s, ", ")
}

// InDesiredState reports whether a topic with this observed status is where
// its desired state wants it (the MirrorsSynced condition).
func InDesiredState(d Desired, st Status) bool {
	switch d {
	case DesiredActive, "":
		return st == StatusActive
	case DesiredPause:
		return st == StatusPaused
	case DesiredPromote, DesiredFailover:
		return st == StatusStopped || st == StatusAbsent
	}
	return false
}

// After returns the status a topic reaches when decision d succeeds. It is
// what the idempotency guarantee is checked against: planning again on it
// yields NONE, WAIT or the same BLOCKED.
func After(st Status, d Decision) Status {
	a := d.Action
	if d.Then != "" {
		a = d.Then
	}
	switch a {
	case ActionCreate, ActionResume:
		return StatusActive
	case ActionPause:
		return StatusPaused
	case ActionPromote, ActionFailover:
		return StatusPendingStopped
	case ActionRestore:
		return StatusPendingSetupForRestore
	case ActionReverseStart, ActionReversePause:
		return StatusPendingStopped
	case ActionDelete:
		return StatusAbsent
	}
	return st
}

// HistoryFromStatus reads what earlier reconciles saw of a managed topic
// from its status entry: whether it was stopped (observed PENDING_STOPPED or
// STOPPED, or promoted or failed over by the controller).
func HistoryFromStatus(s *kafkalinkv1alpha1.MirrorTopicStatus) (stoppedSeen bool) {
	if s == nil {
		return false
	}
	if ParseStatus(s.Status).Stopped() {
		return true
	}
	return s.Created && (s.LastAction == string(ActionPromote) || s.LastAction == string(ActionFailover))
}

// promoteWaitReason is the message of a PROMOTE waiting for lag; the state
// machine document renders it with a placeholder instead of a number.
func promoteWaitReason(maxLag string) string {
	return "promote waits for the mirror to catch up (max lag " + maxLag + ")"
}

// PlanReverse decides the reverse of a mirror whose direction changed with
// reverse: true, from its status on the cluster it lives on now: ACTIVE or
// PAUSED with no lag reverses (and starts, for desired ACTIVE, or pauses,
// for PAUSE, the other cluster's topic as its mirror); a stopped topic has
// been reversed already; anything else waits or is refused, with the
// precondition named.
func PlanReverse(d Desired, st Status, maxLag int64) Decision {
	if d == "" {
		d = DesiredActive
	}
	switch {
	case oneWay(d):
		return Decision{Action: ActionBlocked, Invalid: true, Reason: fmt.Sprintf("reverse needs state ACTIVE (reverse-and-start-mirror) or PAUSE (reverse-and-pause-mirror), not %s", d)}
	case st.Stopped():
		return Decision{Action: ActionNone, Reason: "reversed: the topic here is a normal topic now"}
	case st == StatusActive || st == StatusPaused:
		if maxLag > 0 {
			return Decision{Action: ActionWait, Reason: fmt.Sprintf("reverse waits for the mirror to catch up (max lag %d)", maxLag)}
		}
		if d == DesiredPause {
			return Decision{Action: ActionReversePause}
		}
		return Decision{Action: ActionReverseStart}
	case st.degraded() || st == StatusLinkPaused:
		return Decision{Action: ActionBlocked, Reason: fmt.Sprintf("reverse needs the other side reachable, and the mirror is %s", st)}
	case st.pending():
		return Decision{Action: ActionWait, Reason: fmt.Sprintf("reverse waits for %s to complete", st)}
	case st == StatusAbsent:
		return Decision{Action: ActionBlocked, Invalid: true, Reason: "reverse needs the mirror topic under the link, and it is not there"}
	}
	return Decision{Action: ActionWait, Reason: fmt.Sprintf("unknown mirror status %s: waiting before a reverse", st)}
}

// OneWayAsked reports from a topic's status entry whether this ClusterLink
// asked for its stop: the desired state last planned was PROMOTE or
// FAILOVER, or it issued one of them last.
func OneWayAsked(s *kafkalinkv1alpha1.MirrorTopicStatus) bool {
	if s == nil {
		return false
	}
	return oneWay(s.DesiredState) || s.LastAction == string(ActionPromote) || s.LastAction == string(ActionFailover)
}
