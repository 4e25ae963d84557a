package mirror

import (
	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// Status is a mirror topic's observed status: the REST API's
// MirrorTopicStatus, ABSENT when the topic is not listed under the link, or
// UNKNOWN for a value this version does not know.
type Status string

// Observed statuses.
const (
	StatusAbsent                 Status = "ABSENT"
	StatusActive                 Status = "ACTIVE"
	StatusPaused                 Status = "PAUSED"
	StatusPendingStopped         Status = "PENDING_STOPPED"
	StatusStopped                Status = "STOPPED"
	StatusSourceUnavailable      Status = "SOURCE_UNAVAILABLE"
	StatusLinkFailed             Status = "LINK_FAILED"
	StatusLinkPaused             Status = "LINK_PAUSED"
	StatusFailed                 Status = "FAILED"
	StatusPendingMirror          Status = "PENDING_MIRROR"
	StatusPendingSynchronize     Status = "PENDING_SYNCHRONIZE"
	StatusPendingSetupForRestore Status = "PENDING_SETUP_FOR_RESTORE"
	StatusPendingRestore         Status = "PENDING_RESTORE"
	// StatusUnknown stands for any status a newer server reports that this
	// version does not know. It is always waited on, never acted on.
	StatusUnknown Status = "UNKNOWN"
)

// Statuses lists every status Plan distinguishes, in table order.
var Statuses = []Status{
	StatusAbsent, StatusActive, StatusPaused,
	StatusPendingMirror, StatusPendingSynchronize, StatusPendingSetupForRestore, StatusPendingRestore,
	StatusSourceUnavailable, StatusLinkFailed, StatusFailed, StatusLinkPaused,
	StatusPendingStopped, StatusStopped, StatusUnknown,
}

// ParseStatus maps a REST mirror_status to a Status: "" (not listed) is
// ABSENT and any value this version does not know is UNKNOWN.
func ParseStatus(s string) Status {
	if s == "" {
		return StatusAbsent
	}
	st := Status(s)
	for _, known := range Statuses {
		if st == known {
			return st
		}
	}
	return StatusUnknown
}

// Stopped reports whether the topic has left mirroring for good: it is a
// normal writable topic (STOPPED) or on its way there (PENDING_STOPPED).
func (s Status) Stopped() bool { return s == StatusPendingStopped || s == StatusStopped }

func (s Status) pending() bool {
	switch s {
	case StatusPendingMirror, StatusPendingSynchronize, StatusPendingSetupForRestore, StatusPendingRestore:
		return true
	}
	return false
}

func (s Status) degraded() bool {
	return s == StatusSourceUnavailable || s == StatusLinkFailed || s == StatusFailed
}

// Desired is a mirror topic's desired state (spec.mirrorTopics[].state).
type Desired = kafkalinkv1alpha1.MirrorTopicState

// Desired states.
const (
	DesiredActive   = kafkalinkv1alpha1.MirrorTopicStateActive
	DesiredPause    = kafkalinkv1alpha1.MirrorTopicStatePause
	DesiredPromote  = kafkalinkv1alpha1.MirrorTopicStatePromote
	DesiredFailover = kafkalinkv1alpha1.MirrorTopicStateFailover
)

// DesiredStates lists the desired states in table order.
var DesiredStates = []Desired{DesiredActive, DesiredPause, DesiredPromote, DesiredFailover}

// oneWay reports whether a desired state cannot be left for ACTIVE or PAUSE.
func oneWay(d Desired) bool { return d == DesiredPromote || d == DesiredFailover }

// Action is what the controller does for a topic in one reconcile.
type Action string

// Actions.
const (
	ActionCreate   Action = "CREATE"
	ActionPause    Action = "PAUSE"
	ActionResume   Action = "RESUME"
	ActionPromote  Action = "PROMOTE"
	ActionFailover Action = "FAILOVER"
	ActionDelete   Action = "DELETE"
	// ActionRestore is truncate-and-restore: a STOPPED topic becomes a
	// mirror of its source again, losing the records written since it
	// stopped. One-way; only with restore.acceptTruncation.
	ActionRestore Action = "TRUNCATE_AND_RESTORE"
	// ActionReverseStart and ActionReversePause reverse a mirror on a
	// bidirectional link: its topic becomes writable and the other
	// cluster's topic its mirror, started or paused. One-way; only with
	// reverse: true and a changed direction.
	ActionReverseStart Action = "REVERSE_AND_START"
	ActionReversePause Action = "REVERSE_AND_PAUSE"
	// ActionNone: the topic is in its desired state.
	ActionNone Action = "NONE"
	// ActionWait: nothing to do yet; look again soon.
	ActionWait Action = "WAIT"
	// ActionBlocked: the desired state cannot be reached from here; the
	// reason says why and what to do.
	ActionBlocked Action = "BLOCKED"
)

// Actions lists every action.
var Actions = []Action{ActionCreate, ActionPause, ActionResume, ActionPromote, ActionFailover, ActionRestore, ActionReverseStart, ActionReversePause, ActionDelete, ActionNone, ActionWait, ActionBlocked}

// Issues reports whether the action is a REST call.
func (a Action) Issues() bool {
	switch a {
	case ActionCreate, ActionPause, ActionResume, ActionPromote, ActionFailover, ActionRestore, ActionReverseStart, ActionReversePause, ActionDelete:
		return true
	}
	return false
}

// OneWay reports whether the action cannot be undone: the controller asks
// the destination with validate_only before issuing it.
func (a Action) OneWay() bool {
	return a == ActionPromote || a == ActionFailover || a == ActionRestore || a == ActionReverseStart || a == ActionReversePause
}
