// Command run is `make run`: kafkalink's whole environment on this machine
// (pkg/devenv), the examples applied, and a short guide. It runs until
// Ctrl-C, then stops everything and removes its files (unless --keep).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kafkalink/kafkalink/pkg/devenv"
)

func main() {
	dir := flag.String("dir", "", "run directory (default: a new temporary directory)")
	keep := flag.Bool("keep", false, "keep the run directory on exit")
	once := flag.Bool("once", false, "exit once the examples have converged (a smoke test)")
	timeout := flag.Duration("converge-timeout", 3*time.Minute, "how long to wait for the examples to become Ready")
	flag.Parse()
	if err := run(*dir, *keep, *once, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "kafkalink run:", err)
		os.Exit(1)
	}
}

func run(dir string, keep, once bool, timeout time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := devenv.RepoRoot()
	if err != nil {
		return err
	}
	env, err := devenv.Start(ctx, devenv.Options{Dir: dir, Keep: keep, Progress: os.Stdout, StopDelay: 3 * time.Second, InitialLag: 500, LagDrainPerSecond: 250})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("kafkalink: stopping")
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "kafkalink: stop:", err)
		}
	}()

	examples, err := env.PrepareExamples(filepath.Join(root, "artifacts", "examples"), filepath.Join(env.Dir, "examples"))
	if err != nil {
		return err
	}
	fmt.Printf("kafkalink: applying artifacts/examples (endpoints and Secrets filled in for the emulator: %s)\n", filepath.Dir(examples[0]))
	out, err := env.Kubectl(ctx, "apply", "-f", filepath.Dir(examples[0]))
	fmt.Print(indent(out))
	if err != nil {
		return fmt.Errorf("kubectl apply: %w", err)
	}

	fmt.Println("kafkalink: waiting for the links to converge")
	wctx, cancel := context.WithTimeout(ctx, timeout)
	out, err = env.Kubectl(wctx, "wait", "clusterlink", "--all", "-n", "operator", "--for=condition=Ready", fmt.Sprintf("--timeout=%s", timeout))
	cancel()
	if err != nil {
		fmt.Print(indent(out))
		out, _ = env.Kubectl(ctx, "get", "clink", "-A")
		fmt.Print(indent(out))
		return fmt.Errorf("the examples did not converge within %s; see %s", timeout, env.Logs["kafkalink"])
	}
	out, _ = env.Kubectl(ctx, "get", "clink", "-A")
	fmt.Println("\n$ kubectl get clink -A")
	fmt.Print(out)
	// The classes' status (endpoint, cluster id, Ready) is checked on its
	// own queue; it lands within moments of the links converging.
	wctx, cancel = context.WithTimeout(ctx, 30*time.Second)
	_, _ = env.Kubectl(wctx, "wait", "kafkarestclass", "--all", "-n", "operator", "--for=condition=Ready", "--timeout=30s")
	cancel()
	out, _ = env.Kubectl(ctx, "get", "krc", "-A")
	fmt.Println("\n$ kubectl get krc -A")
	fmt.Print(out)
	printGuide(env, root)
	if once {
		return env.Err()
	}
	fmt.Println("\nkafkalink: running; press Ctrl-C to stop")
	<-ctx.Done()
	return env.Err()
}

func printGuide(env *devenv.Env, root string) {
	promote, _ := filepath.Rel(mustWd(), filepath.Join(root, "artifacts", "examples", "promote", "clusterlink-demo-promote.yaml"))
	fmt.Printf(`
Use it from another terminal:

  export KUBECONFIG=%s

  # 1. pause a mirror topic (the controller calls mirrors:pause; its status becomes PAUSED)
  kubectl -n operator patch clink clusterlink-demo --type json -p '[{"op":"replace","path":"/spec/mirrorTopics/0/state","value":"PAUSE"}]'
  kubectl -n operator get clink clusterlink-demo -o jsonpath='{.status.mirrorTopics[*].status}'

  # 2. promote it (PENDING_STOPPED, then STOPPED: a writable topic on the destination)
  kubectl apply -f %s

  # 3. an invalid transition: the webhook rejects it at apply time
  kubectl -n operator patch clink clusterlink-demo --type json -p '[{"op":"add","path":"/spec/mirrorTopics/-","value":{"name":"audit","state":"FAILOVER"}}]'
  kubectl -n operator delete clink clusterlink-pause     # deletionProtection: true

  kubectl describe clink -n operator clusterlink-demo    # conditions and events

  # 4. a DR drill in three applies: fail over, write on the new primary, restore
  #    (artifacts/examples/dr/README.md); step 2's writes, with this run's credentials:
  curl -sk -u %s:%s -X POST %s/admin/produce -d '{"topic":"dr.payments","partition":0,"records":7}'

Logs:
`, env.Kubeconfig, promote, env.DestinationUser, env.DestinationPassword, env.DestinationURL)
	for _, name := range []string{"kafkalink", "kube-apiserver", "etcd"} {
		fmt.Printf("  %-15s %s\n", name, env.Logs[name])
	}
	fmt.Printf("Controller metrics: http://%s/metrics\n", env.MetricsAddr)
	fmt.Printf("Webhook metrics:    http://%s/metrics\n", env.WebhookMetricsAddr)
	fmt.Printf("REST emulator: source %s, destination %s (admin API under /admin/)\n", env.SourceURL, env.DestinationURL)
}

func mustWd() string {
	wd, _ := os.Getwd()
	return wd
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}
