// Package e2e drives kafkalink end to end: a real kube-apiserver and etcd
// (pkg/localcluster), the REST emulator, the webhook and the controller,
// all started by pkg/devenv exactly as `make run` starts them, and the real
// kubectl binary. Skipped with -short.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/pkg/controller"
	"github.com/kafkalink/kafkalink/pkg/credentials"
	"github.com/kafkalink/kafkalink/pkg/devenv"
	"github.com/kafkalink/kafkalink/pkg/webhook"
)

var env *devenv.Env

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped with -short")
		os.Exit(0)
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: kubectl is not on PATH; the end-to-end suite drives the real kubectl")
		os.Exit(1)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	if mounts, err = newMounts(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: credential directories:", err)
		return 1
	}
	defer os.RemoveAll(mounts.base)
	env, err = devenv.Start(ctx, devenv.Options{
		Keep:      os.Getenv("KAFKALINK_E2E_KEEP") != "",
		Progress:  os.Stdout,
		StopDelay: time.Second,
		Controller: func(o *controller.Options) {
			o.TransitionPollInterval = 300 * time.Millisecond
			o.ResyncPeriod = 5 * time.Second
			o.TransitionTimeout = 20 * time.Second
			o.Directories = credentials.DirectoryPolicy{Root: mounts.root}
		},
		Webhook: func(o *webhook.Options) {
			o.Directories = credentials.DirectoryPolicy{Root: mounts.root}
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start the environment:", err)
		return 1
	}
	pids := env.Cluster.PIDs()
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: stop:", err)
		}
		// Nothing may outlive the suite.
		for _, pid := range pids {
			if err := syscall.Kill(pid, 0); err == nil {
				if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); !strings.Contains(string(b), ") Z ") {
					fmt.Fprintf(os.Stderr, "e2e: process %d (etcd or kube-apiserver) outlived the suite\n", pid)
					os.Exit(1)
				}
			}
		}
	}()
	root, _ := devenv.RepoRoot()
	dir := filepath.Join(env.Dir, "examples")
	if _, err := env.PrepareExamples(filepath.Join(root, "artifacts", "examples"), dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: prepare examples:", err)
		return 1
	}
	if out, err := env.Kubectl(ctx, "apply", "-f", dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: kubectl apply examples:", err, out)
		return 1
	}
	code := m.Run()
	if code != 0 {
		for name, path := range env.Logs {
			fmt.Printf("e2e: %s log: %s\n", name, path)
		}
		if b, err := os.ReadFile(env.Logs["kafkalink"]); err == nil {
			lines := strings.Split(string(b), "\n")
			if len(lines) > 150 {
				lines = lines[len(lines)-150:]
			}
			fmt.Println("e2e: last lines of the kafkalink log:\n" + strings.Join(lines, "\n"))
		}
	}
	if err := env.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: a component failed:", err)
		code = 1
	}
	return code
}

// kubectl runs kubectl and fails the test on a non-zero exit.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := kubectlErr(t, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func kubectlErr(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return env.Kubectl(ctx, args...)
}

// applyYAML pipes a manifest into kubectl apply -f -.
func applyYAML(t *testing.T, manifest string, extra ...string) (string, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(f, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	return kubectlErr(t, append([]string{"apply", "-f", f}, extra...)...)
}

// eventually polls cond until it returns "" or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		if last = cond(); last == "" {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, last)
}

// jsonpath reads a field of a ClusterLink in namespace operator.
func jsonpath(t *testing.T, name, path string) string {
	t.Helper()
	out, err := kubectlErr(t, "-n", "operator", "get", "clusterlink", name, "-o", "jsonpath="+path)
	if err != nil {
		return "error: " + out
	}
	return out
}

// waitTopicStatus waits until a managed topic reports status.
func waitTopicStatus(t *testing.T, link, topic, status string) {
	t.Helper()
	eventually(t, 60*time.Second, fmt.Sprintf("%s/%s to be %s", link, topic, status), func() string {
		got := jsonpath(t, link, fmt.Sprintf(`{.status.mirrorTopics[?(@.name=="%s")].status}`, topic))
		if got != status {
			return "status " + got
		}
		return ""
	})
}

// clusterLink renders a ClusterLink against the example REST classes.
func clusterLink(name string, extraSpec string, topics ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: kafkalink.io/v1alpha1
kind: ClusterLink
metadata:
  name: %s
  namespace: operator
spec:
  destinationKafkaCluster:
    kafkaRestClassRef:
      name: krc-cloud
  sourceKafkaCluster:
    bootstrapEndpoint: %s
    authentication:
      type: plain
      jaasConfig:
        secretRef: plainpassjks
%s`, name, devenv.SourceBootstrap, extraSpec)
	if len(topics) == 0 {
		b.WriteString("  mirrorTopics: []\n")
	} else {
		b.WriteString("  mirrorTopics:\n")
	}
	for _, tp := range topics {
		name, state, _ := strings.Cut(tp, "=")
		fmt.Fprintf(&b, "  - name: %s\n", name)
		if state != "" {
			fmt.Fprintf(&b, "    state: %s\n", state)
		}
	}
	return b.String()
}

// sourceTopics creates topics on the emulated source cluster for one test.
func sourceTopics(t *testing.T, names ...string) {
	t.Helper()
	src := env.Emulator.Cluster(devenv.SourceClusterID)
	for _, n := range names {
		src.CreateTopic(n, 2)
	}
}
