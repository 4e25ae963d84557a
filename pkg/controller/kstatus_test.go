package controller

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/kafkarest/emulator"
)

// kstatusOf computes what GitOps tools built on kstatus (Flux, kpt,
// cli-utils' appliers) conclude from a ClusterLink.
func kstatusOf(t *testing.T, cl *kafkalinkv1alpha1.ClusterLink) *status.Result {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(cl)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(kafkalinkv1alpha1.SchemeGroupVersion.String())
	u.SetKind("ClusterLink")
	res, err := status.Compute(u)
	if err != nil {
		t.Fatalf("kstatus: %v", err)
	}
	return res
}

// checkProgress asserts the kstatus result and the Reconciling / Stalled
// pair, and that Ready and the pair carry the generation status describes.
// (LinkAvailable and MirrorsSynced keep the generation they were last
// computed for when a sync cannot reach the destination.)
func checkProgress(t *testing.T, cl *kafkalinkv1alpha1.ClusterLink, want status.Status, reconciling, stalled metav1.ConditionStatus) {
	t.Helper()
	if got := kstatusOf(t, cl); got.Status != want {
		t.Errorf("kstatus %s (%s), want %s; conditions %+v", got.Status, got.Message, want, cl.Status.Conditions)
	}
	for typ, st := range map[string]metav1.ConditionStatus{ConditionReconciling: reconciling, ConditionStalled: stalled} {
		c := meta.FindStatusCondition(cl.Status.Conditions, typ)
		if c == nil || c.Status != st {
			t.Errorf("%s %+v, want %s", typ, c, st)
		}
	}
	if meta.IsStatusConditionTrue(cl.Status.Conditions, ConditionReconciling) && meta.IsStatusConditionTrue(cl.Status.Conditions, ConditionStalled) {
		t.Error("Reconciling and Stalled both True")
	}
	for _, typ := range []string{kafkalinkv1alpha1.ConditionReady, ConditionReconciling, ConditionStalled} {
		if c := meta.FindStatusCondition(cl.Status.Conditions, typ); c.ObservedGeneration != cl.Status.ObservedGeneration {
			t.Errorf("condition %s observedGeneration %d, status observedGeneration %d", c.Type, c.ObservedGeneration, cl.Status.ObservedGeneration)
		}
	}
}

// The controller's conditions, read by kstatus, give Current for a
// converged link, InProgress while it converges (or before it has seen the
// latest spec), Failed when it is blocked, and Terminating while deleted.
func TestKstatusThroughTheController(t *testing.T) {
	const (
		promote = kafkalinkv1alpha1.MirrorTopicStatePromote
		pause   = kafkalinkv1alpha1.MirrorTopicStatePause
	)
	f := metav1.ConditionFalse
	tr := metav1.ConditionTrue
	cases := map[string]struct {
		// act moves the converged link "demo" (topics a, b ACTIVE) to the
		// state under test; it reconciles as the scenario needs.
		act                  func(t *testing.T, r *emuREST, fx *fixture)
		want                 status.Status
		reconciling, stalled metav1.ConditionStatus
	}{
		"converged": {
			act:  func(*testing.T, *emuREST, *fixture) {},
			want: status.CurrentStatus, reconciling: f, stalled: f,
		},
		"pausing a topic": {
			act: func(t *testing.T, _ *emuREST, fx *fixture) {
				fx.setDesired("demo", "a", pause)
				mustSync(t, fx)
			},
			want: status.InProgressStatus, reconciling: tr, stalled: f,
		},
		"promoting (PENDING_STOPPED)": {
			act: func(t *testing.T, _ *emuREST, fx *fixture) {
				fx.setDesired("demo", "a", promote)
				mustSync(t, fx)
				mustSync(t, fx)
			},
			want: status.InProgressStatus, reconciling: tr, stalled: f,
		},
		"promoted (STOPPED)": {
			act: func(t *testing.T, r *emuREST, fx *fixture) {
				fx.setDesired("demo", "a", promote)
				mustSync(t, fx)
				r.clock.Add(10 * time.Second)
				mustSync(t, fx)
			},
			want: status.CurrentStatus, reconciling: f, stalled: f,
		},
		"spec change not yet observed": {
			act: func(_ *testing.T, _ *emuREST, fx *fixture) {
				fx.setDesired("demo", "a", pause)
			},
			// The conditions still say converged, for the old generation.
			want: status.InProgressStatus, reconciling: f, stalled: f,
		},
		"promote blocked by a source outage": {
			act: func(t *testing.T, r *emuREST, fx *fixture) {
				r.emu.SetSourceOutage("onprem", true)
				fx.setDesired("demo", "a", promote)
				mustSync(t, fx)
			},
			want: status.FailedStatus, reconciling: f, stalled: tr,
		},
		"destination unreachable": {
			act: func(t *testing.T, r *emuREST, fx *fixture) {
				r.emu.SetFaults("lkc-cloud", emulator.Faults{ErrorRate: 1})
				fx.setDesired("demo", "a", pause)
				_, _ = fx.sync("demo")
			},
			want: status.FailedStatus, reconciling: f, stalled: tr,
		},
		"reconciliation paused": {
			act: func(t *testing.T, _ *emuREST, fx *fixture) {
				cl := fx.get("demo")
				cl.Annotations = map[string]string{kafkalinkv1alpha1.AnnotationPauseReconciliation: "true"}
				fx.update(cl)
				mustSync(t, fx)
			},
			// Ready False, neither converging nor failed: waiting for a human.
			want: status.InProgressStatus, reconciling: f, stalled: f,
		},
		"deleting (failing over)": {
			act: func(t *testing.T, _ *emuREST, fx *fixture) {
				cl := fx.get("demo")
				cl.DeletionTimestamp = &metav1.Time{Time: time.Now()}
				fx.update(cl)
				mustSync(t, fx)
			},
			want: status.TerminatingStatus, reconciling: tr, stalled: f,
		},
		"deletion blocked": {
			act: func(t *testing.T, r *emuREST, fx *fixture) {
				r.emu.SetFaults("lkc-cloud", emulator.Faults{ErrorRate: 1})
				cl := fx.get("demo")
				cl.DeletionTimestamp = &metav1.Time{Time: time.Now()}
				fx.update(cl)
				_, _ = fx.sync("demo")
			},
			want: status.TerminatingStatus, reconciling: f, stalled: tr,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := newREST(t, "a", "b")
			fx := newFixture(t, quickFactory(time.Second, nil), r.objects(clusterLink("demo", mt("a", ""), mt("b", "")))...)
			converge(t, fx, "demo", 4)
			tc.act(t, r, fx)
			checkProgress(t, fx.get("demo"), tc.want, tc.reconciling, tc.stalled)
		})
	}
}

func mustSync(t *testing.T, fx *fixture) {
	t.Helper()
	if _, err := fx.sync("demo"); err != nil {
		t.Fatal(err)
	}
}

// Reasons the emulator cannot produce through a real reconcile, from the
// observation applyConditions works on.
func TestKstatusFromObservations(t *testing.T) {
	active := observation{linkExists: true, linkState: "ACTIVE", total: 1, ready: 1}
	with := func(mod func(o *observation)) *observation {
		o := active
		mod(&o)
		return &o
	}
	cases := map[string]struct {
		obs                  *observation
		wantReady            string // Ready's reason
		want                 status.Status
		reconciling, stalled metav1.ConditionStatus
		stalledReason        string
	}{
		"ready": {
			obs: &active, wantReady: kafkalinkv1alpha1.ReasonReady,
			want: status.CurrentStatus, reconciling: metav1.ConditionFalse, stalled: metav1.ConditionFalse,
		},
		"link being created": {
			obs: &observation{}, wantReady: kafkalinkv1alpha1.ReasonReconciling,
			want: status.InProgressStatus, reconciling: metav1.ConditionTrue, stalled: metav1.ConditionFalse,
		},
		"topics transitioning": {
			obs:       with(func(o *observation) { o.notInDesiredState, o.ready, o.pending = []string{"a"}, 0, 1 }),
			wantReady: kafkalinkv1alpha1.ReasonMirrorsTransitioning,
			want:      status.InProgressStatus, reconciling: metav1.ConditionTrue, stalled: metav1.ConditionFalse,
		},
		"transition stuck past the timeout": {
			obs: with(func(o *observation) {
				o.notInDesiredState, o.ready, o.pending = []string{"a"}, 0, 1
				o.stuck = map[string]string{"a": "PENDING_STOPPED for 5m"}
			}),
			wantReady: kafkalinkv1alpha1.ReasonMirrorsTransitioning,
			want:      status.FailedStatus, reconciling: metav1.ConditionFalse, stalled: metav1.ConditionTrue,
			stalledReason: kafkalinkv1alpha1.ReasonTransitionStuck,
		},
		"mirror degraded": {
			obs:       with(func(o *observation) { o.degraded = map[string]string{"a": "FAILED"} }),
			wantReady: kafkalinkv1alpha1.ReasonMirrorsDegraded,
			want:      status.FailedStatus, reconciling: metav1.ConditionFalse, stalled: metav1.ConditionTrue,
		},
		"action failed": {
			obs:       with(func(o *observation) { o.actionFailed = map[string]string{"a": "403"} }),
			wantReady: kafkalinkv1alpha1.ReasonMirrorActionFailed,
			want:      status.FailedStatus, reconciling: metav1.ConditionFalse, stalled: metav1.ConditionTrue,
		},
		"link task error": {
			obs:       with(func(o *observation) { o.taskErrors = []string{"AclSync: IN_ERROR"} }),
			wantReady: kafkalinkv1alpha1.ReasonLinkTaskError,
			want:      status.FailedStatus, reconciling: metav1.ConditionFalse, stalled: metav1.ConditionTrue,
		},
		"credentials": {
			obs:       &observation{blockedReason: kafkalinkv1alpha1.ReasonCredentialsError, blockedMessage: "401"},
			wantReady: kafkalinkv1alpha1.ReasonCredentialsError,
			want:      status.FailedStatus, reconciling: metav1.ConditionFalse, stalled: metav1.ConditionTrue,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cl := clusterLink("demo")
			cl.Status.ObservedGeneration = cl.Generation
			applyConditions(&cl.Status, cl.Generation, tc.obs)
			if r := meta.FindStatusCondition(cl.Status.Conditions, kafkalinkv1alpha1.ConditionReady); r == nil || r.Reason != tc.wantReady {
				t.Fatalf("Ready %+v, want reason %s", r, tc.wantReady)
			}
			checkProgress(t, cl, tc.want, tc.reconciling, tc.stalled)
			if s := meta.FindStatusCondition(cl.Status.Conditions, ConditionStalled); tc.stalledReason != "" && s.Reason != tc.stalledReason {
				t.Errorf("Stalled reason %s, want %s", s.Reason, tc.stalledReason)
			}
		})
	}

	// Recovery clears Stalled: a stale TransitionStuck must not outlive it.
	cl := clusterLink("demo")
	cl.Status.ObservedGeneration = cl.Generation
	applyConditions(&cl.Status, cl.Generation, cases["transition stuck past the timeout"].obs)
	applyConditions(&cl.Status, cl.Generation, &active)
	checkProgress(t, cl, status.CurrentStatus, metav1.ConditionFalse, metav1.ConditionFalse)
}
