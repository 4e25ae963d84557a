package controller

import (
	"strings"
	"testing"
	"time"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// TestFailoverThenRestore: the DR round trip on one topic. Each one-way
// call (failover, truncate-and-restore) follows its validate_only call;
// status keeps the DR history (last one-way action and when, what the
// restore truncated, the validation answer); a refusal by validate_only is
// reported and the action is not attempted.
func TestFailoverThenRestore(t *testing.T) {
	r := newREST(t, "a")
	f := newFixture(t, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", mt("a", "")))...)
	converge(t, f, "demo", 4)
	dst := r.emu.Cluster("lkc-cloud")
	mark := len(r.emu.Requests())

	f.setDesired("demo", "a", kafkalinkv1alpha1.MirrorTopicStateFailover)
	for i := 0; i < 4; i++ {
		if _, err := f.sync("demo"); err != nil {
			t.Fatal(err)
		}
		r.clock.Add(10 * time.Second)
	}
	s := topicStatus(f.get("demo"), "a")
	if s.Status != "STOPPED" || s.LastOneWayAction != "FAILOVER" || s.LastOneWayActionTime == nil || s.Validation != "accepted" {
		t.Fatalf("after failover: %+v", s)
	}
	// The new primary takes writes the source never sees.
	if err := dst.Produce("a", 0, 5); err != nil {
		t.Fatal(err)
	}

	// Restore while the source is down: validate_only refuses, nothing
	// is attempted, and the topic says why.
	r.emu.SetSourceOutage("onprem", true)
	cl := f.get("demo")
	cl.Spec.MirrorTopics[0].State = kafkalinkv1alpha1.MirrorTopicStateActive
	cl.Spec.MirrorTopics[0].Restore = &kafkalinkv1alpha1.MirrorTopicRestore{AcceptTruncation: true}
	f.update(cl)
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if n := r.emu.Count("POST", endpoint("/mirrors:truncate-and-restore")); n != 0 {
		t.Fatalf("truncate-and-restore attempted %d times although validate_only refused it", n)
	}
	s = topicStatus(f.get("demo"), "a")
	if !strings.HasPrefix(s.Validation, "refused: ") || !strings.Contains(s.Message, "refused by the destination (validate_only)") || s.LastOneWayAction != "FAILOVER" {
		t.Fatalf("refused restore: %+v", s)
	}

	// The source is back: validate_only says what it costs, then the
	// restore runs, and the topic mirrors again.
	r.emu.SetSourceOutage("onprem", false)
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	s = topicStatus(f.get("demo"), "a")
	if s.LastOneWayAction != "TRUNCATE_AND_RESTORE" || s.Validation != "accepted" || s.MessagesTruncated == nil || *s.MessagesTruncated != 5 {
		t.Fatalf("after restore: %+v", s)
	}
	for i := 0; i < 6 && topicStatus(f.get("demo"), "a").Status != "ACTIVE"; i++ {
		r.clock.Add(10 * time.Second)
		if _, err := f.sync("demo"); err != nil {
			t.Fatal(err)
		}
	}
	if st, _, _ := dst.Mirror("demo", "a"); st != "ACTIVE" {
		t.Fatalf("restored mirror is %s", st)
	}
	// A later reversible action keeps the DR history.
	f.setDesired("demo", "a", kafkalinkv1alpha1.MirrorTopicStatePause)
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	s = topicStatus(f.get("demo"), "a")
	if s.LastAction != "PAUSE" || s.LastOneWayAction != "TRUNCATE_AND_RESTORE" || *s.MessagesTruncated != 5 {
		t.Errorf("after a pause: %+v", s)
	}
	if err := validatedFirst(r.emu.Requests()[mark:]); err != nil {
		t.Error(err)
	}
	if !strings.Contains(strings.Join(f.events(), "\n"), "MirrorsRestored Truncating and restoring 1 mirror topic as mirrors (5 messages truncated): a") {
		t.Errorf("no MirrorsRestored event naming the truncation:\n%s", strings.Join(f.events(), "\n"))
	}
}
