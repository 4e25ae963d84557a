package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/kafkarest"
	"github.com/kafkalink/kafkalink/pkg/kafkarest/emulator"
)

// restWrites lists the non-GET REST calls since mark as "METHOD endpoint".
func (r *emuREST) restWrites(mark int) []string {
	var out []string
	for _, q := range r.emu.Requests()[mark:] {
		if q.Method != "GET" && !q.ValidateOnly { // validate_only changes nothing
			out = append(out, q.Method+" "+q.Endpoint)
		}
	}
	return out
}

// pauseLink sets cluster.link.paused=true on the destination link through
// the REST API, outside kafkalink: its ACTIVE mirrors become LINK_PAUSED.
func (r *emuREST) pauseLink(t *testing.T, link string) {
	t.Helper()
	c, err := kafkarest.New(kafkarest.Config{Endpoint: r.dst.URL, Username: "key", Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AlterLinkConfigs(context.Background(), "lkc-cloud", link, map[string]string{"cluster.link.paused": "true"}, nil); err != nil {
		t.Fatal(err)
	}
}

// setDesired sets the desired state of one topic of a ClusterLink.
func (f *fixture) setDesired(name, topic string, state kafkalinkv1alpha1.MirrorTopicState) {
	f.t.Helper()
	cl := f.get(name)
	for i := range cl.Spec.MirrorTopics {
		if cl.Spec.MirrorTopics[i].Name == topic {
			cl.Spec.MirrorTopics[i].State = state
		}
	}
	f.update(cl)
}

// TestPlanTableThroughEmulator drives every row of the desired x observed
// table (docs/state-machine.md) that the emulator can produce through the
// real REST client, and asserts the REST calls issued (which batch
// endpoint, how often) and what status says about the topic.
func TestPlanTableThroughEmulator(t *testing.T) {
	const (
		active   = kafkalinkv1alpha1.MirrorTopicStateActive
		pause    = kafkalinkv1alpha1.MirrorTopicStatePause
		promote  = kafkalinkv1alpha1.MirrorTopicStatePromote
		failover = kafkalinkv1alpha1.MirrorTopicStateFailover
	)
	call := func(action string) []string { return []string{"POST " + endpoint("/mirrors:"+action)} }

	// reach puts topic "t" of link "demo" (converged ACTIVE, or PAUSED when
	// the observed state is PAUSED) into the observed state.
	reach := map[string]func(t *testing.T, r *emuREST, f *fixture){
		"ACTIVE": func(*testing.T, *emuREST, *fixture) {},
		"PAUSED": func(*testing.T, *emuREST, *fixture) {},
		"SOURCE_UNAVAILABLE": func(_ *testing.T, r *emuREST, _ *fixture) {
			r.emu.SetSourceOutage("onprem", true)
		},
		"LINK_PAUSED": func(t *testing.T, r *emuREST, _ *fixture) { r.pauseLink(t, "demo") },
		"PENDING_STOPPED": func(t *testing.T, r *emuREST, f *fixture) {
			f.setDesired("demo", "t", promote)
			if _, err := f.sync("demo"); err != nil {
				t.Fatal(err)
			}
		},
		"STOPPED": func(t *testing.T, r *emuREST, f *fixture) {
			f.setDesired("demo", "t", promote)
			if _, err := f.sync("demo"); err != nil {
				t.Fatal(err)
			}
			r.clock.Add(10 * time.Second)
		},
	}

	cases := []struct {
		observed string
		desired  kafkalinkv1alpha1.MirrorTopicState
		// wantCalls are the REST writes of the one reconcile under test.
		wantCalls      []string
		wantLastAction string // "" = unchanged from before the reconcile
		wantMessage    string // substring of status.mirrorTopics[t].message; "" = empty
		wantEmu        string // emulated mirror status afterwards
		wantReady      metav1.ConditionStatus
		wantReason     string // Ready's reason
		wantSynced     string // MirrorsSynced's reason
	}{
		{"ACTIVE", active, nil, "", "", "ACTIVE", metav1.ConditionTrue, kafkalinkv1alpha1.ReasonReady, kafkalinkv1alpha1.ReasonMirrorsSynced},
		{"ACTIVE", pause, call("pause"), "PAUSE", "", "PAUSED", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonMirrorsTransitioning, kafkalinkv1alpha1.ReasonMirrorsTransitioning},
		{"ACTIVE", promote, call("promote"), "PROMOTE", "", "PENDING_STOPPED", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonMirrorsTransitioning, kafkalinkv1alpha1.ReasonMirrorsTransitioning},
		{"ACTIVE", failover, call("failover"), "FAILOVER", "", "PENDING_STOPPED", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonMirrorsTransitioning, kafkalinkv1alpha1.ReasonMirrorsTransitioning},
		{"PAUSED", active, call("resume"), "RESUME", "", "ACTIVE", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonMirrorsTransitioning, kafkalinkv1alpha1.ReasonMirrorsTransitioning},
		{"PAUSED", pause, nil, "", "", "PAUSED", metav1.ConditionTrue, kafkalinkv1alpha1.ReasonReady, kafkalinkv1alpha1.ReasonMirrorsSynced},
		{"PAUSED", promote, call("promote"), "PROMOTE", "", "PENDING_STOPPED", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonMirrorsTransitioning, kafkalinkv1alpha1.ReasonMirrorsTransitioning},
		{"PAUSED", failover, call("failover"), "FAILOVER", "", "PENDING_STOPPED", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonMirrorsTransitioning, kafkalinkv1alpha1.ReasonMirrorsTransitioning},
		// The source is down: the link is UNAVAILABLE with a link error, so
		// Ready carries the link's reason (LinkError); MirrorsSynced says what
		// happens to the topic.
		{"SOURCE_UNAVAILABLE", active, nil, "", "", "SOURCE_UNAVAILABLE", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonLinkError, kafkalinkv1alpha1.ReasonMirrorsDegraded},
		{"SOURCE_UNAVAILABLE", pause, call("pause"), "PAUSE", "", "SOURCE_UNAVAILABLE", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonLinkError, kafkalinkv1alpha1.ReasonMirrorsDegraded},
		{"SOURCE_UNAVAILABLE", promote, nil, "", "use FAILOVER if the source is gone", "SOURCE_UNAVAILABLE", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonLinkError, kafkalinkv1alpha1.ReasonMirrorsBlocked},
		{"SOURCE_UNAVAILABLE", failover, call("failover"), "FAILOVER", "", "PENDING_STOPPED", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonLinkError, kafkalinkv1alpha1.ReasonMirrorsDegraded},
		{"LINK_PAUSED", active, nil, "", "", "LINK_PAUSED", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonLinkNotActive, kafkalinkv1alpha1.ReasonMirrorsTransitioning},
		{"LINK_PAUSED", pause, nil, "", "", "LINK_PAUSED", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonLinkNotActive, kafkalinkv1alpha1.ReasonMirrorsTransitioning},
		{"LINK_PAUSED", promote, nil, "", "cannot promote while the link is paused", "LINK_PAUSED", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonLinkNotActive, kafkalinkv1alpha1.ReasonMirrorsBlocked},
		{"LINK_PAUSED", failover, call("failover"), "FAILOVER", "", "PENDING_STOPPED", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonLinkNotActive, kafkalinkv1alpha1.ReasonMirrorsTransitioning},
		{"PENDING_STOPPED", promote, nil, "", "", "PENDING_STOPPED", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonMirrorsTransitioning, kafkalinkv1alpha1.ReasonMirrorsTransitioning},
		{"PENDING_STOPPED", failover, nil, "", "", "PENDING_STOPPED", metav1.ConditionFalse, kafkalinkv1alpha1.ReasonMirrorsTransitioning, kafkalinkv1alpha1.ReasonMirrorsTransitioning},
		{"STOPPED", promote, nil, "", "", "STOPPED", metav1.ConditionTrue, kafkalinkv1alpha1.ReasonReady, kafkalinkv1alpha1.ReasonMirrorsSynced},
		{"STOPPED", failover, nil, "", "", "STOPPED", metav1.ConditionTrue, kafkalinkv1alpha1.ReasonReady, kafkalinkv1alpha1.ReasonMirrorsSynced},
	}
	for _, tc := range cases {
		t.Run(tc.observed+"/"+string(tc.desired), func(t *testing.T) {
			r := newREST(t, "t", "other")
			initial := active
			if tc.observed == "PAUSED" {
				initial = pause
			}
			// "other" stays ACTIVE and desired ACTIVE: it shows the batch
			// calls name only the topic whose cell asks for an action.
			f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("t", initial), mt("other", "")))...)
			converge(t, f, "demo", 4)
			reach[tc.observed](t, r, f)
			dst := r.emu.Cluster("lkc-cloud")
			if st, _, _ := dst.Mirror("demo", "t"); st != tc.observed {
				t.Fatalf("emulator shows %s, want %s before the reconcile under test", st, tc.observed)
			}
			before := topicStatus(f.get("demo"), "t").LastAction

			f.setDesired("demo", "t", tc.desired)
			mark := len(r.emu.Requests())
			if _, err := f.sync("demo"); err != nil {
				t.Fatal(err)
			}
			reads, _, list := r.calls(mark)
			if got := r.restWrites(mark); !slices.Equal(got, tc.wantCalls) {
				t.Errorf("REST writes %v, want %v (all calls: %v)", got, tc.wantCalls, list)
			}
			if err := validatedFirst(r.emu.Requests()[mark:]); err != nil {
				t.Error(err)
			}
			if v := validationsSince(r, mark); reads-v != 2 {
				t.Errorf("REST reads %d (%d validate_only), want 2 (the cluster's link list + mirror list): %v", reads, v, list)
			}
			if st, _, _ := dst.Mirror("demo", "t"); st != tc.wantEmu {
				t.Errorf("emulated mirror is %s after the reconcile, want %s", st, tc.wantEmu)
			}
			if st, _, _ := dst.Mirror("demo", "other"); tc.observed != "SOURCE_UNAVAILABLE" && tc.observed != "LINK_PAUSED" && st != "ACTIVE" {
				t.Errorf("the other topic was touched: %s", st)
			}

			cl := f.get("demo")
			s := topicStatus(cl, "t")
			if s == nil {
				t.Fatalf("no status for t: %+v", cl.Status.MirrorTopics)
			}
			if s.Status != tc.observed || s.DesiredState != tc.desired {
				t.Errorf("status.mirrorTopics[t] status %q desired %q, want %q %q", s.Status, s.DesiredState, tc.observed, tc.desired)
			}
			wantLast := tc.wantLastAction
			if wantLast == "" {
				wantLast = before
			}
			if s.LastAction != wantLast {
				t.Errorf("lastAction %q, want %q", s.LastAction, wantLast)
			}
			if tc.wantLastAction != "" && (s.LastActionTime == nil || !s.LastActionTime.Time.Equal(f.now)) {
				t.Errorf("lastActionTime %v, want %v", s.LastActionTime, f.now)
			}
			if tc.wantMessage == "" && s.Message != "" || !strings.Contains(s.Message, tc.wantMessage) {
				t.Errorf("message %q, want %q", s.Message, tc.wantMessage)
			}
			ready := condition(cl, kafkalinkv1alpha1.ConditionReady)
			if ready == nil || ready.Status != tc.wantReady || ready.Reason != tc.wantReason {
				t.Errorf("Ready %+v, want %s/%s", ready, tc.wantReady, tc.wantReason)
			}
			if c := condition(cl, kafkalinkv1alpha1.ConditionMirrorsSynced); c == nil || c.Reason != tc.wantSynced {
				t.Errorf("MirrorsSynced %+v, want reason %s", c, tc.wantSynced)
			}
			if tc.wantSynced == kafkalinkv1alpha1.ReasonMirrorsBlocked {
				if c := condition(cl, kafkalinkv1alpha1.ConditionMirrorsSynced); !strings.HasPrefix(c.Message, "t: ") || !strings.Contains(c.Message, tc.wantMessage) {
					t.Errorf("MirrorsSynced message %q does not name the blocked topic", c.Message)
				}
			}

			// A second reconcile in the same emulated state never repeats a
			// promote or failover (the mirror is PENDING_STOPPED now), and a
			// NONE/WAIT/BLOCKED cell stays call-free.
			mark = len(r.emu.Requests())
			if _, err := f.sync("demo"); err != nil {
				t.Fatal(err)
			}
			again := r.restWrites(mark)
			switch {
			case len(tc.wantCalls) == 0 && len(again) != 0:
				t.Errorf("second reconcile of a call-free cell wrote %v", again)
			case tc.wantLastAction == "PROMOTE" || tc.wantLastAction == "FAILOVER":
				if len(again) != 0 {
					t.Errorf("second reconcile after %s wrote %v", tc.wantLastAction, again)
				}
			}
		})
	}
}

// TestPlanTableAbsentRows covers the ABSENT row: ACTIVE creates, PAUSE
// creates and pauses in the same reconcile (one create, one batch pause) —
// the reconcile that creates the link, since a new link has no mirrors.
func TestPlanTableAbsentRows(t *testing.T) {
	r := newREST(t, "a", "p")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", ""), mt("p", kafkalinkv1alpha1.MirrorTopicStatePause)))...)
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	want := []string{"POST /clusters/{cluster_id}/links", "POST " + endpoint("/mirrors"), "POST " + endpoint("/mirrors"), "POST " + endpoint("/mirrors:pause")}
	if got := r.restWrites(0); !slices.Equal(got, want) {
		t.Errorf("REST writes %v, want %v", got, want)
	}
	cl := f.get("demo")
	for topic, last := range map[string]string{"a": "CREATE", "p": "PAUSE"} {
		if s := topicStatus(cl, topic); s == nil || s.Status != "ABSENT" || s.LastAction != last {
			t.Errorf("%s: %+v, want ABSENT with lastAction %s", topic, s, last)
		}
	}
	converge(t, f, "demo", 2)
	if st, _, _ := r.emu.Cluster("lkc-cloud").Mirror("demo", "p"); st != "PAUSED" {
		t.Errorf("p is %s", st)
	}
}

func validationsSince(r *emuREST, mark int) int {
	n := 0
	for _, q := range r.emu.Requests()[mark:] {
		if q.ValidateOnly {
			n++
		}
	}
	return n
}

// validatedFirst checks that every one-way mirror action in reqs came right
// after the same call with validate_only=true, and that validate_only was
// asked for nothing else.
func validatedFirst(reqs []emulator.Request) error {
	oneWay := func(endpoint string) bool {
		for _, a := range []string{":promote", ":failover", ":truncate-and-restore", ":reverse-and-start-mirror", ":reverse-and-pause-mirror"} {
			if strings.HasSuffix(endpoint, a) {
				return true
			}
		}
		return false
	}
	for i, q := range reqs {
		switch {
		case q.ValidateOnly && !oneWay(q.Endpoint):
			return fmt.Errorf("validate_only asked for %s, which is not one-way", q.Endpoint)
		case q.Method == "POST" && oneWay(q.Endpoint) && !q.ValidateOnly:
			if i == 0 || !reqs[i-1].ValidateOnly || reqs[i-1].Endpoint != q.Endpoint || reqs[i-1].Cluster != q.Cluster {
				return fmt.Errorf("%s %s was not preceded by its validate_only call", q.Method, q.Endpoint)
			}
		}
	}
	return nil
}
