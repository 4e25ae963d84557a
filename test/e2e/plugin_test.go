package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/kafkalink/kafkalink/pkg/devenv"
	"github.com/kafkalink/kafkalink/test/gitops"
)

// kafkalinkPlugin runs `kubectl kafkalink ARGS` with the built plugin on
// kubectl's PATH, as a user who installed it would. kubectl takes no flags
// before a plugin's name, so the kubeconfig comes from KUBECONFIG.
func kafkalinkPlugin(t *testing.T, bin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"kafkalink"}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env.Kubeconfig, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

const pluginLink = `apiVersion: kafkalink.io/v1alpha1
kind: ClusterLink
metadata:
  name: e2e-plugin
  namespace: operator
spec:
  destinationKafkaCluster:
    kafkaRestClassRef:
      name: krc-cloud
  sourceKafkaCluster:
    bootstrapEndpoint: ` + devenv.SourceBootstrap + `
    authentication:
      type: plain
      jaasConfig:
        secretRef: plainpassjks
  mirrorTopics:
  - name: plug-fail
    configs:
      retention.ms: "3600000"
  - name: plug-prom
  - name: plug-gone
`

// The kubectl plugin against the real apiserver, webhook and controller:
// tables, a failover followed to STOPPED, a denial shown as the webhook
// worded it, a plan that names the deletion a removed topic causes, and
// the Ready condition that kubectl wait and GitOps health read.
func TestKubectlPlugin(t *testing.T) {
	bin := binaries(t)
	root, err := devenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	sourceTopics(t, "plug-fail", "plug-prom", "plug-gone")
	// Applied server-side, as GitOps tools apply: the manifest owns the
	// fields it sets, and the states it leaves out are free to change.
	if out, err := applyYAML(t, pluginLink, "--server-side"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		// Waited for: a later "kubectl wait --all" must not see it terminating.
		_, _ = kubectlErr(t, "-n", "operator", "delete", "clusterlink", "e2e-plugin", "--wait=true", "--timeout=60s")
	})
	if out, err := kubectlErr(t, "-n", "operator", "wait", "--for=condition=Ready", "clink/e2e-plugin", "--timeout=90s"); err != nil {
		t.Fatalf("kubectl wait --for=condition=Ready: %v\n%s", err, out)
	}

	t.Run("mirrors", func(t *testing.T) {
		out, errOut, err := kafkalinkPlugin(t, bin, "mirrors", "-A")
		if err != nil {
			t.Fatalf("mirrors -A: %v\n%s%s", err, out, errOut)
		}
		rows := map[string]bool{}
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) >= 3 {
				rows[strings.Join(f[:3], " ")] = true
			}
		}
		for _, want := range []string{"NAMESPACE LINK TOPIC", "operator clusterlink-demo demo-topic", "operator clusterlink-pause orders",
			"operator clusterlink-pause payments", "operator si-link-destination inventory", "operator e2e-plugin plug-fail"} {
			if !rows[want] {
				t.Errorf("mirrors -A has no row %q:\n%s", want, out)
			}
		}
		out, _, err = kafkalinkPlugin(t, bin, "-n", "operator", "mirrors", "clusterlink-pause", "--status", "paused")
		if err != nil || !strings.Contains(out, "payments") || strings.Contains(out, "orders") {
			t.Errorf("mirrors clusterlink-pause --status paused: %v\n%s", err, out)
		}
	})

	t.Run("failover --wait", func(t *testing.T) {
		out, errOut, err := kafkalinkPlugin(t, bin, "-n", "operator", "failover", "e2e-plugin", "plug-fail", "--wait", "--timeout", "90s")
		if err != nil {
			t.Fatalf("failover --wait: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
		}
		t.Logf("kubectl kafkalink failover e2e-plugin plug-fail --wait:\n%s", out)
		for _, want := range []string{"clusterlink.kafkalink.io/e2e-plugin: plug-fail -> FAILOVER", "plug-fail: STOPPED", "plug-fail reached FAILOVER"} {
			if !strings.Contains(out, want) {
				t.Errorf("failover --wait output lacks %q:\n%s", want, out)
			}
		}
		if got := jsonpath(t, "e2e-plugin", `{.status.mirrorTopics[?(@.name=="plug-fail")].status}`); got != "STOPPED" {
			t.Errorf("status of plug-fail %q, want STOPPED", got)
		}
		// Server-side apply merged the entry by name: its other fields stay,
		// and the plugin's field manager owns the state.
		if got := jsonpath(t, "e2e-plugin", `{.spec.mirrorTopics[?(@.name=="plug-fail")].configs.retention\.ms}`); got != "3600000" {
			t.Errorf("configs of plug-fail after the failover: %q", got)
		}
		if got := jsonpath(t, "e2e-plugin", `{.spec.mirrorTopics[*].name}`); got != "plug-fail plug-prom plug-gone" {
			t.Errorf("topics after the failover: %q", got)
		}
		if m := kubectl(t, "-n", "operator", "get", "clusterlink", "e2e-plugin", "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}"); !strings.Contains(m, "kubectl-kafkalink") {
			t.Errorf("field managers %q lack kubectl-kafkalink", m)
		}
	})

	t.Run("a state the manifest owns conflicts", func(t *testing.T) {
		// kubectl apply (client-side) created the example and owns the
		// state it sets: the plugin says so and changes nothing.
		out, errOut, err := kafkalinkPlugin(t, bin, "-n", "operator", "resume", "clusterlink-pause", "payments")
		if err == nil {
			t.Fatalf("resume of a state another manager owns succeeded:\n%s", out)
		}
		for _, want := range []string{`Error from server (Conflict): Apply failed with 1 conflict: conflict with "kubectl-client-side-apply"`, `.spec.mirrorTopics[name="payments"].state`, "--force-conflicts"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
		if got := jsonpath(t, "clusterlink-pause", `{.spec.mirrorTopics[?(@.name=="payments")].state}`); got != "PAUSE" {
			t.Errorf("state after the conflict: %q", got)
		}
	})

	t.Run("resume of a promoted topic is denied", func(t *testing.T) {
		if out, errOut, err := kafkalinkPlugin(t, bin, "-n", "operator", "promote", "e2e-plugin", "plug-prom"); err != nil {
			t.Fatalf("promote: %v\n%s%s", err, out, errOut)
		}
		// A second apply by the plugin keeps the state its first one set.
		if got := jsonpath(t, "e2e-plugin", `{.spec.mirrorTopics[?(@.name=="plug-fail")].state}`); got != "FAILOVER" {
			t.Errorf("plug-fail after promoting plug-prom: %q, want FAILOVER", got)
		}
		out, errOut, err := kafkalinkPlugin(t, bin, "-n", "operator", "resume", "e2e-plugin", "plug-prom")
		if err == nil {
			t.Fatalf("resume of a promoted topic succeeded:\n%s", out)
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
			t.Errorf("exit: %v", err)
		}
		for _, want := range []string{`Error from server (Invalid): admission webhook`, `denied the request`,
			`spec.mirrorTopics[name=plug-prom].state: Invalid value: "ACTIVE": mirror topic "plug-prom": PROMOTE cannot be undone`} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
		if got := jsonpath(t, "e2e-plugin", `{.spec.mirrorTopics[?(@.name=="plug-prom")].state}`); got != "PROMOTE" {
			t.Errorf("state after the denied resume: %q", got)
		}
	})

	t.Run("plan", func(t *testing.T) {
		manifest := strings.Replace(pluginLink, "  - name: plug-prom\n  - name: plug-gone\n", "  - name: plug-prom\n    state: PROMOTE\n", 1)
		manifest = strings.Replace(manifest, "  - name: plug-fail\n", "  - name: plug-fail\n    state: FAILOVER\n", 1)
		f := filepath.Join(t.TempDir(), "link.yaml")
		if err := os.WriteFile(f, []byte(manifest), 0o600); err != nil {
			t.Fatal(err)
		}
		gen := jsonpath(t, "e2e-plugin", "{.metadata.generation}")
		out, errOut, err := kafkalinkPlugin(t, bin, "plan", "-f", f)
		if err != nil {
			t.Fatalf("plan: %v\n%s%s", err, out, errOut)
		}
		t.Logf("kubectl kafkalink plan -f link.yaml:\n%s", out)
		plan := strings.Join(strings.Fields(out), " ")
		for _, want := range []string{"ClusterLink operator/e2e-plugin: updated", "DELETE plug-gone DELETED on the destination (the source is untouched)",
			"Warning: removed mirror topic will be DELETED on the destination (the source is untouched): plug-gone"} {
			if !strings.Contains(plan, want) {
				t.Errorf("plan lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(plan, "link settings change") {
			t.Errorf("plan reports API defaults the manifest leaves out as changes:\n%s", out)
		}
		if got := jsonpath(t, "e2e-plugin", `{.spec.mirrorTopics[*].name}`); got != "plug-fail plug-prom plug-gone" {
			t.Errorf("plan changed the object: topics %q", got)
		}
		// (The status moves on meanwhile: plug-prom completes its promote.)
		if got := jsonpath(t, "e2e-plugin", "{.metadata.generation}"); got != gen {
			t.Errorf("plan changed the spec: generation %s, was %s", got, gen)
		}
	})

	t.Run("describe", func(t *testing.T) {
		out, errOut, err := kafkalinkPlugin(t, bin, "-n", "operator", "describe", "e2e-plugin")
		if err != nil {
			t.Fatalf("describe: %v\n%s%s", err, out, errOut)
		}
		t.Logf("kubectl kafkalink describe e2e-plugin:\n%s", out)
		for _, want := range []string{"Name: e2e-plugin", "Conditions:", "Reconciling", "Stalled", "Mirror topics:", "Events:", "MirrorsFailedOver"} {
			if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
				t.Errorf("describe lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("GitOps health", func(t *testing.T) {
		// The promote of plug-prom completes once its lag drains; then the
		// link is Ready again, for kubectl wait, kstatus and Argo CD alike.
		if out, err := kubectlErr(t, "-n", "operator", "wait", "--for=condition=Ready", "clink/e2e-plugin", "--timeout=90s"); err != nil {
			t.Fatalf("kubectl wait --for=condition=Ready: %v\n%s", err, out)
		}
		// Decoded as the API machinery decodes objects (integers as int64).
		decoded, err := runtime.Decode(unstructured.UnstructuredJSONScheme, []byte(kubectl(t, "-n", "operator", "get", "clusterlink", "e2e-plugin", "-o", "json")))
		if err != nil {
			t.Fatal(err)
		}
		obj := decoded.(*unstructured.Unstructured).Object
		res, err := status.Compute(&unstructured.Unstructured{Object: obj})
		if err != nil || res.Status != status.CurrentStatus {
			t.Errorf("kstatus of the Ready link: %+v %v", res, err)
		}
		script, err := gitops.LoadArgoHealth(root)
		if err != nil {
			t.Fatal(err)
		}
		if h, err := gitops.ArgoHealth(script, obj); err != nil || h.Status != "Healthy" {
			t.Errorf("Argo CD health of the Ready link: %+v %v", h, err)
		}
	})
}
