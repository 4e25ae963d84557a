package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/pkg/devenv"
	"github.com/kafkalink/kafkalink/pkg/kafkarest/emulator"
)

// TestDRDrill runs artifacts/examples/dr as a user would: each step one
// kubectl apply of a changed manifest. Fail over while the source is down,
// write on the new primary, bring the source back, restore as a mirror
// (truncate-and-restore). Every one-way call is preceded by its
// validate_only call (from the emulator's request log), the status tells
// the story, and no topic is ever deleted.
func TestDRDrill(t *testing.T) {
	root, err := devenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	step := func(file string) string {
		t.Helper()
		out := kubectl(t, "apply", "-f", filepath.Join(root, "artifacts", "examples", "dr", file))
		return out
	}
	dst := env.Emulator.Cluster(devenv.DestinationClusterID)
	mark := len(env.Emulator.Requests())
	deletes := env.Emulator.Count("DELETE", "/clusters/{cluster_id}/topics/{topic_name}")

	step("01-dr-link.yaml")
	waitTopicStatus(t, "dr-link", "dr.payments", "ACTIVE")

	// The disaster: on-prem is unreachable; fail over.
	env.Emulator.SetSourceOutage(devenv.SourceClusterID, true)
	step("02-failover.yaml")
	waitTopicStatus(t, "dr-link", "dr.payments", "STOPPED")
	if got := jsonpath(t, "dr-link", `{.status.mirrorTopics[0].lastOneWayAction} {.status.mirrorTopics[0].validation}`); got != "FAILOVER accepted" {
		t.Errorf("after failover: %q", got)
	}
	// Applications write on the new primary.
	if err := dst.Produce("dr.payments", 0, 7); err != nil {
		t.Fatal(err)
	}
	// On-prem is back; the drill ends with a restore.
	env.Emulator.SetSourceOutage(devenv.SourceClusterID, false)
	out := step("03-restore.yaml")
	if !strings.Contains(out, "truncate-and-restore will DELETE the records written since they stopped") || !strings.Contains(out, "dr.payments") {
		t.Errorf("kubectl apply of the restore does not warn about the truncation:\n%s", out)
	}
	waitTopicStatus(t, "dr-link", "dr.payments", "ACTIVE")
	if got := jsonpath(t, "dr-link", `{.status.mirrorTopics[0].lastOneWayAction} {.status.mirrorTopics[0].messagesTruncated} {.status.mirrorTopics[0].validation}`); got != "TRUNCATE_AND_RESTORE 7 accepted" {
		t.Errorf("after restore: %q", got)
	}
	if ev := kubectl(t, "-n", "operator", "get", "events", "--field-selector", "involvedObject.name=dr-link,reason=MirrorsRestored", "-o", "jsonpath={.items[*].message}"); !strings.Contains(ev, "(7 messages truncated): dr.payments") {
		t.Errorf("MirrorsRestored event: %q", ev)
	}

	// Every one-way call came right after its validate_only call.
	reqs := env.Emulator.Requests()[mark:]
	oneWay := 0
	for i, q := range reqs {
		if q.Method != "POST" || q.ValidateOnly || !(strings.HasSuffix(q.Endpoint, ":failover") || strings.HasSuffix(q.Endpoint, ":promote") || strings.HasSuffix(q.Endpoint, ":truncate-and-restore")) {
			continue
		}
		oneWay++
		if !validatedBefore(reqs, i) {
			t.Errorf("%s %s (request %d) was not preceded by its validate_only call", q.Method, q.Path, i)
		}
	}
	if oneWay != 2 {
		t.Errorf("%d one-way calls, want 2 (failover, truncate-and-restore)", oneWay)
	}
	if n := env.Emulator.Count("DELETE", "/clusters/{cluster_id}/topics/{topic_name}") - deletes; n != 0 {
		t.Errorf("the drill deleted %d topics", n)
	}
	// Without the acknowledgement the restore would have been refused.
	out, err = kubectlErr(t, "-n", "operator", "patch", "clusterlink", "dr-link", "--type=json", "-p", `[{"op":"replace","path":"/spec/mirrorTopics/0/state","value":"FAILOVER"}]`)
	if err != nil {
		t.Fatalf("fail over again: %v\n%s", err, out)
	}
	waitTopicStatus(t, "dr-link", "dr.payments", "STOPPED")
	out, err = kubectlErr(t, "-n", "operator", "patch", "clusterlink", "dr-link", "--type=json", "-p", `[{"op":"remove","path":"/spec/mirrorTopics/0/restore"},{"op":"replace","path":"/spec/mirrorTopics/0/state","value":"ACTIVE"}]`)
	if err == nil || !strings.Contains(out, "FAILOVER cannot be undone") || !strings.Contains(out, "restore.acceptTruncation: true") {
		t.Errorf("ACTIVE after FAILOVER without restore was not refused as expected: %v\n%s", err, out)
	}
	kubectl(t, "-n", "operator", "delete", "clusterlink", "dr-link", "--wait=true", "--timeout=60s")
}

// TestReverseOnBidirectionalPair: bidi-onprem pulls cloud-metrics from the
// cloud. Steps 4 and 5 of artifacts/examples/dr, each one kubectl apply,
// flip its direction with reverse: true: this reverses the mirror: on-prem's cloud-metrics becomes writable and the
// cloud's becomes its mirror; flipping it back reverses back. Each reverse
// follows its validate_only call, and nothing is created or deleted.
func TestReverseOnBidirectionalPair(t *testing.T) {
	kubectl(t, "-n", "operator", "wait", "clusterlink", "bidi-onprem", "bidi-cloud", "--for=condition=Ready", "--timeout=90s")
	cloud, onprem := env.Emulator.Cluster(devenv.DestinationClusterID), env.Emulator.Cluster(devenv.SourceClusterID)
	mark := len(env.Emulator.Requests())
	root, err := devenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	flip := func(direction string, onpremWant, cloudWant string) {
		t.Helper()
		file := map[string]string{"toSource": "04-reverse.yaml", "toDestination": "05-reverse-back.yaml"}[direction]
		out := kubectl(t, "apply", "-f", filepath.Join(root, "artifacts", "examples", "dr", file))
		if !strings.Contains(out, "reverse (one-way)") {
			t.Errorf("no warning that the reverse is one-way:\n%s", out)
		}
		eventually(t, 60*time.Second, "cloud-metrics to be reversed to "+direction, func() string {
			got := jsonpath(t, "bidi-onprem", `{.status.mirrorTopics[?(@.name=="cloud-metrics")].direction}/{.status.mirrorTopics[?(@.name=="cloud-metrics")].status}`)
			want := "/ACTIVE"
			if direction == "toSource" {
				want = "toSource/ACTIVE"
			}
			if got != want {
				return got
			}
			return ""
		})
		// The reversed side stops after the emulator's stop delay.
		eventually(t, 30*time.Second, "both sides of cloud-metrics", func() string {
			o, _, _ := onprem.Mirror("bidi-link", "cloud-metrics")
			c, _, _ := cloud.Mirror("bidi-link", "cloud-metrics")
			if o != onpremWant || c != cloudWant {
				return fmt.Sprintf("on-prem %s, cloud %s; want %s and %s", o, c, onpremWant, cloudWant)
			}
			return ""
		})
	}
	flip("toSource", "STOPPED", "ACTIVE")
	if got := jsonpath(t, "bidi-onprem", `{.status.mirrorTopics[?(@.name=="cloud-metrics")].lastOneWayAction}`); got != "REVERSE_AND_START" {
		t.Errorf("lastOneWayAction %q", got)
	}
	flip("toDestination", "ACTIVE", "STOPPED")

	reqs := env.Emulator.Requests()[mark:]
	reverses := 0
	for i, q := range reqs {
		if q.Method == "DELETE" || (q.Method == "POST" && strings.HasSuffix(q.Endpoint, "/mirrors")) {
			t.Errorf("the reverses made %s %s", q.Method, q.Endpoint)
		}
		if q.Method == "POST" && !q.ValidateOnly && strings.HasSuffix(q.Endpoint, ":reverse-and-start-mirror") {
			reverses++
			if !validatedBefore(reqs, i) {
				t.Errorf("reverse (request %d) not preceded by its validate_only call", i)
			}
		}
	}
	if reverses != 2 {
		t.Errorf("%d reverse calls, want 2", reverses)
	}
}

// validatedBefore reports whether the one-way call reqs[i] was preceded by
// the same call (cluster, path: the link) with validate_only=true, with no
// other real call to that path in between. Other links' requests may
// interleave: the log is shared by every ClusterLink of the suite.
func validatedBefore(reqs []emulator.Request, i int) bool {
	for j := i - 1; j >= 0; j-- {
		if reqs[j].Cluster == reqs[i].Cluster && reqs[j].Path == reqs[i].Path {
			return reqs[j].ValidateOnly
		}
	}
	return false
}
