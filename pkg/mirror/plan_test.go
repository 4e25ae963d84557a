package mirror

import (
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// expected is the state-machine table of docs/design.md §3 (docs/state-machine.md), written out by hand: every
// (observed x desired) cell. "X" marks a cell the webhook rejects.
var expected = map[string][4]string{
	// observed:               ACTIVE, PAUSE, PROMOTE, FAILOVER
	"ABSENT":                    {"CREATE", "CREATE+PAUSE", "X", "X"},
	"ABSENT/seen-stopped":       {"X", "X", "NONE", "NONE"},
	"ACTIVE":                    {"NONE", "PAUSE", "PROMOTE", "FAILOVER"},
	"PAUSED":                    {"RESUME", "NONE", "PROMOTE", "FAILOVER"},
	"PENDING_MIRROR":            {"WAIT", "WAIT", "WAIT", "FAILOVER"},
	"PENDING_SYNCHRONIZE":       {"WAIT", "WAIT", "WAIT", "FAILOVER"},
	"PENDING_SETUP_FOR_RESTORE": {"WAIT", "WAIT", "WAIT", "FAILOVER"},
	"PENDING_RESTORE":           {"WAIT", "WAIT", "WAIT", "FAILOVER"},
	"SOURCE_UNAVAILABLE":        {"WAIT", "PAUSE", "BLOCKED", "FAILOVER"},
	"LINK_FAILED":               {"WAIT", "PAUSE", "BLOCKED", "FAILOVER"},
	"FAILED":                    {"WAIT", "PAUSE", "BLOCKED", "FAILOVER"},
	"LINK_PAUSED":               {"WAIT", "WAIT", "BLOCKED", "FAILOVER"},
	"PENDING_STOPPED":           {"X", "X", "WAIT", "WAIT"},
	"STOPPED":                   {"X", "X", "NONE", "NONE"},
	"UNKNOWN":                   {"WAIT", "WAIT", "WAIT", "WAIT"},
}

func got(d Decision) string {
	switch {
	case d.Invalid:
		if d.Action != ActionBlocked {
			return "invalid but acting: " + string(d.Action)
		}
		return "X"
	case d.Then != "":
		return string(d.Action) + "+" + string(d.Then)
	}
	return string(d.Action)
}

func TestPlanEveryCell(t *testing.T) {
	seen := map[string]bool{}
	for _, st := range Statuses {
		for _, stoppedSeen := range []bool{false, true} {
			key := string(st)
			if st == StatusAbsent && stoppedSeen {
				key = "ABSENT/seen-stopped"
			}
			want, ok := expected[key]
			if !ok {
				t.Fatalf("status %s has no expected row", key)
			}
			seen[key] = true
			for i, d := range DesiredStates {
				dec := Plan(Topic{Desired: d, Status: st, StoppedSeen: stoppedSeen})
				if g := got(dec); g != want[i] {
					t.Errorf("Plan(desired %s, observed %s, stoppedSeen %v) = %s, want %s", d, st, stoppedSeen, g, want[i])
				}
				if (dec.Action == ActionBlocked || dec.Invalid) && dec.Reason == "" {
					t.Errorf("Plan(%s, %s): %s without a reason", d, st, dec.Action)
				}
				if dec.Action == ActionDelete {
					t.Errorf("Plan never deletes, got DELETE for %s/%s", d, st)
				}
			}
		}
	}
	if len(seen) != len(expected) {
		t.Errorf("table rows %d, exercised %d", len(expected), len(seen))
	}
}

func TestPlanDefaultsAndLag(t *testing.T) {
	tests := []struct {
		name string
		in   Topic
		want string
		why  string
	}{
		{"empty desired is ACTIVE", Topic{Status: StatusPaused}, "RESUME", ""},
		{"empty status is ABSENT", Topic{Desired: DesiredActive}, "CREATE", ""},
		{"promote waits for lag", Topic{Desired: DesiredPromote, Status: StatusActive, MaxLag: 7}, "WAIT", "max lag 7"},
		{"promote of a paused topic is left to the server", Topic{Desired: DesiredPromote, Status: StatusPaused, MaxLag: 7}, "PROMOTE", ""},
		{"failover ignores lag", Topic{Desired: DesiredFailover, Status: StatusActive, MaxLag: 7}, "FAILOVER", ""},
		{"degraded promote suggests failover", Topic{Desired: DesiredPromote, Status: StatusSourceUnavailable}, "BLOCKED", "use FAILOVER"},
		{"contradiction names what is allowed", Topic{Desired: DesiredPause, Status: StatusStopped}, "X", "allowed: PROMOTE, FAILOVER"},
		{"never created names what is allowed", Topic{Desired: DesiredPromote}, "X", "allowed: ACTIVE, PAUSE"},
		{"absent after stop", Topic{Desired: DesiredActive, StoppedSeen: true}, "X", "cannot mirror again"},
		{"a paused topic in an outage is not paused again", Topic{Desired: DesiredPause, Status: StatusSourceUnavailable, LastAction: ActionPause}, "WAIT", "paused; the destination reports SOURCE_UNAVAILABLE"},
		{"a resumed topic in an outage is paused", Topic{Desired: DesiredPause, Status: StatusLinkFailed, LastAction: ActionResume}, "PAUSE", ""},
		{"unknown status waits", Topic{Desired: DesiredFailover, Status: Status("REVERSING")}, "WAIT", "unknown mirror status REVERSING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Plan(tt.in)
			if g := got(d); g != tt.want {
				t.Fatalf("got %s, want %s (%+v)", g, tt.want, d)
			}
			if !strings.Contains(d.Reason, tt.why) {
				t.Errorf("reason %q does not contain %q", d.Reason, tt.why)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	for _, st := range Statuses {
		if st == StatusUnknown {
			continue
		}
		if got := ParseStatus(string(st)); got != st {
			t.Errorf("ParseStatus(%s) = %s", st, got)
		}
	}
	for in, want := range map[string]Status{"": StatusAbsent, "SOMETHING_NEW": StatusUnknown, "active": StatusUnknown, "UNKNOWN": StatusUnknown} {
		if got := ParseStatus(in); got != want {
			t.Errorf("ParseStatus(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestInDesiredState(t *testing.T) {
	in := map[Desired][]Status{
		DesiredActive:   {StatusActive},
		"":              {StatusActive},
		DesiredPause:    {StatusPaused},
		DesiredPromote:  {StatusStopped, StatusAbsent},
		DesiredFailover: {StatusStopped, StatusAbsent},
		"BOGUS":         nil,
	}
	for d, ok := range in {
		for _, st := range Statuses {
			want := false
			for _, s := range ok {
				want = want || s == st
			}
			if got := InDesiredState(d, st); got != want {
				t.Errorf("InDesiredState(%q, %s) = %v, want %v", d, st, got, want)
			}
		}
	}
}

func TestAfterAndIssues(t *testing.T) {
	tests := []struct {
		d    Decision
		want Status
	}{
		{Decision{Action: ActionCreate}, StatusActive},
		{Decision{Action: ActionCreate, Then: ActionPause}, StatusPaused},
		{Decision{Action: ActionResume}, StatusActive},
		{Decision{Action: ActionPause}, StatusPaused},
		{Decision{Action: ActionPromote}, StatusPendingStopped},
		{Decision{Action: ActionFailover}, StatusPendingStopped},
		{Decision{Action: ActionRestore}, StatusPendingSetupForRestore},
		{Decision{Action: ActionDelete}, StatusAbsent},
		{Decision{Action: ActionWait}, StatusLinkPaused},
		{Decision{Action: ActionNone}, StatusLinkPaused},
		{Decision{Action: ActionBlocked}, StatusLinkPaused},
	}
	for _, tt := range tests {
		if got := After(StatusLinkPaused, tt.d); got != tt.want {
			t.Errorf("After(%+v) = %s, want %s", tt.d, got, tt.want)
		}
	}
	issues := map[Action]bool{ActionCreate: true, ActionPause: true, ActionResume: true, ActionPromote: true, ActionFailover: true, ActionRestore: true, ActionReverseStart: true, ActionReversePause: true, ActionDelete: true}
	oneWay := map[Action]bool{ActionPromote: true, ActionFailover: true, ActionRestore: true, ActionReverseStart: true, ActionReversePause: true}
	for _, a := range Actions {
		if a.Issues() != issues[a] {
			t.Errorf("%s.Issues() = %v", a, a.Issues())
		}
		if a.OneWay() != oneWay[a] {
			t.Errorf("%s.OneWay() = %v", a, a.OneWay())
		}
	}
}

func TestHistoryFromStatus(t *testing.T) {
	tests := []struct {
		name string
		s    *kafkalinkv1alpha1.MirrorTopicStatus
		want bool
	}{
		{"never observed", nil, false},
		{"active", &kafkalinkv1alpha1.MirrorTopicStatus{Status: "ACTIVE", Created: true}, false},
		{"stopped", &kafkalinkv1alpha1.MirrorTopicStatus{Status: "STOPPED", Created: true}, true},
		{"pending stopped", &kafkalinkv1alpha1.MirrorTopicStatus{Status: "PENDING_STOPPED"}, true},
		{"absent after our promote", &kafkalinkv1alpha1.MirrorTopicStatus{Status: "ABSENT", Created: true, LastAction: "PROMOTE", LastActionTime: &metav1.Time{}}, true},
		{"absent after our failover", &kafkalinkv1alpha1.MirrorTopicStatus{Status: "ABSENT", Created: true, LastAction: "FAILOVER"}, true},
		{"absent after a create that never showed up", &kafkalinkv1alpha1.MirrorTopicStatus{Status: "ABSENT", LastAction: "PROMOTE"}, false},
		{"absent after pause", &kafkalinkv1alpha1.MirrorTopicStatus{Status: "ABSENT", Created: true, LastAction: "PAUSE"}, false},
	}
	for _, tt := range tests {
		if got := HistoryFromStatus(tt.s); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestPlanRestore walks every (desired, observed) pair with
// restore.acceptTruncation: only a STOPPED topic wanted ACTIVE or PAUSE is
// restored; a topic on its way to STOPPED, or no longer under the link, is
// refused with the precondition named; everything else plans as without it.
func TestPlanRestore(t *testing.T) {
	for _, d := range DesiredStates {
		for _, st := range Statuses {
			for _, seen := range []bool{false, true} {
				with := Plan(Topic{Desired: d, Status: st, StoppedSeen: seen, Restore: true, OneWayAsked: true})
				without := Plan(Topic{Desired: d, Status: st, StoppedSeen: seen})
				switch {
				case st == StatusStopped && !oneWay(d):
					if with.Action != ActionRestore || with.Invalid {
						t.Errorf("%s/%s: %+v, want TRUNCATE_AND_RESTORE", d, st, with)
					}
					if !without.Invalid || !strings.Contains(without.Reason, "restore.acceptTruncation: true") {
						t.Errorf("%s/%s without restore: %+v, want invalid naming restore.acceptTruncation", d, st, without)
					}
					// Idempotent: planning again on the status it leads to waits.
					if again := Plan(Topic{Desired: d, Status: After(st, with), Restore: true, LastAction: ActionRestore}); again.Action != ActionWait {
						t.Errorf("%s after restore: %+v, want WAIT", d, again)
					}
				case st == StatusPendingStopped && !oneWay(d):
					if !with.Invalid || !strings.Contains(with.Reason, "truncate-and-restore needs the topic STOPPED, and it is PENDING_STOPPED") {
						t.Errorf("%s/%s: %+v", d, st, with)
					}
				case st == StatusAbsent && seen && !oneWay(d):
					if !with.Invalid || !strings.Contains(with.Reason, "truncate-and-restore needs the stopped topic listed under the link") {
						t.Errorf("%s/%s: %+v", d, st, with)
					}
				default:
					if with.Action != without.Action || with.Invalid != without.Invalid {
						t.Errorf("%s/%s (seen %v): restore changed %+v to %+v", d, st, seen, without, with)
					}
				}
			}
		}
	}
}

// TestPlanReverse walks every (desired, observed) pair of a mirror whose
// direction changed with reverse: true.
func TestPlanReverse(t *testing.T) {
	for _, d := range DesiredStates {
		for _, st := range Statuses {
			for _, lag := range []int64{0, 5} {
				got := PlanReverse(d, st, lag)
				var want Action
				switch {
				case oneWay(d):
					want = ActionBlocked
				case st.Stopped():
					want = ActionNone
				case (st == StatusActive || st == StatusPaused) && lag > 0:
					want = ActionWait
				case st == StatusActive || st == StatusPaused:
					want = map[Desired]Action{DesiredActive: ActionReverseStart, DesiredPause: ActionReversePause}[d]
				case st.degraded() || st == StatusLinkPaused || st == StatusAbsent:
					want = ActionBlocked
				default:
					want = ActionWait
				}
				if got.Action != want {
					t.Errorf("%s/%s lag %d: %+v, want %s", d, st, lag, got, want)
				}
				if (got.Action == ActionBlocked || got.Action == ActionWait) && got.Reason == "" {
					t.Errorf("%s/%s: %s without a reason", d, st, got.Action)
				}
				if got.Action.Issues() {
					// Idempotent: once reversed, the topic here is stopped.
					if again := PlanReverse(d, After(st, got), 0); again.Action != ActionNone {
						t.Errorf("%s/%s after reverse: %+v", d, st, again)
					}
				}
			}
		}
	}
}

// TestPlanLinkReverse: the reverse is planned on the cluster the mirror
// lives on; the other cluster's plan waits, never creating the topic there.
func TestPlanLinkReverse(t *testing.T) {
	spec := &kafkalinkv1alpha1.ClusterLinkSpec{MirrorTopics: []kafkalinkv1alpha1.MirrorTopic{
		{Name: "orders", State: DesiredActive, Direction: kafkalinkv1alpha1.DirectionToSource, Reverse: true},
		{Name: "audit", State: DesiredPause, Direction: kafkalinkv1alpha1.DirectionToSource, Reverse: true},
	}}
	prev := []kafkalinkv1alpha1.MirrorTopicStatus{managed("orders", "ACTIVE"), managed("audit", "ACTIVE")} // both toDestination
	here := PlanLink(spec, prev, []ObservedMirror{listed("orders", "ACTIVE"), listed("audit", "ACTIVE")})
	if !reflect.DeepEqual(here.ReverseStart, []string{"orders"}) || !reflect.DeepEqual(here.ReversePause, []string{"audit"}) || len(here.Delete)+len(here.Create) != 0 {
		t.Errorf("plan where the mirrors live: %+v", here)
	}
	there := PlanToSource(spec, prev, nil)
	if len(there.Create) != 0 || !there.Reversing["orders"] || there.Decisions["orders"].Action != ActionWait {
		t.Errorf("plan on the other cluster before the reverse: %+v", there)
	}
	// Reversed: the mirror is on the other cluster now, the topic here is
	// stopped; the other plan takes over, this one does nothing.
	there = PlanToSource(spec, prev, []ObservedMirror{listed("orders", "ACTIVE"), listed("audit", "PAUSED")})
	if !there.Empty() || there.Reversing["orders"] {
		t.Errorf("plan on the other cluster after the reverse: %+v", there)
	}
	reversed := []kafkalinkv1alpha1.MirrorTopicStatus{managed("orders", "ACTIVE"), managed("audit", "ACTIVE")}
	reversed[0].LastAction, reversed[1].LastAction = string(ActionReverseStart), string(ActionReversePause)
	here = PlanLink(spec, reversed, []ObservedMirror{listed("orders", "STOPPED"), listed("audit", "STOPPED")})
	if !here.Empty() || len(here.Unmanaged) != 0 || len(here.ReverseBlocked) != 0 {
		t.Errorf("plan where the mirrors were, after the reverse: %+v", here)
	}
	// Stopped by someone else before the reverse: nothing to reverse, and
	// the topic says why instead of waiting forever.
	here = PlanLink(spec, prev, []ObservedMirror{listed("orders", "STOPPED"), listed("audit", "SOURCE_UNAVAILABLE")})
	if !strings.Contains(here.ReverseBlocked["orders"], "stopped outside kafkalink") || !strings.Contains(here.ReverseBlocked["audit"], "needs the other side reachable") {
		t.Errorf("blocked reverses: %v", here.ReverseBlocked)
	}
}

// TestRestoreOnlyAfterOwnStop: a leftover restore.acceptTruncation does not
// truncate a topic stopped outside this ClusterLink (a CLI failover, the
// other side's deletion); it is refused with the way out.
func TestRestoreOnlyAfterOwnStop(t *testing.T) {
	d := Plan(Topic{Desired: DesiredActive, Status: StatusStopped, StoppedSeen: true, Restore: true, LastAction: ActionCreate})
	if d.Action == ActionRestore || !d.Invalid || !strings.Contains(d.Reason, "was stopped outside it") {
		t.Errorf("restore of a topic stopped elsewhere: %+v", d)
	}
	for _, s := range []kafkalinkv1alpha1.MirrorTopicStatus{{DesiredState: DesiredFailover}, {DesiredState: DesiredActive, LastAction: string(ActionPromote)}} {
		if !OneWayAsked(&s) {
			t.Errorf("OneWayAsked(%+v) = false", s)
		}
	}
	if OneWayAsked(&kafkalinkv1alpha1.MirrorTopicStatus{DesiredState: DesiredActive, LastAction: string(ActionRestore)}) || OneWayAsked(nil) {
		t.Error("OneWayAsked after a restore, or without status")
	}
}
