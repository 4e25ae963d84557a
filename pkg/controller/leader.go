package controller

import (
	"context"
	"errors"
	"os"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// LeaderElection configures the Lease that makes one replica the active one.
type LeaderElection struct {
	Enabled   bool
	Namespace string
	Name      string
	// Identity of this replica; hostname plus a random suffix when empty.
	Identity      string
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
}

// ErrLeadershipLost is returned when this replica loses the lease: the
// process should exit so it restarts as a follower rather than keep acting.
var ErrLeadershipLost = errors.New("leader election lost")

// RunLeading calls run while this replica leads (or at once when leader
// election is off) and returns when ctx ends or leadership is lost.
func RunLeading(ctx context.Context, kube kubernetes.Interface, le LeaderElection, onLeader func(bool), run func(context.Context)) error {
	if !le.Enabled {
		onLeader(true)
		run(ctx)
		return nil
	}
	id := le.Identity
	if id == "" {
		host, _ := os.Hostname()
		id = host + "_" + string(uuid.NewUUID())
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: le.Namespace, Name: le.Name},
		Client:     kube.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: id},
	}
	logger := klog.FromContext(ctx)
	lost := false
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   orDefault(le.LeaseDuration, 15*time.Second),
		RenewDeadline:   orDefault(le.RenewDeadline, 10*time.Second),
		RetryPeriod:     orDefault(le.RetryPeriod, 2*time.Second),
		ReleaseOnCancel: true,
		Name:            le.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				logger.Info("Started leading", "identity", id)
				onLeader(true)
				run(ctx)
			},
			OnStoppedLeading: func() {
				onLeader(false)
				if ctx.Err() == nil {
					lost = true
					logger.Info("Stopped leading", "identity", id)
				}
			},
			OnNewLeader: func(current string) {
				if current != id {
					logger.Info("Another replica leads", "leader", current)
				}
			},
		},
	})
	if err != nil {
		return err
	}
	elector.Run(ctx)
	if lost {
		return ErrLeadershipLost
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
