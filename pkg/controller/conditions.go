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

// setCondition sets a condition with the object's generation.
func setCondition(conds *[]metav1.Condition, gen int64, typ string, ok bool, reason, msg string) {
	st := metav1.ConditionFalse
	if ok {
		st = metav1.ConditionTrue
	}
	meta.SetStatusCondition(conds, metav1.Condition{Type: typ, Status: st, Reason: reason, Message: truncate(msg, 1024), ObservedGeneration: gen})
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
// TransitionStuck from an observation. Ready is honest: False whenever the
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
