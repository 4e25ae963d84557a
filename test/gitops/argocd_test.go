package gitops

import (
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kafkalink/kafkalink/pkg/devenv"
)

// cond renders one condition.
func cond(typ, status, reason, msg string, gen int) string {
	return fmt.Sprintf("  - {type: %s, status: %q, reason: %s, message: %q, observedGeneration: %d, lastTransitionTime: \"2026-11-24T12:00:00Z\"}\n", typ, status, reason, msg, gen)
}

// clusterLink renders a ClusterLink at generation 2 with the given status
// lines (after "status:") and extra metadata lines.
func clusterLink(meta, status string) string {
	s := "apiVersion: kafkalink.io/v1alpha1\nkind: ClusterLink\nmetadata:\n  name: demo\n  namespace: operator\n  generation: 2\n" + meta
	if status != "" {
		s += "status:\n" + status
	}
	return s
}

// progress renders Ready plus the kstatus pair as the controller writes them.
func progress(ready, readyReason, msg, reconciling, stalled string) string {
	return "  observedGeneration: 2\n  conditions:\n" +
		cond("Ready", ready, readyReason, msg, 2) +
		cond("Reconciling", reconciling, readyReason, "", 2) +
		cond("Stalled", stalled, readyReason, "", 2)
}

func TestArgoCDHealth(t *testing.T) {
	root, err := devenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	script, err := LoadArgoHealth(root)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		obj         string
		want        string
		wantMessage string // substring
	}{
		"converged": {
			obj:  clusterLink("", progress("True", "Ready", "mirror topics in their desired state: 2 of 2", "False", "False")),
			want: "Healthy", wantMessage: "2 of 2",
		},
		"mirrors transitioning": {
			obj:  clusterLink("", progress("False", "MirrorsTransitioning", "waiting for orders", "True", "False")),
			want: "Progressing", wantMessage: "MirrorsTransitioning: waiting for orders",
		},
		"link being created": {
			obj:  clusterLink("", progress("False", "Reconciling", "the link is being created on the destination", "True", "False")),
			want: "Progressing",
		},
		"no status yet": {
			obj:  clusterLink("", ""),
			want: "Progressing", wantMessage: "Waiting for the kafkalink controller",
		},
		"generation not observed": {
			obj:  clusterLink("", strings.Replace(progress("True", "Ready", "ok", "False", "False"), "observedGeneration: 2\n  conditions", "observedGeneration: 1\n  conditions", 1)),
			want: "Progressing", wantMessage: "observe generation 2",
		},
		"ready of an older generation": {
			obj:  clusterLink("", "  conditions:\n"+cond("Ready", "True", "Ready", "ok", 1)),
			want: "Progressing", wantMessage: "observe generation 2",
		},
		"promote blocked": {
			obj:  clusterLink("", progress("False", "MirrorsBlocked", "orders: cannot promote while the mirror is SOURCE_UNAVAILABLE", "False", "True")),
			want: "Degraded", wantMessage: "MirrorsBlocked: orders: cannot promote",
		},
		"mirrors failed": {
			obj:  clusterLink("", progress("False", "MirrorsDegraded", "mirror topics degraded: orders: FAILED", "False", "True")),
			want: "Degraded", wantMessage: "FAILED",
		},
		"transition stuck": {
			obj:  clusterLink("", progress("False", "MirrorsTransitioning", "waiting for orders", "False", "True")),
			want: "Degraded",
		},
		"reconciliation paused": {
			obj:  clusterLink("", progress("False", "ReconciliationPaused", "reconciliation is paused", "False", "False")),
			want: "Suspended",
		},
		"deleting": {
			obj:  clusterLink("  deletionTimestamp: \"2026-11-24T12:00:00Z\"\n", "  state: DELETING\n"+progress("False", "Deleting", "failing over 2 mirror topics", "True", "False")),
			want: "Progressing", wantMessage: "Deleting: failing over",
		},
		"deletion blocked": {
			obj:  clusterLink("  deletionTimestamp: \"2026-11-24T12:00:00Z\"\n", "  state: DELETION_BLOCKED\n"+progress("False", "DeletionBlocked", "cannot fail over and delete the link", "False", "True")),
			want: "Degraded", wantMessage: "DeletionBlocked: cannot fail over",
		},
		"deletion waits on a paused link": {
			obj:  clusterLink("  deletionTimestamp: \"2026-11-24T12:00:00Z\"\n", "  state: DELETION_BLOCKED\n"+progress("False", "ReconciliationPaused", "deletion waits", "False", "False")),
			want: "Degraded", wantMessage: "ReconciliationPaused: deletion waits",
		},
		"deleted before any status": {
			obj:  clusterLink("  deletionTimestamp: \"2026-11-24T12:00:00Z\"\n", ""),
			want: "Progressing", wantMessage: "Deleting",
		},
		// Status written by a controller without Reconciling and Stalled.
		"older status, transitioning": {
			obj:  clusterLink("", "  observedGeneration: 2\n  conditions:\n"+cond("Ready", "False", "MirrorsTransitioning", "waiting", 2)),
			want: "Progressing",
		},
		"older status, failed": {
			obj:  clusterLink("", "  observedGeneration: 2\n  conditions:\n"+cond("Ready", "False", "CredentialsError", "401", 2)),
			want: "Degraded", wantMessage: "CredentialsError: 401",
		},
		"class ready": {
			obj:  "apiVersion: kafkalink.io/v1alpha1\nkind: KafkaRestClass\nmetadata: {name: krc, generation: 1}\nstatus:\n  observedGeneration: 1\n  conditions:\n" + cond("Ready", "True", "Ready", "reached cluster lkc-cloud", 1),
			want: "Healthy", wantMessage: "lkc-cloud",
		},
		"class not ready": {
			obj:  "apiVersion: kafkalink.io/v1alpha1\nkind: KafkaRestClass\nmetadata: {name: krc, generation: 1}\nstatus:\n  conditions:\n" + cond("Ready", "False", "CredentialsError", "401 Unauthorized", 1),
			want: "Degraded", wantMessage: "CredentialsError: 401",
		},
		"class without status": {
			obj:  "apiVersion: kafkalink.io/v1alpha1\nkind: KafkaRestClass\nmetadata: {name: krc, generation: 1}\n",
			want: "Progressing",
		},
		"class changed, not yet checked": {
			obj:  "apiVersion: kafkalink.io/v1alpha1\nkind: KafkaRestClass\nmetadata: {name: krc, generation: 2}\nstatus:\n  observedGeneration: 1\n  conditions:\n" + cond("Ready", "True", "Ready", "ok", 1),
			want: "Progressing",
		},
		"class ready unknown": {
			obj:  "apiVersion: kafkalink.io/v1alpha1\nkind: KafkaRestClass\nmetadata: {name: krc, generation: 1}\nstatus:\n  conditions:\n" + cond("Ready", "Unknown", "Checking", "", 1),
			want: "Progressing",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(tc.obj), &obj); err != nil {
				t.Fatalf("test object: %v\n%s", err, tc.obj)
			}
			h, err := ArgoHealth(script, obj)
			if err != nil {
				t.Fatal(err)
			}
			if h.Status != tc.want || !strings.Contains(h.Message, tc.wantMessage) {
				t.Errorf("health %s %q, want %s with %q", h.Status, h.Message, tc.want, tc.wantMessage)
			}
		})
	}
}
