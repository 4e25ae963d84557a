// Package mirror is the mirror-topic state machine that the controller and
// the admission webhook share, so that what `kubectl apply` rejects and what
// the controller does can never disagree.
//
// Plan decides, for one topic, the action that moves its observed status on
// the destination toward its desired state; PlanLink groups those decisions
// for a whole ClusterLink into the REST calls to make (one list per batch
// action). ValidateCreate, ValidateUpdate and ValidateDelete reject the
// changes the same table marks invalid. docs/state-machine.md is generated
// from this package (Markdown) and a test fails when it is stale.
package mirror

//go:generate go run ../../hack/gen-state-machine -o ../../docs/state-machine.md
