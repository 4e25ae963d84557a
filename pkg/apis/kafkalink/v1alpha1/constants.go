package v1alpha1

// Condition types on ClusterLink and KafkaRestClass status.
const (
	// ConditionReady is True when the link is ACTIVE without errors and every
	// managed mirror topic is in its desired state, or transitioning normally.
	ConditionReady = "Ready"
	// ConditionLinkAvailable is True when the link exists on the destination,
	// is ACTIVE and reports no link_error or failed task.
	ConditionLinkAvailable = "LinkAvailable"
	// ConditionMirrorsSynced is True when every managed mirror topic is in its
	// desired state.
	ConditionMirrorsSynced = "MirrorsSynced"
	// ConditionTransitionStuck is True when a mirror topic has stayed in a
	// PENDING_* state longer than the controller's transition timeout.
	ConditionTransitionStuck = "TransitionStuck"
)

// ClusterLink states in status.state beside the destination's link states,
// while the finalizer runs.
const (
	// ClusterLinkStateDeleting: the deletion is failing over the mirror
	// topics and deleting the link.
	ClusterLinkStateDeleting = "DELETING"
	// ClusterLinkStateDeletionBlocked: the deletion waits for something
	// the user must fix (unreachable destination, paused reconciliation,
	// missing KafkaRestClass or credentials).
	ClusterLinkStateDeletionBlocked = "DELETION_BLOCKED"
)

// Condition reasons. They are CamelCase, stable, and documented in the
// troubleshooting guide.
const (
	ReasonReady                   = "Ready"
	ReasonReconciling             = "Reconciling"
	ReasonReconciliationPaused    = "ReconciliationPaused"
	ReasonKafkaRestClassNotFound  = "KafkaRestClassNotFound"
	ReasonKafkaRestClassForbidden = "KafkaRestClassForbidden"
	ReasonCredentialsError        = "CredentialsError"
	ReasonDestinationUnreachable  = "DestinationUnreachable"
	ReasonLinkCreateFailed        = "LinkCreateFailed"
	ReasonLinkNotActive           = "LinkNotActive"
	ReasonLinkError               = "LinkError"
	ReasonLinkTaskError           = "LinkTaskError"
	ReasonLinkAvailable           = "LinkAvailable"
	ReasonMirrorsSynced           = "MirrorsSynced"
	ReasonMirrorsTransitioning    = "MirrorsTransitioning"
	ReasonMirrorsDegraded         = "MirrorsDegraded"
	ReasonMirrorsBlocked          = "MirrorsBlocked"
	ReasonMirrorActionFailed      = "MirrorActionFailed"
	ReasonTransitionStuck         = "TransitionStuck"
	ReasonNoStuckTransitions      = "NoStuckTransitions"
	ReasonDeleting                = "Deleting"
	ReasonDeletionBlocked         = "DeletionBlocked"
	ReasonInvalidSpec             = "InvalidSpec"
	ReasonSourceInitiatedPending  = "SourceInitiatedPending"
	ReasonDuplicateLink           = "DuplicateLink"
	ReasonClusterChanged          = "ClusterChanged"

	// KafkaRestClass Ready reasons.
	ReasonReachable                 = "Reachable"
	ReasonCredentialsRefused        = "CredentialsRefused"
	ReasonUnreachable               = "Unreachable"
	ReasonKafkaClusterRefUnresolved = "KafkaClusterRefUnresolved"
	ReasonClusterIDMismatch         = "ClusterIDMismatch"
)

const (
	// FinalizerClusterLink guards the failover-and-delete of a link on the
	// destination when its ClusterLink is deleted.
	FinalizerClusterLink = "kafkalink.io/cluster-link"
	// AnnotationPauseReconciliation set to "true" stops every REST action for
	// a ClusterLink; its status keeps being observed.
	AnnotationPauseReconciliation = "kafkalink.io/pause-reconciliation"
)
