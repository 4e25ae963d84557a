package devenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kafkalink/kafkalink/pkg/certs"
	"github.com/kafkalink/kafkalink/pkg/localcluster"
)

// Running the shipped binaries (Options.Binaries): the controller and the
// webhook as separate processes, as a cluster runs them, so benchmarks
// measure their own memory and their own clients' rate limits.

// impersonatingKubeconfig writes a copy of the admin kubeconfig that acts
// as user, for a binary that must hold exactly that ServiceAccount's RBAC.
func (e *Env) impersonatingKubeconfig(name, user string) (string, error) {
	cfg, err := clientcmd.LoadFromFile(e.Kubeconfig)
	if err != nil {
		return "", err
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate = user
	}
	path := filepath.Join(e.Dir, name+".kubeconfig")
	return path, clientcmd.WriteToFile(*cfg, path)
}

// startProcess runs a binary of opts.Binaries until the environment stops,
// its output in the run directory's <name>.log.
func (e *Env) startProcess(ctx context.Context, binaries, name string, args ...string) error {
	logPath := filepath.Join(e.Dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	e.logFiles = append(e.logFiles, logf)
	e.Logs[name] = logPath
	cmd := exec.CommandContext(ctx, filepath.Join(binaries, name), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Interrupt, not kill: the binaries shut down gracefully (and release
	// the leader Lease).
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	e.mu.Lock()
	if e.PIDs == nil {
		e.PIDs = map[string]int{}
	}
	e.PIDs[name] = cmd.Process.Pid
	e.mu.Unlock()
	e.goRun(name, func() error {
		err := cmd.Wait()
		if ctx.Err() != nil {
			return nil // stopped by Stop
		}
		return fmt.Errorf("%s exited: %w (log: %s)", name, err, logPath)
	})
	return nil
}

func (e *Env) startWebhookBinary(ctx context.Context, root string, opts Options) error {
	certDir := filepath.Join(e.Dir, "webhook-certs")
	caPEM, err := certs.WriteServingPair(certDir, []string{"127.0.0.1"}, 24*time.Hour)
	if err != nil {
		return err
	}
	kubeconfig, err := e.impersonatingKubeconfig("webhook", WebhookServiceAccount)
	if err != nil {
		return err
	}
	port, err := localcluster.FreePort()
	if err != nil {
		return err
	}
	mport, err := localcluster.FreePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	e.WebhookURL = "https://" + addr
	e.WebhookMetricsAddr = fmt.Sprintf("127.0.0.1:%d", mport)
	args := append([]string{"--kubeconfig", kubeconfig, "--cert-dir", certDir, "--listen-address", addr, "--metrics-address", e.WebhookMetricsAddr}, opts.WebhookArgs...)
	if err := e.startProcess(ctx, opts.Binaries, "kafkalink-webhook", args...); err != nil {
		return err
	}
	if err := waitTLS(ctx, addr, caPEM); err != nil {
		return fmt.Errorf("webhook binary did not start: %w", err)
	}
	manifest := filepath.Join(root, "manifests", "base", "webhook", "validatingwebhookconfiguration.yaml")
	if err := e.Cluster.InstallWebhook(ctx, manifest, e.WebhookURL, caPEM); err != nil {
		return fmt.Errorf("install the webhook configuration: %w", err)
	}
	return nil
}

func (e *Env) startControllerBinary(ctx context.Context, opts Options) error {
	kubeconfig, err := e.impersonatingKubeconfig("controller", ControllerServiceAccount)
	if err != nil {
		return err
	}
	if e.MetricsAddr, err = loopbackAddr(opts.MetricsAddr); err != nil {
		return err
	}
	args := append([]string{"--kubeconfig", kubeconfig, "--metrics-address", e.MetricsAddr,
		"--leader-elect", "--leader-election-namespace", "kafkalink-system", "--leader-election-id", "kafkalink-controller"}, opts.ControllerArgs...)
	return e.startProcess(ctx, opts.Binaries, "kafkalink-controller", args...)
}
