package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kafkalink/kafkalink/pkg/devenv"
	"github.com/kafkalink/kafkalink/pkg/localcluster"
)

// The shipped controller binary, wired from its flags, against the real
// API server and with exactly the shipped RBAC: it takes the leader Lease
// and reconciles. (The webhook binary: webhook_test.go.)
func TestBinaries(t *testing.T) {
	root, err := devenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := binaries(t)
	for _, ns := range []string{"kafkalink-system", "e2e-bin"} {
		if out, err := kubectlErr(t, "create", "namespace", ns); err != nil && !strings.Contains(out, "AlreadyExists") {
			t.Fatalf("create namespace %s: %v\n%s", ns, err, out)
		}
	}
	controllerKubeconfig, _ := shippedRBAC(t, root)

	t.Run("controller", func(t *testing.T) {
		port, _ := localcluster.FreePort()
		metrics := fmt.Sprintf("127.0.0.1:%d", port)
		start(t, filepath.Join(bin, "kafkalink-controller"), "--kubeconfig", controllerKubeconfig, "--namespace", "e2e-bin",
			"--leader-elect", "--leader-election-namespace", "kafkalink-system", "--leader-election-id", "kafkalink-e2e-bin", "--metrics-address", metrics)
		eventually(t, 30*time.Second, "the controller binary to be ready", func() string {
			return httpOK("http://" + metrics + "/readyz")
		})
		eventually(t, 30*time.Second, "the leader Lease", func() string {
			out, _ := kubectlErr(t, "-n", "kafkalink-system", "get", "lease", "kafkalink-e2e-bin", "-o", "jsonpath={.spec.holderIdentity}")
			if out == "" || strings.HasPrefix(out, "error") {
				return "no holder: " + out
			}
			return ""
		})
		// Holding it means renewing it (an update), not only creating it.
		lease := func() string {
			return kubectl(t, "-n", "kafkalink-system", "get", "lease", "kafkalink-e2e-bin", "-o", "jsonpath={.spec.renewTime}")
		}
		first := lease()
		eventually(t, 20*time.Second, "the leader to renew its Lease", func() string {
			if lease() == first {
				return "renewTime still " + first
			}
			return ""
		})
		if out, err := applyYAML(t, strings.ReplaceAll(clusterLink("bin-check", "", "orders"), "namespace: operator", "namespace: e2e-bin")); err != nil {
			t.Fatalf("apply: %v\n%s", err, out)
		}
		// krc-cloud is not in e2e-bin: the binary reports it.
		eventually(t, 30*time.Second, "the binary to reconcile", func() string {
			body := httpBody("http://" + metrics + "/metrics")
			if !strings.Contains(body, "kafkalink_reconcile_total") {
				return "no reconcile metric yet"
			}
			if r := kubectl(t, "-n", "e2e-bin", "get", "clusterlink", "bin-check", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].reason}`); r != "KafkaRestClassNotFound" {
				return "Ready reason " + r
			}
			return ""
		})
		// Its finalizer holds the delete (Failover needs the destination)
		// until deletionPolicy is Retain.
		kubectl(t, "-n", "e2e-bin", "delete", "clusterlink", "bin-check", "--wait=false")
		kubectl(t, "-n", "e2e-bin", "patch", "clusterlink", "bin-check", "--type", "merge", "-p", `{"spec":{"deletionPolicy":"Retain"}}`)
		kubectl(t, "-n", "e2e-bin", "wait", "--for=delete", "clusterlink/bin-check", "--timeout=30s")
	})

	// The webhook binary with self-managed certificates: TestWebhookReplicasShareCertificates.
}

// start runs a binary until the test ends, its output in the test log on failure.
// shippedRBAC applies the manifests' ServiceAccounts, roles and bindings
// under e2e names — the in-process controller and webhook already hold the
// real Lease, Secret and webhook configuration, and the rules name them in
// resourceNames — and returns kubeconfigs that impersonate the two
// ServiceAccounts, so the binaries get exactly the shipped rules.
func shippedRBAC(t *testing.T, root string) (controller, webhook string) {
	t.Helper()
	rbac := kubectl(t, "kustomize", filepath.Join(root, "manifests", "base", "rbac"))
	for _, r := range [][2]string{
		{"kafkalink-validating-webhook", "kafkalink-e2e-selfmanaged"},
		{"kafkalink-webhook-certs", "kafkalink-e2e-certs"},
		{"kafkalink-controller", "kafkalink-e2e-bin"}, // also the Lease name
		{"kafkalink-webhook", "kafkalink-e2e-webhook"},
	} {
		if !strings.Contains(rbac, r[0]) {
			t.Fatalf("the shipped RBAC no longer names %s; update this test", r[0])
		}
		rbac = strings.ReplaceAll(rbac, r[0], r[1])
	}
	if out, err := applyYAML(t, rbac, "-n", "kafkalink-system"); err != nil {
		t.Fatalf("apply the shipped RBAC under e2e names: %v\n%s", err, out)
	}
	return impersonating(t, "system:serviceaccount:kafkalink-system:kafkalink-e2e-bin"),
		impersonating(t, "system:serviceaccount:kafkalink-system:kafkalink-e2e-webhook")
}

// impersonating writes a copy of the admin kubeconfig that acts as user.
func impersonating(t *testing.T, user string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate = user
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(kubectl(t, "--kubeconfig", path, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")); got != user {
		t.Fatalf("kubeconfig acts as %q, want %q", got, user)
	}
	return path
}

func start(t *testing.T, path string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, path, args...)
	logf, err := os.Create(filepath.Join(t.TempDir(), filepath.Base(path)+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("%s output:\n%s", filepath.Base(path), b)
		}
		logf.Close()
	})
}

func httpOK(url string) string {
	resp, err := http.Get(url) //nolint:noctx // loopback probe
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	return ""
}

func httpBody(url string) string {
	resp, err := http.Get(url) //nolint:noctx // loopback probe
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
