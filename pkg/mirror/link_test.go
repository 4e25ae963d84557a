package mirror

import (
	"reflect"
	"testing"

	"k8s.io/utils/ptr"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

func topic(name string, d Desired) kafkalinkv1alpha1.MirrorTopic {
	return kafkalinkv1alpha1.MirrorTopic{Name: name, State: d}
}

func managed(name, status string) kafkalinkv1alpha1.MirrorTopicStatus {
	return kafkalinkv1alpha1.MirrorTopicStatus{Name: name, SourceTopicName: name, Status: status, Created: status != "ABSENT"}
}

func listed(name, status string) ObservedMirror {
	return ObservedMirror{Name: name, SourceTopicName: name, Status: status}
}

func TestPlanLink(t *testing.T) {
	tests := []struct {
		name     string
		spec     []kafkalinkv1alpha1.MirrorTopic
		prev     []kafkalinkv1alpha1.MirrorTopicStatus
		observed []ObservedMirror
		want     LinkPlan // Decisions not compared
		blocked  []string
	}{
		{
			name: "new link creates every topic, paused ones are paused right after",
			spec: []kafkalinkv1alpha1.MirrorTopic{topic("b", DesiredPause), topic("a", ""), {Name: "p.c", SourceTopicName: "c", ReplicationFactor: ptr.To[int32](3), Configs: map[string]string{"retention.ms": "1"}}},
			want: LinkPlan{
				Create: []CreateMirror{{Name: "a", SourceTopicName: "a"}, {Name: "b", SourceTopicName: "b"}, {Name: "p.c", SourceTopicName: "c", ReplicationFactor: ptr.To[int32](3), Configs: map[string]string{"retention.ms": "1"}}},
				Pause:  []string{"b"},
			},
		},
		{
			name:     "one list per batch action",
			spec:     []kafkalinkv1alpha1.MirrorTopic{topic("a", DesiredPause), topic("b", DesiredPause), topic("c", DesiredActive), topic("d", DesiredPromote), topic("e", DesiredFailover), topic("f", DesiredFailover), topic("g", DesiredActive)},
			prev:     []kafkalinkv1alpha1.MirrorTopicStatus{managed("a", "ACTIVE"), managed("b", "ACTIVE"), managed("c", "PAUSED"), managed("d", "ACTIVE"), managed("e", "PAUSED"), managed("f", "SOURCE_UNAVAILABLE"), managed("g", "PENDING_MIRROR")},
			observed: []ObservedMirror{listed("a", "ACTIVE"), listed("b", "ACTIVE"), listed("c", "PAUSED"), listed("d", "ACTIVE"), listed("e", "PAUSED"), listed("f", "SOURCE_UNAVAILABLE"), listed("g", "PENDING_MIRROR")},
			want:     LinkPlan{Pause: []string{"a", "b"}, Resume: []string{"c"}, Promote: []string{"d"}, Failover: []string{"e", "f"}, Wait: []string{"g"}},
		},
		{
			name:     "removed managed topics: mirroring ones deleted, stopped ones released, gone ones forgotten, unknown ones waited on",
			spec:     nil,
			prev:     []kafkalinkv1alpha1.MirrorTopicStatus{managed("del", "ACTIVE"), managed("paused", "PAUSED"), managed("stopped", "STOPPED"), managed("pending", "PENDING_STOPPED"), managed("gone", "ACTIVE"), managed("odd", "ACTIVE")},
			observed: []ObservedMirror{listed("del", "ACTIVE"), listed("paused", "PAUSED"), listed("stopped", "STOPPED"), listed("pending", "PENDING_STOPPED"), listed("odd", "REVERSING")},
			want:     LinkPlan{Delete: []string{"del", "paused"}, Release: []string{"pending", "stopped"}, Wait: []string{"odd"}},
		},
		{
			name:     "mirrors never in spec are unmanaged and untouched",
			spec:     []kafkalinkv1alpha1.MirrorTopic{topic("a", DesiredActive)},
			prev:     []kafkalinkv1alpha1.MirrorTopicStatus{managed("a", "ACTIVE")},
			observed: []ObservedMirror{listed("a", "ACTIVE"), listed("auto.1", "ACTIVE"), listed("auto.2", "PAUSED"), listed("was-promoted", "STOPPED")},
			want:     LinkPlan{Unmanaged: []string{"auto.1", "auto.2"}},
		},
		{
			name:     "a same-named mirror of another source topic is never acted on",
			spec:     []kafkalinkv1alpha1.MirrorTopic{topic("a", DesiredPause)},
			observed: []ObservedMirror{{Name: "a", SourceTopicName: "other", Status: "ACTIVE"}},
			want:     LinkPlan{},
			blocked:  []string{"a"},
		},
		{
			name:     "a removed topic now mirroring another source is released, not deleted",
			prev:     []kafkalinkv1alpha1.MirrorTopicStatus{managed("a", "ACTIVE")},
			observed: []ObservedMirror{{Name: "a", SourceTopicName: "other", Status: "ACTIVE"}},
			want:     LinkPlan{Release: []string{"a"}},
		},
		{
			name:     "promoted topic that left the link is done, not re-created",
			spec:     []kafkalinkv1alpha1.MirrorTopic{topic("a", DesiredPromote), topic("b", DesiredActive)},
			prev:     []kafkalinkv1alpha1.MirrorTopicStatus{managed("a", "STOPPED"), {Name: "b", Status: "STOPPED", Created: true}},
			observed: nil,
			want:     LinkPlan{},
			blocked:  []string{"b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := &kafkalinkv1alpha1.ClusterLinkSpec{MirrorTopics: tt.spec}
			got := PlanLink(spec, tt.prev, tt.observed)
			var blocked []string
			for _, tp := range tt.spec {
				d, ok := got.Decisions[tp.Name]
				if !ok {
					t.Errorf("no decision for %s", tp.Name)
				}
				if d.Action == ActionBlocked {
					blocked = append(blocked, tp.Name)
				}
			}
			if !reflect.DeepEqual(blocked, tt.blocked) {
				t.Errorf("blocked %v, want %v", blocked, tt.blocked)
			}
			got.Decisions = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan\n got %+v\nwant %+v", got, tt.want)
			}
			if got.Empty() != reflect.DeepEqual(tt.want, LinkPlan{Wait: tt.want.Wait, Release: tt.want.Release, Unmanaged: tt.want.Unmanaged}) {
				t.Errorf("Empty() = %v", got.Empty())
			}
		})
	}
}

func TestFailoverOnDelete(t *testing.T) {
	fo, waiting := FailoverOnDelete([]ObservedMirror{
		listed("z", "ACTIVE"), listed("a", "PAUSED"), listed("s", "STOPPED"), listed("p", "PENDING_STOPPED"),
		listed("u", "SOURCE_UNAVAILABLE"), listed("n", "SOMETHING_NEW"), listed("q", "PENDING_STOPPED"),
	})
	if want := []string{"a", "n", "u", "z"}; !reflect.DeepEqual(fo, want) {
		t.Errorf("failover %v, want %v", fo, want)
	}
	if waiting != 2 {
		t.Errorf("waiting %d, want 2", waiting)
	}
	if fo, waiting := FailoverOnDelete(nil); fo != nil || waiting != 0 {
		t.Errorf("empty link: %v %d", fo, waiting)
	}
}

func TestOnRemoval(t *testing.T) {
	for _, st := range Statuses {
		want := RemovalDelete
		switch st {
		case StatusAbsent:
			want = RemovalNone
		case StatusStopped, StatusPendingStopped:
			want = RemovalRelease
		case StatusUnknown:
			want = RemovalWait
		}
		if got := OnRemoval(st); got != want {
			t.Errorf("OnRemoval(%s) = %s, want %s", st, got, want)
		}
	}
}

// A topic whose one-way PROMOTE or FAILOVER was accepted is never deleted
// by removing it from the spec before it has stopped: every (status ×
// desired × last action) combination.
func TestOnRemovalOf(t *testing.T) {
	for _, st := range Statuses {
		for _, d := range DesiredStates {
			for _, last := range []Action{"", ActionCreate, ActionPause, ActionResume, ActionPromote, ActionFailover} {
				want := OnRemoval(st)
				if (want == RemovalDelete || want == RemovalWait) && (d == DesiredPromote || d == DesiredFailover || last == ActionPromote || last == ActionFailover) {
					want = RemovalRefused
				}
				if got := OnRemovalOf(st, d, last); got != want {
					t.Errorf("OnRemovalOf(%s, %s, %q) = %s, want %s", st, d, last, got, want)
				}
				if got := OnRemovalOf(st, d, last); got == RemovalDelete && (d == DesiredPromote || d == DesiredFailover) {
					t.Errorf("one-way %s topic in %s would be deleted", d, st)
				}
			}
		}
	}
}

func TestPlanLinkNeverDeletesARemovedOneWayTopic(t *testing.T) {
	for _, st := range []string{"ACTIVE", "PAUSED", "SOURCE_UNAVAILABLE", "LINK_FAILED"} {
		for _, tc := range []struct {
			desired kafkalinkv1alpha1.MirrorTopicState
			last    string
		}{
			{kafkalinkv1alpha1.MirrorTopicStatePromote, ""},
			{kafkalinkv1alpha1.MirrorTopicStateFailover, ""},
			{kafkalinkv1alpha1.MirrorTopicStateActive, string(ActionPromote)},
			{kafkalinkv1alpha1.MirrorTopicStateActive, string(ActionFailover)},
		} {
			prev := []kafkalinkv1alpha1.MirrorTopicStatus{{Name: "x", SourceTopicName: "x", Status: st, DesiredState: tc.desired, LastAction: tc.last, Created: true}}
			plan := PlanLink(&kafkalinkv1alpha1.ClusterLinkSpec{}, prev, []ObservedMirror{{Name: "x", SourceTopicName: "x", Status: st, MaxLag: 5}})
			if len(plan.Delete) != 0 || len(plan.Release) != 1 {
				t.Errorf("status %s, desired %s, last action %q: delete %v release %v, want release only", st, tc.desired, tc.last, plan.Delete, plan.Release)
			}
		}
	}
	// An ordinary ACTIVE topic is still deleted on removal.
	prev := []kafkalinkv1alpha1.MirrorTopicStatus{{Name: "x", SourceTopicName: "x", Status: "ACTIVE", DesiredState: kafkalinkv1alpha1.MirrorTopicStateActive, Created: true}}
	if plan := PlanLink(&kafkalinkv1alpha1.ClusterLinkSpec{}, prev, []ObservedMirror{{Name: "x", SourceTopicName: "x", Status: "ACTIVE"}}); len(plan.Delete) != 1 {
		t.Errorf("removed ACTIVE topic: delete %v", plan.Delete)
	}
}

// A compact status entry omits sourceTopicName when it equals the name: the
// ownership rule reads it as the name, so a removed topic whose mirror now
// copies another source topic is released, never deleted, and the same
// mirror is still deleted.
func TestPlanLinkCompactStatusSource(t *testing.T) {
	compact := kafkalinkv1alpha1.MirrorTopicStatus{Name: "orders", Status: "ACTIVE", Created: true}
	other := ObservedMirror{Name: "orders", SourceTopicName: "orders-v2", Status: "ACTIVE"}
	plan := PlanLink(&kafkalinkv1alpha1.ClusterLinkSpec{}, []kafkalinkv1alpha1.MirrorTopicStatus{compact}, []ObservedMirror{other})
	if len(plan.Delete) != 0 || !reflect.DeepEqual(plan.Release, []string{"orders"}) {
		t.Errorf("mirror of another source: delete %v, release %v; want released", plan.Delete, plan.Release)
	}
	plan = PlanLink(&kafkalinkv1alpha1.ClusterLinkSpec{}, []kafkalinkv1alpha1.MirrorTopicStatus{compact}, []ObservedMirror{listed("orders", "ACTIVE")})
	if !reflect.DeepEqual(plan.Delete, []string{"orders"}) || len(plan.Release) != 0 {
		t.Errorf("same mirror: delete %v, release %v; want deleted", plan.Delete, plan.Release)
	}
}

// TestPlanDirections: a bidirectional ClusterLink plans its toDestination
// topics against its own cluster and its toSource topics against the source
// cluster; each plan sees only its own topics, status entries and removals,
// and on the source cluster the other side's mirrors are not "unmanaged".
func TestPlanDirections(t *testing.T) {
	toSource := func(name string, d Desired) kafkalinkv1alpha1.MirrorTopic {
		m := topic(name, d)
		m.Direction = kafkalinkv1alpha1.DirectionToSource
		return m
	}
	managedToSource := func(name, status string) kafkalinkv1alpha1.MirrorTopicStatus {
		s := managed(name, status)
		s.Direction = kafkalinkv1alpha1.DirectionToSource
		return s
	}
	spec := &kafkalinkv1alpha1.ClusterLinkSpec{MirrorTopics: []kafkalinkv1alpha1.MirrorTopic{
		topic("pull", DesiredActive), toSource("push", DesiredPause), toSource("push-new", DesiredActive),
	}}
	prev := []kafkalinkv1alpha1.MirrorTopicStatus{managed("pull", "ACTIVE"), managedToSource("push", "ACTIVE"), managedToSource("push-removed", "ACTIVE"), managed("pull-removed", "ACTIVE")}
	local := []ObservedMirror{listed("pull", "ACTIVE"), listed("pull-removed", "ACTIVE"), listed("partner-push", "ACTIVE")}
	remote := []ObservedMirror{listed("push", "ACTIVE"), listed("push-removed", "ACTIVE"), listed("partner-pull", "ACTIVE")}

	dst := PlanLink(spec, prev, local)
	if want := (LinkPlan{Delete: []string{"pull-removed"}, Unmanaged: []string{"partner-push"}}); !samePlan(dst, want) {
		t.Errorf("toDestination plan %+v, want %+v", dst, want)
	}
	if _, ok := dst.Decisions["push"]; ok {
		t.Error("the toDestination plan decided a toSource topic")
	}
	src := PlanToSource(spec, prev, remote)
	if want := (LinkPlan{Create: []CreateMirror{{Name: "push-new", SourceTopicName: "push-new"}}, Pause: []string{"push"}, Delete: []string{"push-removed"}}); !samePlan(src, want) {
		t.Errorf("toSource plan %+v, want %+v", src, want)
	}
}

// TestDeleteRemovedMirrorTopicsFalse: with deleteRemovedMirrorTopics false a
// removed topic is released in every status, never deleted.
func TestDeleteRemovedMirrorTopicsFalse(t *testing.T) {
	spec := &kafkalinkv1alpha1.ClusterLinkSpec{MirrorTopicOptions: &kafkalinkv1alpha1.MirrorTopicOptions{DeleteRemovedMirrorTopics: ptr.To(false)}}
	prev := []kafkalinkv1alpha1.MirrorTopicStatus{managed("active", "ACTIVE"), managed("paused", "PAUSED"), managed("pending", "PENDING_STOPPED"), managed("odd", "ACTIVE")}
	observed := []ObservedMirror{listed("active", "ACTIVE"), listed("paused", "PAUSED"), listed("pending", "PENDING_STOPPED"), listed("odd", "REVERSING")}
	got := PlanLink(spec, prev, observed)
	if want := (LinkPlan{Release: []string{"active", "odd", "paused", "pending"}}); !samePlan(got, want) {
		t.Errorf("plan %+v, want %+v", got, want)
	}
	spec.MirrorTopicOptions.DeleteRemovedMirrorTopics = ptr.To(true)
	if got := PlanLink(spec, prev, observed); !reflect.DeepEqual(got.Delete, []string{"active", "paused"}) {
		t.Errorf("with true: deletes %v, want [active paused]", got.Delete)
	}
}

func samePlan(a, b LinkPlan) bool {
	a.Decisions, b.Decisions = nil, nil
	norm := func(p *LinkPlan) {
		for _, l := range []*[]string{&p.Pause, &p.Resume, &p.Promote, &p.Failover, &p.Delete, &p.Release, &p.Wait, &p.Unmanaged} {
			if len(*l) == 0 {
				*l = nil
			}
		}
		if len(p.Create) == 0 {
			p.Create = nil
		}
	}
	norm(&a)
	norm(&b)
	return reflect.DeepEqual(a, b)
}
