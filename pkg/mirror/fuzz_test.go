package mirror

import (
	"fmt"
	"testing"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// world is a random ClusterLink situation decoded from fuzz bytes: an old
// and a new spec, the old object's status, and what the link lists now.
type world struct {
	old, next *kafkalinkv1alpha1.ClusterLink
	observed  []ObservedMirror
}

// decodeWorld reads 5 bytes per topic (up to 8 topics): old desired (or
// absent), new desired (or absent), observed status, flags, lag.
func decodeWorld(data []byte) world {
	old, next := link(), link()
	var observed []ObservedMirror
	states := append([]Desired{""}, DesiredStates...)
	statuses := append(append([]Status{}, Statuses...), Status("FUTURE_STATUS"))
	for i := 0; i+5 <= len(data) && i < 40; i += 5 {
		name := fmt.Sprintf("t%d", i/5)
		od, nd := states[int(data[i])%len(states)], states[int(data[i+1])%len(states)]
		st := statuses[int(data[i+2])%len(statuses)]
		flags, lag := data[i+3], int64(data[i+4]%4)
		if od != "" {
			old.Spec.MirrorTopics = append(old.Spec.MirrorTopics, topic(name, od))
		}
		if nd != "" {
			tp := topic(name, nd)
			if flags&8 != 0 { // acknowledges truncate-and-restore
				tp.Restore = &kafkalinkv1alpha1.MirrorTopicRestore{AcceptTruncation: true}
			}
			if flags&16 != 0 { // moved to the other cluster, reversed or not
				tp.Direction, tp.Reverse = kafkalinkv1alpha1.DirectionToSource, flags&32 != 0
			}
			next.Spec.MirrorTopics = append(next.Spec.MirrorTopics, tp)
		}
		if flags&1 != 0 || od != "" { // in the old status (managed)
			// The controller records the desired state it planned against.
			s := kafkalinkv1alpha1.MirrorTopicStatus{Name: name, SourceTopicName: name, Status: string(st), Created: st != StatusAbsent, DesiredState: od}
			if flags&2 != 0 {
				s.Created, s.LastAction = true, string(ActionPromote)
			}
			old.Status.MirrorTopics = append(old.Status.MirrorTopics, s)
		}
		if st != StatusAbsent {
			src := name
			if flags&4 != 0 {
				src = "elsewhere"
			}
			observed = append(observed, ObservedMirror{Name: name, SourceTopicName: src, Status: string(st), MaxLag: lag})
		}
	}
	if len(data)%3 == 0 { // a bidirectional pair, where reverse applies
		for _, c := range []*kafkalinkv1alpha1.ClusterLink{old, next} {
			c.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeBidirectional}
			c.Spec.SourceKafkaCluster.KafkaRestClassRef = &kafkalinkv1alpha1.KafkaRestClassRef{Name: "other"}
		}
	}
	next.Status = *old.Status.DeepCopy()
	return world{old: old, next: next, observed: observed}
}

func seeds(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 3, 2, 1, 0})                 // ACTIVE -> PROMOTE on ACTIVE
	f.Add([]byte{3, 1, 12, 1, 0, 0, 2, 0, 0, 0}) // PROMOTE -> ACTIVE on STOPPED; new PAUSE topic
	f.Add([]byte{1, 0, 2, 1, 0, 2, 0, 12, 1, 0}) // removals of ACTIVE and STOPPED topics
	f.Add([]byte{0, 0, 2, 0, 0, 1, 1, 2, 4, 3})  // unmanaged mirror; foreign source
	f.Add([]byte{4, 1, 12, 9, 0})                // FAILOVER -> ACTIVE on STOPPED with restore.acceptTruncation
	f.Add([]byte{1, 1, 1, 49, 0, 0})             // ACTIVE mirror reversed to toSource on a bidirectional link
}

// FuzzPlanLink checks the planner's safety invariants on random situations.
func FuzzPlanLink(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		w := decodeWorld(data)
		spec, prev := &w.next.Spec, w.old.Status.MirrorTopics
		plan := PlanLink(spec, prev, w.observed)
		listedStatus := map[string]Status{}
		for _, m := range w.observed {
			listedStatus[m.Name] = ParseStatus(m.Status)
		}
		inSpec, isManaged := map[string]bool{}, map[string]bool{}
		for _, t := range spec.MirrorTopics {
			inSpec[t.Name] = true
		}
		for _, s := range prev {
			isManaged[s.Name] = true
		}
		for _, n := range plan.Delete {
			st, ok := listedStatus[n]
			switch {
			case !ok:
				t.Fatalf("delete of %s, which is not under the link", n)
			case st.Stopped():
				t.Fatalf("delete of %s, which is %s", n, st)
			case st == StatusUnknown:
				t.Fatalf("delete of %s with an unknown status", n)
			case inSpec[n]:
				t.Fatalf("delete of %s, which is in spec", n)
			case !isManaged[n]:
				t.Fatalf("delete of %s, which kafkalink never managed", n)
			}
		}
		acted := map[string]bool{}
		for _, c := range plan.Create {
			acted[c.Name] = true
		}
		for _, l := range [][]string{plan.Pause, plan.Resume, plan.Promote, plan.Failover, plan.Delete} {
			for _, n := range l {
				acted[n] = true
			}
		}
		for _, n := range plan.Unmanaged {
			if acted[n] {
				t.Fatalf("unmanaged mirror %s is acted on", n)
			}
		}
		for name, d := range plan.Decisions {
			if d.Invalid && (acted[name] || d.Action != ActionBlocked) {
				t.Fatalf("%s: invalid cell but the plan acts: %+v", name, d)
			}
		}

		// The webhook would have admitted this change: then no topic whose
		// desired state changed may land in an invalid cell.
		if errs, _ := ValidateUpdate(w.old, w.next); len(errs) == 0 {
			oldDesired := map[string]Desired{}
			for _, t := range w.old.Spec.MirrorTopics {
				oldDesired[t.Name] = t.DesiredState()
			}
			for _, tp := range spec.MirrorTopics {
				od, had := oldDesired[tp.Name]
				d := plan.Decisions[tp.Name]
				// The validator judges against the recorded status; the
				// planner sees the live list. Compare only where they agree.
				recorded := StatusAbsent
				for _, s := range prev {
					if s.Name == tp.Name {
						recorded = ParseStatus(s.Status)
					}
				}
				live, ok := listedStatus[tp.Name]
				if !ok {
					live = StatusAbsent
				}
				if (!had || od != tp.DesiredState()) && recorded == live && d.Invalid {
					t.Fatalf("%s: the webhook admitted %s (was %q) on %s but the planner calls it invalid: %s", tp.Name, tp.DesiredState(), od, live, d.Reason)
				}
			}
		}

		// Idempotency: once the planned actions succeed, planning again
		// issues nothing new for spec topics.
		var after []ObservedMirror
		nextPrev := []kafkalinkv1alpha1.MirrorTopicStatus{}
		deleted := map[string]bool{}
		for _, n := range plan.Delete {
			deleted[n] = true
		}
		for _, m := range w.observed {
			if !deleted[m.Name] {
				after = append(after, m)
			}
		}
		index := map[string]int{}
		for i, m := range after {
			index[m.Name] = i
		}
		for _, tp := range spec.MirrorTopics {
			d := plan.Decisions[tp.Name]
			st := listedStatus[tp.Name]
			if st == "" {
				st = StatusAbsent
			}
			post := After(st, d)
			s := kafkalinkv1alpha1.MirrorTopicStatus{Name: tp.Name, SourceTopicName: tp.SourceName(), Status: string(post), Created: post != StatusAbsent}
			for _, p := range prev {
				if p.Name == tp.Name {
					s.Created = s.Created || p.Created
					s.LastAction = p.LastAction
					if p.Status == string(StatusStopped) || p.Status == string(StatusPendingStopped) {
						s.Status = p.Status // history the controller keeps
					}
				}
			}
			if d.Action.Issues() {
				s.LastAction = string(d.Action)
			}
			if post != StatusAbsent {
				s.Status = string(post)
			}
			nextPrev = append(nextPrev, s)
			if i, ok := index[tp.Name]; ok {
				after[i].Status = string(post)
				if post == StatusAbsent {
					after[i].Status = ""
				}
			} else if post != StatusAbsent {
				after = append(after, ObservedMirror{Name: tp.Name, SourceTopicName: tp.SourceName(), Status: string(post)})
				index[tp.Name] = len(after) - 1
			}
		}
		again := PlanLink(spec, nextPrev, after)
		for name, d := range again.Decisions {
			first := plan.Decisions[name]
			switch {
			case d.Action == ActionNone, d.Action == ActionWait:
			case d.Action == ActionBlocked && first.Action == ActionBlocked:
			default:
				t.Fatalf("%s: not idempotent: first %+v, then %+v", name, first, d)
			}
		}
		if len(again.Delete) != 0 {
			t.Fatalf("second plan deletes again: %v", again.Delete)
		}
	})
}

// FuzzValidateUpdate checks the validator never panics, never denies a
// metadata-only change, and always names the field of each error.
func FuzzValidateUpdate(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		w := decodeWorld(data)
		errs, _ := ValidateUpdate(w.old, w.next)
		for _, e := range errs {
			if e.Field == "" || e.Detail == "" && e.Type != "FieldValueDuplicate" {
				t.Fatalf("error without a field or detail: %v", e)
			}
		}
		same := w.old.DeepCopy()
		same.Labels = map[string]string{"changed": "yes"}
		if errs, warnings := ValidateUpdate(w.old, same); len(errs)+len(warnings) != 0 {
			t.Fatalf("metadata-only update judged: %v %v", errs, warnings)
		}
		protected := w.old.DeepCopy()
		protected.Spec.DeletionProtection = len(data)%2 == 1
		if errs, warnings := ValidateDelete(protected); (len(errs) > 0) != protected.Spec.DeletionProtection || len(errs)+len(warnings) != 1 {
			t.Fatalf("delete (protected=%v): errors %v, warnings %v", protected.Spec.DeletionProtection, errs, warnings)
		}
		if errs, _ := ValidateCreate(w.next); len(errs) == 0 {
			for _, tp := range w.next.Spec.MirrorTopics {
				if oneWay(tp.DesiredState()) {
					t.Fatalf("create admitted %s in %s", tp.Name, tp.DesiredState())
				}
			}
		}
	})
}
