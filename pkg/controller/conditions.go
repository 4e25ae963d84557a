package controller

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// observation summarises what one sync saw, for the conditions.
type observation struct {
	// blocked, when set, is why the sync could not reach the link at all
	// (reason + message); the other fields are then unknown.
	blockedReason, blockedMessage string
	paused                        bool

	// acted: this reconcile issued a REST write (or tried to);
	// onlyCreated: every write was a successful create (link, mirrors).
	acted, onlyCreated bool
	// unobserved: the reconcile saw nothing status could report (a view
	// that raced with the link); status stays as it is.
	unobserved bool

	linkExists bool
	linkState  string
	linkError  string
	taskErrors []string

	// Per managed topic, by name.
	notInDesiredState []string          // still converging
	degraded          map[string]string // FAILED, LINK_FAILED, SOURCE_UNAVAILABLE: status
	blocked           map[string]string // planner said BLOCKED: reason
	actionFailed      map[string]string // last action failed: message
	stuck             map[string]string // PENDING_* past the transition timeout: detail
	total, ready      int
	// pending counts managed topics in a PENDING_* status.
	pending int
}

// The kstatus pair (sigs.k8s.io/cli-utils/pkg/kstatus): "abnormal-true"
// conditions that let GitOps tools (Flux, Argo CD, kpt, kubectl wait) tell a
// ClusterLink that is still converging from one that needs a human, without
// knowing kafkalink's reasons. They are derived from Ready (deriveProgress).
const (
	// ConditionReconciling is True while the controller converges: the link
	// is being created, mirror topics are transitioning, or the deletion is
	// failing over and deleting the link.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when the controller cannot make progress
	// without a change by someone: a missing or forbidden reference, bad
	// credentials, an unreachable destination, a link that is not ACTIVE,
	// degraded, blocked or failing mirror topics, a transition stuck past the
	// transition timeout, or a blocked deletion. Ready's message says what.
	ConditionStalled = "Stalled"
)

// progressingReasons are the Ready reasons of a ClusterLink that is on its
// way to Ready by the controller's own work.
var progressingReasons = map[string]bool{
	kafkalinkv1alpha1.ReasonReconciling:            true,
	kafkalinkv1alpha1.ReasonMirrorsTransitioning:   true,
	kafkalinkv1alpha1.ReasonDeleting:               true,
	kafkalinkv1alpha1.ReasonSourceInitiatedPending: true,
}

// setCondition sets a condition with the object's generation. Setting Ready
// also sets Reconciling and Stalled from it, so that every writer of Ready
// (sync, the finalizer, a duplicate link) keeps the three consistent.
func setCondition(conds *[]metav1.Condition, gen int64, typ string, ok bool, reason, msg string) {
	st := metav1.ConditionFalse
	if ok {
		st = metav1.ConditionTrue
	}
	meta.SetStatusCondition(conds, metav1.Condition{Type: typ, Status: st, Reason: reason, Message: truncate(msg, 1024), ObservedGeneration: gen})
	if typ == kafkalinkv1alpha1.ConditionReady {
		deriveProgress(conds, gen)
	}
}

// deriveProgress sets Reconciling and Stalled from Ready (and
// TransitionStuck). kstatus reads Reconciling before Stalled, so at most one
// of them is True. Both stay present when False (with Ready's reason), so
// `kubectl describe` shows the answer rather than its absence. A paused
// link is neither: nothing is expected to change until the annotation goes.
func deriveProgress(conds *[]metav1.Condition, gen int64) {
	ready := meta.FindStatusCondition(*conds, kafkalinkv1alpha1.ConditionReady)
	set := func(typ string, ok bool, reason, msg string) {
		st := metav1.ConditionFalse
		if ok {
			st = metav1.ConditionTrue
		}
		meta.SetStatusCondition(conds, metav1.Condition{Type: typ, Status: st, Reason: reason, Message: msg, ObservedGeneration: gen})
	}
	stuck := meta.IsStatusConditionTrue(*conds, kafkalinkv1alpha1.ConditionTransitionStuck)
	switch {
	case ready.Status == metav1.ConditionTrue:
		set(ConditionReconciling, false, ready.Reason, "the link and its mirror topics are in their desired state")
		set(ConditionStalled, false, ready.Reason, "the link and its mirror topics are in their desired state")
	case ready.Reason == kafkalinkv1alpha1.ReasonReconciliationPaused:
		set(ConditionReconciling, false, ready.Reason, "reconciliation is paused")
		set(ConditionStalled, false, ready.Reason, "reconciliation is paused")
	case progressingReasons[ready.Reason] && stuck:
		// Still "transitioning" by Ready's reason, but past the timeout: the
		// destination is not completing it on its own.
		c := meta.FindStatusCondition(*conds, kafkalinkv1alpha1.ConditionTransitionStuck)
		set(ConditionReconciling, false, kafkalinkv1alpha1.ReasonTransitionStuck, "not progressing: see Stalled")
		set(ConditionStalled, true, kafkalinkv1alpha1.ReasonTransitionStuck, c.Message)
	case progressingReasons[ready.Reason]:
		set(ConditionReconciling, true, ready.Reason, ready.Message)
		set(ConditionStalled, false, ready.Reason, "progressing: see Reconciling")
	default:
		set(ConditionReconciling, false, ready.Reason, "not progressing: see Stalled")
		set(ConditionStalled, true, ready.Reason, ready.Message)
	}
}

// summarise lists up to 5 "name: detail" entries of m, sorted, for messages.
func summarise(m map[string]string) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for i, n := range names {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(names)-5))
			break
		}
		if m[n] == "" {
			parts = append(parts, n)
		} else {
			parts = append(parts, n+": "+m[n])
		}
	}
	return strings.Join(parts, "; ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// applyConditions computes Ready, LinkAvailable, MirrorsSynced and
// TransitionStuck from an observation (and, through Ready, Reconciling and
// Stalled). Ready is honest: False whenever the
// link is not ACTIVE, reports an error or a failed task, or any managed
// topic is degraded, blocked, failing or not yet in its desired state.
func applyConditions(status *kafkalinkv1alpha1.ClusterLinkStatus, gen int64, o *observation) {
	conds := &status.Conditions
	if o.blockedReason != "" {
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionReady, false, o.blockedReason, o.blockedMessage)
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionLinkAvailable, false, o.blockedReason, o.blockedMessage)
		return
	}

	linkOK := false
	switch {
	case !o.linkExists:
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionLinkAvailable, false, kafkalinkv1alpha1.ReasonReconciling, "the link is being created on the destination")
	case o.linkError != "" && o.linkError != "NO_ERROR":
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionLinkAvailable, false, kafkalinkv1alpha1.ReasonLinkError,
			fmt.Sprintf("link state %s, link error %s", o.linkState, o.linkError))
	case o.linkState != "" && o.linkState != "ACTIVE":
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionLinkAvailable, false, kafkalinkv1alpha1.ReasonLinkNotActive,
			fmt.Sprintf("link state is %s, not ACTIVE", o.linkState))
	case len(o.taskErrors) > 0:
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionLinkAvailable, false, kafkalinkv1alpha1.ReasonLinkTaskError,
			"link tasks in error: "+strings.Join(o.taskErrors, "; "))
	default:
		linkOK = true
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionLinkAvailable, true, kafkalinkv1alpha1.ReasonLinkAvailable, "the link is ACTIVE")
	}

	synced := len(o.notInDesiredState) == 0 && len(o.actionFailed) == 0
	switch {
	case len(o.actionFailed) > 0:
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionMirrorsSynced, false, kafkalinkv1alpha1.ReasonMirrorActionFailed, summarise(o.actionFailed))
	case len(o.blocked) > 0:
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionMirrorsSynced, false, kafkalinkv1alpha1.ReasonMirrorsBlocked, summarise(o.blocked))
	case len(o.degraded) > 0:
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionMirrorsSynced, synced, kafkalinkv1alpha1.ReasonMirrorsDegraded, summarise(o.degraded))
	case !synced:
		pending := map[string]string{}
		for _, n := range o.notInDesiredState {
			pending[n] = ""
		}
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionMirrorsSynced, false, kafkalinkv1alpha1.ReasonMirrorsTransitioning,
			fmt.Sprintf("mirror topics in their desired state: %d of %d; waiting for %s", o.ready, o.total, summarise(pending)))
	default:
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionMirrorsSynced, true, kafkalinkv1alpha1.ReasonMirrorsSynced,
			fmt.Sprintf("mirror topics in their desired state: %d of %d", o.ready, o.total))
	}

	if len(o.stuck) > 0 {
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionTransitionStuck, true, kafkalinkv1alpha1.ReasonTransitionStuck, summarise(o.stuck))
	} else if meta.FindStatusCondition(*conds, kafkalinkv1alpha1.ConditionTransitionStuck) != nil {
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionTransitionStuck, false, kafkalinkv1alpha1.ReasonNoStuckTransitions, "no mirror topic is stuck in a transition")
	}

	ready := meta.FindStatusCondition(*conds, kafkalinkv1alpha1.ConditionMirrorsSynced)
	switch {
	case o.paused:
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionReady, false, kafkalinkv1alpha1.ReasonReconciliationPaused,
			"reconciliation is paused by the annotation "+kafkalinkv1alpha1.AnnotationPauseReconciliation+"; status is still observed")
	case !linkOK:
		l := meta.FindStatusCondition(*conds, kafkalinkv1alpha1.ConditionLinkAvailable)
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionReady, false, l.Reason, l.Message)
	case len(o.degraded) > 0:
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionReady, false, kafkalinkv1alpha1.ReasonMirrorsDegraded, "mirror topics degraded: "+summarise(o.degraded))
	case ready.Status != metav1.ConditionTrue:
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionReady, false, ready.Reason, ready.Message)
	default:
		setCondition(conds, gen, kafkalinkv1alpha1.ConditionReady, true, kafkalinkv1alpha1.ReasonReady, ready.Message)
	}
}
