// Command kafkalink-controller runs the ClusterLink controller.
package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/kafkalink/kafkalink/pkg/controller"
	"github.com/kafkalink/kafkalink/pkg/kubeclient"
)

func main() {
	klog.InitFlags(nil)
	var kubeconfig string
	mo := controller.ManagerOptions{}
	var client kubeclient.Options
	client.AddFlags(flag.CommandLine)
	flag.StringVar(&kubeconfig, "kubeconfig", "", "Path to a kubeconfig; in-cluster configuration when empty.")
	flag.StringVar(&mo.Namespace, "namespace", "", "Watch only this namespace (empty: all namespaces).")
	flag.Func("namespaces", "Comma-separated namespaces to watch, one set of informers each, so the controller needs Roles in exactly those (the tenant-namespaces install); overrides --namespace.", func(v string) error {
		for _, ns := range strings.Split(v, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				mo.Namespaces = append(mo.Namespaces, ns)
			}
		}
		return nil
	})
	flag.IntVar(&mo.Workers, "workers", 16, "ClusterLinks reconciled in parallel (each mostly waits on REST calls, so more workers than cores pays off at fleet scale).")
	flag.DurationVar(&mo.ResyncPeriod, "resync-period", 5*time.Minute, "How often a converged link is re-read from the REST API (drift detection).")
	flag.DurationVar(&mo.TransitionPollInterval, "transition-poll-interval", 5*time.Second, "How soon a link with mirror topics in transition is re-read.")
	flag.DurationVar(&mo.ViewRefreshInterval, "view-refresh-interval", time.Second, "Least time between two lists of one destination cluster's links and mirrors when reconciles need a fresh view (they share it); negative: no spacing.")
	flag.DurationVar(&mo.TransitionTimeout, "transition-timeout", 10*time.Minute, "How long a mirror topic may stay PENDING_* before the TransitionStuck condition reports it.")
	flag.StringVar(&mo.MetricsAddr, "metrics-address", ":8080", "HTTP address for /metrics, /healthz and /readyz (0 disables).")
	flag.BoolVar(&mo.Profiling, "profiling", false, "Serve /debug/pprof/ on the metrics address (heap and CPU profiles).")
	flag.BoolVar(&mo.LeaderElection.Enabled, "leader-elect", true, "Use a Lease so only one replica acts at a time.")
	flag.StringVar(&mo.LeaderElection.Namespace, "leader-election-namespace", os.Getenv("POD_NAMESPACE"), "Namespace of the leader election Lease.")
	flag.StringVar(&mo.LeaderElection.Name, "leader-election-id", "kafkalink-controller", "Name of the leader election Lease.")
	flag.StringVar(&mo.LeaderElection.Identity, "leader-election-identity", "", "This replica's identity in the Lease and in REST User-Agents (default: hostname and a random suffix).")
	flag.DurationVar(&mo.LeaderElection.LeaseDuration, "leader-election-lease-duration", 15*time.Second, "How long followers wait after the leader's last renewal before taking over.")
	flag.DurationVar(&mo.LeaderElection.RenewDeadline, "leader-election-renew-deadline", 10*time.Second, "How long the leader keeps trying to renew before it stops acting; also its fence: no REST write later than this after the last successful renewal. Must be shorter than the lease duration.")
	flag.DurationVar(&mo.LeaderElection.RetryPeriod, "leader-election-retry-period", 2*time.Second, "How often replicas try to acquire or renew the Lease.")
	mo.Directories.AddFlags(flag.CommandLine)
	flag.Parse()
	if os.Getenv("GOGC") == "" {
		// Most of the controller's heap is its informer caches, which live
		// as long as the process; the default target (collect when the heap
		// doubles) makes the process hold about twice that. A tighter
		// target keeps RSS near the caches' size at a CPU cost the
		// controller can afford: it mostly waits on REST and the apiserver
		// (docs/benchmarks.md). GOGC in the environment overrides it.
		debug.SetGCPercent(50)
	}

	// The first SIGTERM or SIGINT stops the controller gracefully; a second
	// one kills it. The process never stops on its own, so every stop
	// exits non-zero: 128 + the signal's number after a signal (143 for
	// SIGTERM, as a shell reports it), 1 after an unrecoverable error.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var received atomic.Value
	go func() {
		s := <-sigs
		received.Store(s)
		signal.Stop(sigs)
		cancel()
	}()
	ctx = klog.NewContext(ctx, klog.Background())

	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		klog.ErrorS(err, "Building the Kubernetes client configuration failed")
		os.Exit(1)
	}
	if err := errors.Join(client.Validate(), mo.Directories.Validate()); err != nil {
		klog.ErrorS(err, "Invalid flags")
		os.Exit(2)
	}
	cfg = client.Apply(cfg)
	if mo.LeaderElection.Enabled && mo.LeaderElection.Namespace == "" {
		klog.ErrorS(errors.New("--leader-election-namespace (or POD_NAMESPACE) is required with --leader-elect"), "Invalid flags")
		os.Exit(2)
	}
	err = controller.RunManager(ctx, cfg, mo)
	if s, ok := received.Load().(syscall.Signal); ok && errors.Is(err, controller.ErrStopped) {
		klog.InfoS("Stopped on a signal", "signal", s.String())
		klog.Flush()
		os.Exit(128 + int(s))
	}
	klog.ErrorS(err, "Controller failed")
	klog.Flush()
	os.Exit(1)
}
