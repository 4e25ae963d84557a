package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/pkg/devenv"
)

// The hybrid-cloud example converges: link on the destination, demo-topic
// ACTIVE, Ready=True, and the printer columns say so.
func TestExamplesConverge(t *testing.T) {
	kubectl(t, "-n", "operator", "wait", "clusterlink", "--all", "--for=condition=Ready", "--timeout=90s")
	if got := jsonpath(t, "clusterlink-demo", `{.status.mirrorTopics[?(@.name=="demo-topic")].status}`); got != "ACTIVE" {
		t.Errorf("demo-topic status %q, want ACTIVE", got)
	}
	dst := env.Emulator.Cluster(devenv.DestinationClusterID)
	if st, _, ok := dst.Mirror("clusterlink-demo", "demo-topic"); !ok || st != "ACTIVE" {
		t.Errorf("emulated destination: mirror demo-topic under clusterlink-demo is %q (exists %v)", st, ok)
	}
	out := kubectl(t, "-n", "operator", "get", "clink", "clusterlink-demo", "-o", "wide")
	header := regexp.MustCompile(`NAME\s+LINK\s+SOURCE\s+STATE\s+MIRRORS\s+READY\s+REASON`)
	row := regexp.MustCompile(`clusterlink-demo\s+clusterlink-demo\s+` + devenv.SourceClusterID + `\s+ACTIVE\s+1/1\s+True\s+Ready`)
	if !header.MatchString(out) || !row.MatchString(out) {
		t.Errorf("printer columns:\n%s", out)
	}
	// clusterlink-pause starts payments paused (created, then paused).
	waitTopicStatus(t, "clusterlink-pause", "payments", "PAUSED")
	waitTopicStatus(t, "clusterlink-pause", "orders", "ACTIVE")
	// The source-initiated pair: both halves Ready, the destination's
	// inbound link ACTIVE.
	if got := jsonpath(t, "si-link-destination", "{.status.linkState}"); got != "ACTIVE" {
		t.Errorf("si-link-destination linkState %q", got)
	}
	// A new link gets its configs once, at creation: a reconcile that ran
	// on a cache older than the controller's own status write would set
	// the credentials again (and restart the link's connections).
	if ev := kubectl(t, "-n", "operator", "get", "events", "--field-selector", "reason=LinkConfigsUpdated", "-o", "jsonpath={.items[*].message}"); ev != "" {
		t.Errorf("link configs altered right after creation: %s", ev)
	}
	// Conditions a user reads in kubectl describe.
	desc := kubectl(t, "-n", "operator", "describe", "clink", "clusterlink-demo")
	for _, want := range []string{"LinkAvailable", "MirrorsSynced", "LinkCreated", "MirrorCreated"} {
		if !strings.Contains(desc, want) {
			t.Errorf("kubectl describe lacks %q:\n%s", want, desc)
		}
	}
}

func TestPauseResumePromote(t *testing.T) {
	sourceTopics(t, "e2e-pr-a", "e2e-pr-b")
	if out, err := applyYAML(t, clusterLink("e2e-pr", "", "e2e-pr-a", "e2e-pr-b")); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-pr", "e2e-pr-a", "ACTIVE")
	waitTopicStatus(t, "e2e-pr", "e2e-pr-b", "ACTIVE")
	pauses := env.Emulator.Count("POST", "/clusters/{cluster_id}/links/{link_name}/mirrors:pause")

	if out, err := applyYAML(t, clusterLink("e2e-pr", "", "e2e-pr-a=PAUSE", "e2e-pr-b=PAUSE")); err != nil {
		t.Fatalf("apply PAUSE: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-pr", "e2e-pr-a", "PAUSED")
	waitTopicStatus(t, "e2e-pr", "e2e-pr-b", "PAUSED")
	if got := env.Emulator.Count("POST", "/clusters/{cluster_id}/links/{link_name}/mirrors:pause") - pauses; got != 1 {
		t.Errorf("pausing two topics took %d mirrors:pause calls, want one batch", got)
	}
	if out, err := applyYAML(t, clusterLink("e2e-pr", "", "e2e-pr-a", "e2e-pr-b=PAUSE")); err != nil {
		t.Fatalf("apply ACTIVE: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-pr", "e2e-pr-a", "ACTIVE")

	if out, err := applyYAML(t, clusterLink("e2e-pr", "", "e2e-pr-a=PROMOTE", "e2e-pr-b=PAUSE")); err != nil {
		t.Fatalf("apply PROMOTE: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-pr", "e2e-pr-a", "STOPPED")
	if got := jsonpath(t, "e2e-pr", `{.status.mirrorTopics[?(@.name=="e2e-pr-a")].lastAction}`); got != "PROMOTE" {
		t.Errorf("lastAction %q, want PROMOTE", got)
	}
	kubectl(t, "-n", "operator", "wait", "clusterlink", "e2e-pr", "--for=condition=MirrorsSynced", "--timeout=30s")
	cleanup(t, "e2e-pr")
}

func TestFailoverDuringSourceOutage(t *testing.T) {
	sourceTopics(t, "e2e-fo")
	if out, err := applyYAML(t, clusterLink("e2e-fo", "", "e2e-fo")); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-fo", "e2e-fo", "ACTIVE")
	env.Emulator.SetSourceOutage(devenv.SourceClusterID, true)
	defer env.Emulator.SetSourceOutage(devenv.SourceClusterID, false)
	waitTopicStatus(t, "e2e-fo", "e2e-fo", "SOURCE_UNAVAILABLE")
	// PROMOTE needs the source: BLOCKED, said in the topic's message.
	if out, err := applyYAML(t, clusterLink("e2e-fo", "", "e2e-fo=PROMOTE")); err != nil {
		t.Fatalf("apply PROMOTE: %v\n%s", err, out)
	}
	eventually(t, 30*time.Second, "the blocked promote to be explained", func() string {
		msg := jsonpath(t, "e2e-fo", `{.status.mirrorTopics[?(@.name=="e2e-fo")].message}`)
		if !strings.Contains(msg, "use FAILOVER") {
			return "message " + msg
		}
		return ""
	})
	// Removing the topic now would delete it on the destination — maybe
	// the only copy while the source is down: refused, nothing changes.
	rv := jsonpath(t, "e2e-fo", "{.metadata.resourceVersion}")
	if out, err := applyYAML(t, clusterLink("e2e-fo", "")); err == nil ||
		!strings.Contains(out, `spec.mirrorTopics[name=e2e-fo]: Forbidden: mirror topic "e2e-fo" cannot be removed while its one-way PROMOTE is under way (observed status SOURCE_UNAVAILABLE)`) ||
		!strings.Contains(out, "change its state to FAILOVER") {
		t.Errorf("removing a promoting topic: err %v\n%s", err, out)
	}
	if got := jsonpath(t, "e2e-fo", "{.metadata.resourceVersion}"); got != rv {
		t.Errorf("the refused apply changed the object (resourceVersion %s -> %s)", rv, got)
	}
	if st, _, ok := env.Emulator.Cluster(devenv.DestinationClusterID).Mirror("e2e-fo", "e2e-fo"); !ok || st == "" {
		t.Errorf("mirror e2e-fo gone after a refused removal")
	}
	// Escalating PROMOTE to FAILOVER is allowed and completes without the source.
	if out, err := applyYAML(t, clusterLink("e2e-fo", "", "e2e-fo=FAILOVER")); err != nil {
		t.Fatalf("apply FAILOVER: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-fo", "e2e-fo", "STOPPED")
	// FAILOVER cannot be taken back to PROMOTE.
	out, err := applyYAML(t, clusterLink("e2e-fo", "", "e2e-fo=PROMOTE"))
	if err == nil || !strings.Contains(out, "FAILOVER cannot be changed to PROMOTE (observed status STOPPED); allowed: FAILOVER") {
		t.Errorf("FAILOVER -> PROMOTE: err %v\n%s", err, out)
	}
	cleanup(t, "e2e-fo")
}

// Every invalid transition is rejected by kubectl with the webhook's
// message, and changes nothing.
func TestWebhookRejectsInvalidTransitions(t *testing.T) {
	sourceTopics(t, "e2e-wh-a", "e2e-wh-b")
	if out, err := applyYAML(t, clusterLink("e2e-wh", "", "e2e-wh-a", "e2e-wh-b")); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-wh", "e2e-wh-a", "ACTIVE")
	if out, err := applyYAML(t, clusterLink("e2e-wh", "", "e2e-wh-a=PROMOTE", "e2e-wh-b")); err != nil {
		t.Fatalf("apply PROMOTE: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-wh", "e2e-wh-a", "STOPPED")
	rv := jsonpath(t, "e2e-wh", "{.metadata.resourceVersion}")

	tests := []struct {
		name     string
		manifest string
		want     []string
	}{
		{
			name:     "promoted topic back to ACTIVE",
			manifest: clusterLink("e2e-wh", "", "e2e-wh-a=ACTIVE", "e2e-wh-b"),
			want:     []string{`The ClusterLink "e2e-wh" is invalid`, "spec.mirrorTopics[name=e2e-wh-a].state", `"ACTIVE"`, "PROMOTE cannot be undone (observed status STOPPED); allowed: PROMOTE, FAILOVER"},
		},
		{
			name:     "new topic starting in FAILOVER",
			manifest: clusterLink("e2e-wh", "", "e2e-wh-a=PROMOTE", "e2e-wh-b", "e2e-wh-c=FAILOVER"),
			want:     []string{"spec.mirrorTopics[name=e2e-wh-c].state", "is new in spec.mirrorTopics and must start ACTIVE or PAUSE"},
		},
		{
			name:     "sourceTopicName changed",
			manifest: strings.Replace(clusterLink("e2e-wh", "", "e2e-wh-a=PROMOTE", "e2e-wh-b"), "  - name: e2e-wh-b\n", "  - name: e2e-wh-b\n    sourceTopicName: other\n", 1),
			want:     []string{"sourceTopicName"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := applyYAML(t, tt.manifest)
			if err == nil {
				t.Fatalf("kubectl apply succeeded; want it rejected:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("kubectl output lacks %q:\n%s", w, out)
				}
			}
			if got := jsonpath(t, "e2e-wh", "{.metadata.resourceVersion}"); got != rv {
				t.Errorf("object changed: resourceVersion %s -> %s", rv, got)
			}
		})
	}

	// A valid change passes; removing a mirroring topic warns in kubectl's output.
	out, err := applyYAML(t, clusterLink("e2e-wh", "", "e2e-wh-a=PROMOTE"))
	if err != nil {
		t.Fatalf("valid apply rejected: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Warning: removed mirror topic will be DELETED on the destination (the source is untouched): e2e-wh-b") {
		t.Errorf("no deletion warning in kubectl output:\n%s", out)
	}
	// The removed topic is deleted on the destination; the stopped one is kept.
	dst := env.Emulator.Cluster(devenv.DestinationClusterID)
	eventually(t, 30*time.Second, "e2e-wh-b to be deleted on the destination", func() string {
		if _, _, ok := dst.Mirror("e2e-wh", "e2e-wh-b"); ok {
			return "still there"
		}
		return ""
	})
	// Removing the promoted topic releases it and keeps it.
	out = kubectl(t, "apply", "-f", writeTemp(t, clusterLink("e2e-wh", "")))
	if !strings.Contains(out, "stopped and kept on the destination, no longer managed: e2e-wh-a") {
		t.Errorf("no release warning:\n%s", out)
	}
	eventually(t, 30*time.Second, "e2e-wh-a to be released from status", func() string {
		if got := jsonpath(t, "e2e-wh", "{.status.mirrorTopics}"); got != "" {
			return got
		}
		return ""
	})
	if !contains(dst.Topics(), "e2e-wh-a") {
		t.Errorf("the promoted topic was deleted: destination topics %v", dst.Topics())
	}
	cleanup(t, "e2e-wh")
}

// Deletion safety (issue 9): a protected ClusterLink survives kubectl
// delete and a prune; unprotected, its delete fails over every mirror in
// one batch and deletes the link once.
func TestDeletionProtectionAndFailoverOnDelete(t *testing.T) {
	sourceTopics(t, "e2e-del-a", "e2e-del-b")
	manifest := strings.Replace(clusterLink("e2e-del", "  deletionProtection: true\n", "e2e-del-a", "e2e-del-b=PAUSE"),
		"  namespace: operator\n", "  namespace: operator\n  labels:\n    e2e: deletion\n", 1)
	if out, err := applyYAML(t, manifest); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-del", "e2e-del-a", "ACTIVE")
	waitTopicStatus(t, "e2e-del", "e2e-del-b", "PAUSED")

	out, err := kubectlErr(t, "-n", "operator", "delete", "clusterlink", "e2e-del", "--wait=false")
	if err == nil {
		t.Fatalf("kubectl delete of a protected ClusterLink succeeded:\n%s", out)
	}
	if !strings.Contains(out, "is protected from deletion; to delete it, first set spec.deletionProtection to false") {
		t.Errorf("delete message:\n%s", out)
	}
	// A GitOps prune: apply an empty set selected by the label.
	empty := writeTemp(t, `apiVersion: v1
kind: ConfigMap
metadata:
  name: e2e-prune-anchor
  namespace: operator
  labels:
    e2e: deletion
`)
	out, _ = kubectlErr(t, "apply", "-f", empty, "--prune", "-l", "e2e=deletion", "--prune-allowlist=kafkalink.io/v1alpha1/ClusterLink")
	if got := jsonpath(t, "e2e-del", "{.metadata.deletionTimestamp}"); got != "" {
		t.Fatalf("the prune deleted a protected ClusterLink (deletionTimestamp %s):\n%s", got, out)
	}
	if !strings.Contains(out, "protected from deletion") {
		t.Errorf("prune output does not show the denial:\n%s", out)
	}

	failovers := env.Emulator.Count("POST", "/clusters/{cluster_id}/links/{link_name}/mirrors:failover")
	deletes := env.Emulator.Count("DELETE", "/clusters/{cluster_id}/links/{link_name}")
	kubectl(t, "-n", "operator", "patch", "clusterlink", "e2e-del", "--type", "merge", "-p", `{"spec":{"deletionProtection":false}}`)
	out = kubectl(t, "-n", "operator", "delete", "clusterlink", "e2e-del", "--timeout=60s")
	if !strings.Contains(out, "will fail over 2 mirror topics") {
		t.Errorf("delete warning:\n%s", out)
	}
	if got := env.Emulator.Count("POST", "/clusters/{cluster_id}/links/{link_name}/mirrors:failover") - failovers; got != 1 {
		t.Errorf("failover batches: %d, want exactly 1", got)
	}
	if got := env.Emulator.Count("DELETE", "/clusters/{cluster_id}/links/{link_name}") - deletes; got != 1 {
		t.Errorf("link deletes: %d, want exactly 1", got)
	}
	dst := env.Emulator.Cluster(devenv.DestinationClusterID)
	if contains(dst.Links(), "e2e-del") {
		t.Errorf("link e2e-del still on the destination")
	}
	for _, tp := range []string{"e2e-del-a", "e2e-del-b"} {
		if !contains(dst.Topics(), tp) {
			t.Errorf("failed-over topic %s is gone from the destination", tp)
		}
	}
	kubectl(t, "-n", "operator", "delete", "configmap", "e2e-prune-anchor")
}

// When the destination is unreachable, deletion waits with a condition and
// an event; switching to Retain lets it finish without REST calls.
func TestDeletionWithUnreachableDestination(t *testing.T) {
	sourceTopics(t, "e2e-un")
	if out, err := applyYAML(t, clusterLink("e2e-un", "", "e2e-un")); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-un", "e2e-un", "ACTIVE")
	env.Emulator.SetFaults(devenv.DestinationClusterID, faultsAuthFailure())
	defer env.Emulator.SetFaults(devenv.DestinationClusterID, noFaults())
	kubectl(t, "-n", "operator", "delete", "clusterlink", "e2e-un", "--wait=false")
	eventually(t, 30*time.Second, "the Ready condition to say why deletion waits", func() string {
		reason := jsonpath(t, "e2e-un", `{.status.conditions[?(@.type=="Ready")].reason}`)
		if reason != "DeletionBlocked" && reason != "DestinationUnreachable" && reason != "CredentialsError" {
			return "reason " + reason
		}
		return ""
	})
	if got := jsonpath(t, "e2e-un", "{.metadata.finalizers}"); !strings.Contains(got, "kafkalink.io/cluster-link") {
		t.Fatalf("finalizer dropped while the destination was unreachable: %q", got)
	}
	// kubectl get shows the blocked deletion in STATE, not the link's last ACTIVE.
	eventually(t, 30*time.Second, "kubectl get clink to show STATE DELETION_BLOCKED", func() string {
		out := kubectl(t, "-n", "operator", "get", "clink", "e2e-un")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 {
			return out
		}
		// Columns may be empty (no SOURCE yet): read STATE at its offset.
		col := strings.Index(lines[0], "STATE")
		if col < 0 || len(lines[1]) <= col || !strings.HasPrefix(lines[1][col:], "DELETION_BLOCKED ") {
			return out
		}
		return ""
	})
	events := kubectl(t, "-n", "operator", "get", "events", "--field-selector", "involvedObject.name=e2e-un", "-o", "jsonpath={.items[*].reason}")
	if !strings.Contains(events, "DeletionBlocked") {
		t.Errorf("no DeletionBlocked event: %s", events)
	}
	calls := len(env.Emulator.Requests())
	kubectl(t, "-n", "operator", "patch", "clusterlink", "e2e-un", "--type", "merge", "-p", `{"spec":{"deletionPolicy":"Retain"}}`)
	kubectl(t, "-n", "operator", "wait", "--for=delete", "clusterlink/e2e-un", "--timeout=30s")
	var after []string
	for _, r := range env.Emulator.Requests()[calls:] {
		if r.Method != "GET" && !r.ValidateOnly {
			after = append(after, r.Method+" "+r.Endpoint)
		}
	}
	if len(after) != 0 {
		t.Errorf("Retain made REST changes: %v", after)
	}
}

func cleanup(t *testing.T, name string) {
	t.Helper()
	kubectl(t, "-n", "operator", "patch", "clusterlink", name, "--type", "merge", "-p", `{"spec":{"deletionPolicy":"Retain"}}`)
	kubectl(t, "-n", "operator", "delete", "clusterlink", name, "--timeout=60s")
}

func writeTemp(t *testing.T, s string) string {
	t.Helper()
	f := fmt.Sprintf("%s/%d.yaml", t.TempDir(), time.Now().UnixNano())
	if err := writeFile(f, s); err != nil {
		t.Fatal(err)
	}
	return f
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
