package webhook

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	metadatafake "k8s.io/client-go/metadata/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kafkalink/kafkalink/pkg/certs"
	"github.com/kafkalink/kafkalink/pkg/generated/clientset/versioned/fake"
)

// TestReadyOnlyOnceCachesSynced: the webhook serves, but /readyz stays
// 503 while its reference caches cannot sync (here: listing
// KafkaRestClasses fails, as with a missing RBAC rule), and turns 200 once
// they do — a replica that could only deny is never sent traffic.
func TestReadyOnlyOnceCachesSynced(t *testing.T) {
	dir := t.TempDir()
	if _, err := certs.WriteServingPair(dir, []string{"127.0.0.1"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	classes := fake.NewSimpleClientset()
	var listable atomic.Bool
	classes.PrependReactor("list", "kafkarestclasses", func(clienttesting.Action) (bool, runtime.Object, error) {
		if !listable.Load() {
			return true, nil, errors.New("kafkarestclasses is forbidden")
		}
		return false, nil, nil
	})
	scheme := runtime.NewScheme()
	_ = metav1.AddMetaToScheme(scheme)
	_ = corev1.AddToScheme(scheme)
	lookup, err := NewCacheLookup(classes, metadatafake.NewSimpleMetadataClient(scheme))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	maddr := mln.Addr().String()
	mln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Options{Listener: ln, CertDir: dir, MetricsAddr: maddr, Lookup: lookup}) }()
	defer func() {
		cancel()
		<-done
	}()
	readyz := func() (int, string) {
		resp, err := http.Get("http://" + maddr + "/readyz")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Serving, but not ready.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := readyz()
		if code == http.StatusServiceUnavailable && strings.Contains(body, "synced") {
			break
		}
		if code == http.StatusOK {
			t.Fatalf("ready before the caches synced: %s", body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz: %d %s", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range 5 {
		time.Sleep(100 * time.Millisecond)
		if code, body := readyz(); code != http.StatusServiceUnavailable {
			t.Fatalf("/readyz %d %s while the caches cannot sync", code, body)
		}
	}
	// The list succeeds: ready.
	listable.Store(true)
	deadline = time.Now().Add(30 * time.Second)
	for {
		code, body := readyz()
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready after the caches could sync: %d %s", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
