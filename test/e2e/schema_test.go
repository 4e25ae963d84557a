package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CRD schema and CEL errors reach the user through kubectl.
func TestCRDSchemaAndCELErrors(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		want     []string
	}{
		{
			name:     "bad enum",
			manifest: clusterLink("e2e-bad-enum", "", "x=SOMETIMES"),
			want:     []string{`spec.mirrorTopics[0].state: Unsupported value: "SOMETIMES"`, `"ACTIVE", "PAUSE", "PROMOTE", "FAILOVER"`},
		},
		{
			name: "KafkaRestClass without endpoint",
			manifest: `apiVersion: kafkalink.io/v1alpha1
kind: KafkaRestClass
metadata:
  name: e2e-no-endpoint
  namespace: operator
spec:
  kafkaRest:
    kafkaClusterID: lkc-x
`,
			want: []string{"give spec.kafkaRest.endpoint, or spec.kafkaClusterRef naming a CFK Kafka resource to resolve it from"},
		},
		{
			name:     "prefix mismatch",
			manifest: strings.Replace(clusterLink("e2e-prefix", "  mirrorTopicOptions:\n    prefix: dc1.\n", "orders"), "  - name: orders\n", "  - name: dc2.orders\n    sourceTopicName: orders\n", 1),
			want:     []string{"with mirrorTopicOptions.prefix set, every toDestination mirror topic needs sourceTopicName and its name must be the prefix followed by sourceTopicName"},
		},
		{
			name:     "mirror topics on a Source link",
			manifest: clusterLink("e2e-source-mode", "  sourceInitiatedLink:\n    linkMode: Source\n", "orders"),
			want:     []string{"mirrorTopics are not allowed on a linkMode: Source ClusterLink"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := applyYAML(t, tt.manifest)
			if err == nil {
				t.Fatalf("kubectl apply succeeded:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("kubectl output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// The examples apply server-side too, and through a kustomize overlay.
func TestServerSideApplyAndKustomize(t *testing.T) {
	dir := filepath.Join(env.Dir, "examples")
	out := kubectl(t, "apply", "--server-side", "--force-conflicts", "-f", dir)
	if !strings.Contains(out, "clusterlink.kafkalink.io/clusterlink-demo serverside-applied") {
		t.Errorf("server-side apply:\n%s", out)
	}
	kubectl(t, "-n", "operator", "wait", "clusterlink", "clusterlink-demo", "--for=condition=Ready", "--timeout=60s")

	// A team overlay: the examples' classes and links in another namespace.
	overlay := t.TempDir()
	var resources []string
	for _, f := range []string{"01-kafkarestclasses.yaml", "10-clusterlink-demo.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(b), "namespace: operator", "namespace: team-b")
		// The REST classes read Secrets from their own namespace.
		if err := os.WriteFile(filepath.Join(overlay, f), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		resources = append(resources, f)
	}
	secrets, err := os.ReadFile(filepath.Join(dir, "00-namespace-and-secrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(secrets), "namespace: operator", "namespace: team-b")
	s = strings.Replace(s, "  name: operator\n", "  name: team-b\n", 1)
	if err := os.WriteFile(filepath.Join(overlay, "00.yaml"), []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	resources = append([]string{"00.yaml"}, resources...)
	kust := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: team-b\nlabels:\n- pairs:\n    team: b\nresources:\n"
	for _, r := range resources {
		kust += "- " + r + "\n"
	}
	// The link keeps its destination name and mirrors another topic, so it
	// does not collide with the operator namespace's link.
	kust += `patches:
- target:
    kind: ClusterLink
  patch: |-
    - op: add
      path: /spec/name
      value: team-b-link
    - op: replace
      path: /spec/mirrorTopics/0/name
      value: audit
`
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(kust), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = kubectlErr(t, "apply", "-k", overlay)
	if err != nil {
		t.Fatalf("kubectl apply -k: %v\n%s", err, out)
	}
	kubectl(t, "-n", "team-b", "wait", "clusterlink", "clusterlink-demo", "--for=condition=Ready", "--timeout=60s")
	if got := kubectl(t, "-n", "team-b", "get", "clusterlink", "clusterlink-demo", "-o", "jsonpath={.status.linkName} {.status.mirrorTopics[0].status}"); got != "team-b-link ACTIVE" {
		t.Errorf("overlay link: %q", got)
	}
	kubectl(t, "-n", "team-b", "delete", "clusterlink", "clusterlink-demo", "--timeout=60s")
}
