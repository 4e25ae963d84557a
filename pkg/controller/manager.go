package controller

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/kafkalink/kafkalink/pkg/generated/clientset/versioned"
	"github.com/kafkalink/kafkalink/pkg/metrics"
)

// ManagerOptions configure RunManager: the controller plus what a
// deployable process needs around it.
type ManagerOptions struct {
	Options
	Workers     int
	MetricsAddr string
	// Profiling serves /debug/pprof/ on the metrics address.
	Profiling      bool
	LeaderElection LeaderElection
}

// ErrStopped is what RunManager returns when ctx ended (a signal): the
// process then exits non-zero too — it never stops on its own, so any stop
// is worth a status the kubelet and an operator can see.
var ErrStopped = errors.New("stopped")

// RunManager builds clients from cfg and runs the controller with leader
// election and the /metrics, /healthz and /readyz endpoints until ctx ends,
// then returns ErrStopped. A lost lease does not return: every worker stops
// and the process campaigns again. Anything else it returns is an
// unrecoverable error.
func RunManager(ctx context.Context, cfg *rest.Config, mo ManagerOptions) error {
	logger := klog.FromContext(ctx)
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = controllerName
	var err error
	if mo.KubeClient, err = kubernetes.NewForConfig(cfg); err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	if mo.KafkalinkClient, err = versioned.NewForConfig(cfg); err != nil {
		return fmt.Errorf("kafkalink client: %w", err)
	}
	if mo.MetadataClient, err = metadata.NewForConfig(cfg); err != nil {
		return fmt.Errorf("metadata client: %w", err)
	}
	if mo.DynamicClient, err = dynamic.NewForConfig(cfg); err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	if mo.Registry == nil {
		mo.Registry = metrics.NewRegistry()
	}
	if mo.Workers <= 0 {
		mo.Workers = 16
	}
	if mo.ViewRefreshInterval == 0 {
		mo.ViewRefreshInterval = time.Second
	}
	if mo.LeaderElection.Identity == "" {
		host, _ := os.Hostname()
		mo.LeaderElection.Identity = host + "_" + string(uuid.NewUUID())
	}
	mo.Identity = mo.LeaderElection.Identity
	fence := &Fence{}
	if mo.LeaderElection.Enabled {
		mo.Fence = fence.Check
	}
	c, err := NewController(ctx, mo.Options)
	if err != nil {
		return err
	}
	parent := ctx
	g, ctx := errgroup.WithContext(ctx)
	// Readiness: a follower is ready (on standby); a leader once its caches
	// synced. Both endpoints say which.
	var leading atomic.Bool
	ready := func() error {
		if leading.Load() && !c.HasSynced() {
			return fmt.Errorf("leading, informer caches not synced")
		}
		return nil
	}
	detail := func() string {
		if leading.Load() {
			return "leading"
		}
		return "standby"
	}
	g.Go(func() error { return metrics.Serve(ctx, mo.MetricsAddr, mo.Registry, ready, detail, mo.Profiling) })
	c.Start(ctx)
	defer c.Shutdown()
	g.Go(func() error {
		for {
			err := RunLeading(ctx, mo.KubeClient, mo.LeaderElection, fence, func(l bool) { leading.Store(l); c.SetLeader(l) }, func(ctx context.Context) {
				if err := c.Lead(ctx, mo.Workers); err != nil {
					logger.Error(err, "Controller stopped")
				}
			})
			switch {
			case ctx.Err() != nil:
				// A signal, or another part failed: stop.
				return ctx.Err()
			case errors.Is(err, ErrLeadershipLost):
				// Every worker has returned (Lead waits for them): ride
				// out whatever took the lease (an apiserver outage, a
				// pause) and campaign again in this process.
				logger.Info("Lost the leader lease; every worker stopped; campaigning again")
				c.metrics.leadershipLost()
			case err != nil:
				return fmt.Errorf("leader election: %w", err)
			default:
				return errors.New("leader election ended without a lost lease or a signal")
			}
		}
	})
	err = g.Wait()
	if parent.Err() != nil {
		return ErrStopped
	}
	if err == nil {
		// Nothing may end without ctx ending.
		err = errors.New("the controller stopped without a signal")
	}
	return err
}
