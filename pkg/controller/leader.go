package controller

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
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

// ErrLeadershipLost is returned when this replica loses the lease; the
// manager stops every worker and campaigns again.
var ErrLeadershipLost = errors.New("leader election lost")

// ErrFenced refuses an action of a replica that may no longer hold the
// lease.
var ErrFenced = errors.New("this replica may no longer hold the leader lease")

// Fence says whether this replica may act. With leader election, that is
// only while its last successful renewal of the Lease lies within the renew
// deadline on the monotonic clock, which keeps running while a process is
// frozen (SIGSTOP, a long GC pause) or cut off from the apiserver. Another
// replica takes over only after the lease duration, which is longer, so a
// replica that resumes late finds its fence closed before its elector has
// even noticed the lost lease.
type Fence struct {
	mu       sync.Mutex
	renewed  time.Time // monotonic reading taken before the renewal was sent
	deadline time.Duration
	held     bool
}

// Check returns nil while the fence is held.
func (f *Fence) Check() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.held {
		return fmt.Errorf("%w: not leading", ErrFenced)
	}
	if age := time.Since(f.renewed); age >= f.deadline {
		return fmt.Errorf("%w: last renewal %s ago, renew deadline %s", ErrFenced, age.Round(time.Millisecond), f.deadline)
	}
	return nil
}

func (f *Fence) renewedAt(t time.Time, deadline time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renewed, f.deadline, f.held = t, deadline, true
}

func (f *Fence) drop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held = false
}

// fencedLock records, in the fence, every renewal of the Lease that
// succeeded for this replica.
type fencedLock struct {
	resourcelock.Interface
	fence    *Fence
	deadline time.Duration
}

func (l *fencedLock) Create(ctx context.Context, rec resourcelock.LeaderElectionRecord) error {
	start := time.Now()
	err := l.Interface.Create(ctx, rec)
	if err == nil && rec.HolderIdentity == l.Identity() {
		l.fence.renewedAt(start, l.deadline)
	}
	return err
}

func (l *fencedLock) Update(ctx context.Context, rec resourcelock.LeaderElectionRecord) error {
	start := time.Now()
	err := l.Interface.Update(ctx, rec)
	if err == nil && rec.HolderIdentity == l.Identity() {
		l.fence.renewedAt(start, l.deadline)
	}
	return err
}

// RunLeading calls run while this replica leads (or at once when leader
// election is off) and returns when ctx ends or leadership is lost. fence,
// when set, is held only between successful renewals.
func RunLeading(ctx context.Context, kube kubernetes.Interface, le LeaderElection, fence *Fence, onLeader func(bool), run func(context.Context)) error {
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
	renewDeadline := orDefault(le.RenewDeadline, 10*time.Second)
	var lock resourcelock.Interface = &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: le.Namespace, Name: le.Name},
		Client:     kube.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: id},
	}
	if fence == nil {
		fence = &Fence{}
	}
	lock = &fencedLock{Interface: lock, fence: fence, deadline: renewDeadline}
	logger := klog.FromContext(ctx)
	lost := false
	terms := make(chan context.Context, 1)
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   orDefault(le.LeaseDuration, 15*time.Second),
		RenewDeadline:   renewDeadline,
		RetryPeriod:     orDefault(le.RetryPeriod, 2*time.Second),
		ReleaseOnCancel: true,
		Name:            le.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			// The elector calls this in a goroutine and does not wait for
			// it; RunLeading runs the term itself, so it returns only after
			// the term's work has stopped and a next term never overlaps.
			OnStartedLeading: func(ctx context.Context) { terms <- ctx },
			OnStoppedLeading: func() {
				fence.drop()
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
	done := make(chan struct{})
	go func() { elector.Run(ctx); close(done) }()
	lead := func(term context.Context) {
		if term.Err() != nil {
			return
		}
		logger.Info("Started leading", "identity", id)
		onLeader(true)
		run(term) // returns once Run has cancelled the term (renewal failed) or ctx ended
	}
	select {
	case term := <-terms:
		lead(term)
		<-done
	case <-done:
		select {
		case term := <-terms:
			lead(term)
		default:
		}
	}
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
