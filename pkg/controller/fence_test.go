package controller

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/kafkalink/kafkalink/pkg/credentials"
)

// fakeLock is a resourcelock.Interface whose writes succeed or fail on demand.
type fakeLock struct {
	resourcelock.Interface
	id   string
	fail bool
}

func (l *fakeLock) Identity() string { return l.id }
func (l *fakeLock) Create(context.Context, resourcelock.LeaderElectionRecord) error {
	if l.fail {
		return errors.New("apiserver unavailable")
	}
	return nil
}
func (l *fakeLock) Update(ctx context.Context, r resourcelock.LeaderElectionRecord) error {
	return l.Create(ctx, r)
}

func TestFence(t *testing.T) {
	ctx := context.Background()
	f := &Fence{}
	if !errors.Is(f.Check(), ErrFenced) {
		t.Fatal("a replica that never renewed holds the fence")
	}
	inner := &fakeLock{id: "me"}
	lock := &fencedLock{Interface: inner, fence: f, deadline: 200 * time.Millisecond}
	if err := lock.Create(ctx, resourcelock.LeaderElectionRecord{HolderIdentity: "me"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Check(); err != nil {
		t.Fatalf("fence not held right after acquiring: %v", err)
	}
	// A release (empty holder) or another holder's record renews nothing.
	time.Sleep(120 * time.Millisecond)
	_ = lock.Update(ctx, resourcelock.LeaderElectionRecord{HolderIdentity: ""})
	_ = lock.Update(ctx, resourcelock.LeaderElectionRecord{HolderIdentity: "other"})
	// Failed renewals (the apiserver is down) renew nothing either.
	inner.fail = true
	_ = lock.Update(ctx, resourcelock.LeaderElectionRecord{HolderIdentity: "me"})
	time.Sleep(100 * time.Millisecond)
	if err := f.Check(); !errors.Is(err, ErrFenced) {
		t.Fatalf("fence still held %v after the last successful renewal: %v", 220*time.Millisecond, err)
	}
	inner.fail = false
	if err := lock.Update(ctx, resourcelock.LeaderElectionRecord{HolderIdentity: "me"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Check(); err != nil {
		t.Fatalf("a successful renewal did not restore the fence: %v", err)
	}
	f.drop()
	if !errors.Is(f.Check(), ErrFenced) {
		t.Error("fence held after leadership was dropped")
	}
}

// countingREST counts calls; every method succeeds.
type countingREST struct {
	RESTClient
	reads, writes int
}

func (c *countingREST) ListAllMirrors(context.Context, string) ([]Mirror, error) {
	c.reads++
	return nil, nil
}
func (c *countingREST) CreateLink(context.Context, string, CreateLinkRequest) error {
	c.writes++
	return nil
}
func (c *countingREST) DeleteLink(context.Context, string, string) error { c.writes++; return nil }
func (c *countingREST) AlterLinkConfigs(context.Context, string, string, map[string]string) error {
	c.writes++
	return nil
}
func (c *countingREST) CreateMirror(context.Context, string, string, CreateMirrorRequest) error {
	c.writes++
	return nil
}
func (c *countingREST) AlterMirrors(context.Context, string, string, MirrorAction, []string) (map[string]MirrorCheck, error) {
	c.writes++
	return nil, nil
}
func (c *countingREST) ValidateMirrors(context.Context, string, string, MirrorAction, []string) (map[string]MirrorCheck, error) {
	return nil, nil
}
func (c *countingREST) DeleteTopic(context.Context, string, string) error { c.writes++; return nil }

// Every REST write checks the fence; reads do not need it.
func TestFencedRESTRefusesEveryWrite(t *testing.T) {
	ctx := context.Background()
	inner := &countingREST{}
	held := false
	fence := func() error {
		if held {
			return nil
		}
		return ErrFenced
	}
	c, err := fencedFactory(func(RESTConfig) (RESTClient, error) { return inner, nil }, fence)(RESTConfig{})
	if err != nil {
		t.Fatal(err)
	}
	writes := map[string]func() error{
		"CreateLink":       func() error { return c.CreateLink(ctx, "c", CreateLinkRequest{}) },
		"DeleteLink":       func() error { return c.DeleteLink(ctx, "c", "l") },
		"AlterLinkConfigs": func() error { return c.AlterLinkConfigs(ctx, "c", "l", nil) },
		"CreateMirror":     func() error { return c.CreateMirror(ctx, "c", "l", CreateMirrorRequest{}) },
		"AlterMirrors":     func() error { _, err := c.AlterMirrors(ctx, "c", "l", ActionFailover, []string{"t"}); return err },
		"DeleteTopic":      func() error { return c.DeleteTopic(ctx, "c", "t") },
	}
	for name, w := range writes {
		if err := w(); !errors.Is(err, ErrFenced) {
			t.Errorf("%s without the fence: err = %v", name, err)
		}
	}
	if inner.writes != 0 {
		t.Fatalf("%d writes went through without the fence", inner.writes)
	}
	if _, err := c.ListAllMirrors(ctx, "c"); err != nil || inner.reads != 1 {
		t.Errorf("a read was refused: %v", err)
	}
	held = true
	for name, w := range writes {
		if err := w(); err != nil {
			t.Errorf("%s with the fence: %v", name, err)
		}
	}
	if inner.writes != len(writes) {
		t.Errorf("%d writes with the fence, want %d", inner.writes, len(writes))
	}
}

// A term that loses its Lease (renewals fail: the apiserver is down)
// has stopped — its run function returned — before RunLeading returns, so
// the manager's next term can never overlap it; and the fence is closed.
func TestRunLeadingReturnsAfterTheTerm(t *testing.T) {
	client := fake.NewClientset()
	var failing atomic.Bool
	client.PrependReactor("update", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		if failing.Load() {
			return true, nil, errors.New("apiserver unavailable")
		}
		return false, nil, nil
	})
	fence := &Fence{}
	var running atomic.Bool
	le := LeaderElection{Enabled: true, Namespace: "ns", Name: "lease", Identity: "me",
		LeaseDuration: time.Second, RenewDeadline: 300 * time.Millisecond, RetryPeriod: 50 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := RunLeading(ctx, client, le, fence, func(bool) {}, func(ctx context.Context) {
		running.Store(true)
		if err := fence.Check(); err != nil {
			t.Errorf("fence not held when the term starts: %v", err)
		}
		failing.Store(true)
		<-ctx.Done()
		time.Sleep(200 * time.Millisecond) // workers finishing their item
		running.Store(false)
	})
	if !errors.Is(err, ErrLeadershipLost) {
		t.Fatalf("RunLeading = %v, want ErrLeadershipLost", err)
	}
	if running.Load() {
		t.Error("RunLeading returned while the term was still running")
	}
	if fence.Check() == nil {
		t.Error("fence held after the Lease was lost")
	}
}

// The fence and the answer recorder wrap the REST client without hiding
// the API prefix it discovered (KafkaRestClass status.apiPrefix, which a
// leader-elected controller — always fenced — would otherwise leave empty).
func TestWrappedClientKeepsAPIPrefix(t *testing.T) {
	r := newREST(t)
	cache := newRESTClientCache(fencedFactory(DefaultRESTClientFactory(nil), func() error { return nil }), nil, nil)
	e, err := cache.get("ns/krc", RESTConfig{Endpoint: r.dst.URL, Credentials: &credentials.RestCredentials{Username: "key", Password: "secret"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.ClusterID(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := apiPrefix(e.client); p != "/kafka/v3" {
		t.Errorf("API prefix through the wrappers %q, want /kafka/v3", p)
	}
	if a := cache.lastAnswer(e); a == nil || a.failed || a.clusterID != "lkc-cloud" {
		t.Errorf("last answer %+v", a)
	}
}

// A fence that closes in the middle of a reconcile stops it there: the
// writes after it are not sent, and what this replica saw is not its to
// report — no status write, no Warning Event — since another replica may
// lead by now.
func TestFenceClosingMidReconcileWritesNothingMore(t *testing.T) {
	names, topics := tenTopics("t")
	r := newREST(t, names...)
	var checks atomic.Int32
	fence := func() error {
		if checks.Add(1) > 3 {
			return ErrFenced
		}
		return nil
	}
	f := newFixture(t, fencedFactory(DefaultRESTClientFactory(nil), fence), r.objects(clusterLink("demo", topics...))...)
	f.resetActions()
	_, err := f.sync("demo")
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("sync: %v, want ErrFenced", err)
	}
	writes := r.restWrites(0)
	if len(writes) != 3 || writes[0] != "POST /clusters/{cluster_id}/links" {
		t.Errorf("REST writes %v, want the link and two mirrors created before the fence closed, nothing after", writes)
	}
	if n := f.statusWrites(); n != 0 {
		t.Errorf("%d status writes after the fence closed", n)
	}
	for _, e := range f.events() {
		if strings.HasPrefix(e, "Warning") {
			t.Errorf("Warning Event after the fence closed: %s", e)
		}
	}
}

// Every method of RESTClient that is not a read is fenced: the list comes
// from the interface itself, so a write method added later without a
// fenced wrapper fails here rather than slipping through unfenced.
func TestEveryRESTWriteMethodIsFenced(t *testing.T) {
	reads := map[string]bool{"ClusterID": true, "GetLink": true, "LinkNames": true, "ListLinks": true, "ListAllMirrors": true,
		"ListLinkConfigs": true, "ListMirrors": true, "ValidateMirrors": true}
	inner := &countingREST{}
	c, err := fencedFactory(func(RESTConfig) (RESTClient, error) { return inner, nil }, func() error { return ErrFenced })(RESTConfig{})
	if err != nil {
		t.Fatal(err)
	}
	iface := reflect.TypeFor[RESTClient]()
	v := reflect.ValueOf(c)
	for i := range iface.NumMethod() {
		m := iface.Method(i)
		if reads[m.Name] {
			continue
		}
		args := make([]reflect.Value, m.Type.NumIn())
		for j := range args {
			in := m.Type.In(j)
			if in == reflect.TypeFor[context.Context]() {
				args[j] = reflect.ValueOf(context.Background())
				continue
			}
			args[j] = reflect.Zero(in)
		}
		out := v.MethodByName(m.Name).Call(args)
		errv := out[len(out)-1]
		if e, _ := errv.Interface().(error); !errors.Is(e, ErrFenced) {
			t.Errorf("%s is not fenced (err %v): wrap it in fencedREST, or list it as a read here if it changes nothing", m.Name, e)
		}
	}
	if inner.writes != 0 {
		t.Errorf("%d writes reached the inner client", inner.writes)
	}
}
