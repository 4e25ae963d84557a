package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/certs"
	"github.com/kafkalink/kafkalink/pkg/devenv"
	"github.com/kafkalink/kafkalink/pkg/generated/clientset/versioned"
	"github.com/kafkalink/kafkalink/pkg/localcluster"
	"github.com/kafkalink/kafkalink/test/webhookload"
)

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// binaries builds the shipped controller and webhook once for the suite.
func binaries(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		root, err := devenv.RepoRoot()
		if err != nil {
			binErr = err
			return
		}
		binDir, binErr = os.MkdirTemp("", "kafkalink-e2e-bin-")
		if binErr != nil {
			return
		}
		build := exec.Command("go", "build", "-o", binDir+"/", "./cmd/kafkalink-controller", "./cmd/kafkalink-webhook", "./cmd/kubectl-kafkalink")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binDir
}

// A tenant whose KafkaRestClass does not admit its namespace is denied
// every time, however many of its requests arrive at once: the reference
// check reads a cache and never fails open.
func TestForbiddenReferenceDeniedUnderLoad(t *testing.T) {
	for _, ns := range []string{"e2e-tenant", "e2e-platform"} {
		if out, err := kubectlErr(t, "create", "namespace", ns); err != nil && !strings.Contains(out, "AlreadyExists") {
			t.Fatalf("create namespace %s: %v\n%s", ns, err, out)
		}
	}
	if out, err := applyYAML(t, `apiVersion: kafkalink.io/v1alpha1
kind: KafkaRestClass
metadata: {name: krc-platform, namespace: e2e-platform}
spec:
  kafkaRest: {endpoint: "https://rest.platform:8090"}
  allowedNamespaces: [team-a]
`); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	dir := t.TempDir()
	link := func(i int) string {
		f := filepath.Join(dir, fmt.Sprintf("link-%03d.yaml", i))
		m := strings.ReplaceAll(clusterLink(fmt.Sprintf("steal-%03d", i), "", "orders"), "namespace: operator", "namespace: e2e-tenant")
		m = strings.Replace(m, "      name: krc-cloud\n", "      name: krc-platform\n      namespace: e2e-platform\n", 1)
		if err := os.WriteFile(f, []byte(m), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	const denial = `does not allow ClusterLinks from namespace "e2e-tenant"`
	// The class reaches the webhook's cache through its watch; until then
	// it "does not exist yet" (a warning). Wait for the cache, as a user
	// applying later would meet it.
	first := link(0)
	eventually(t, 30*time.Second, "the webhook's cache to hold the class", func() string {
		out, _ := kubectlErr(t, "apply", "--dry-run=server", "-f", first)
		if !strings.Contains(out, denial) {
			return out
		}
		return ""
	})
	const n = 200
	files := make([]string, n)
	for i := range files {
		files[i] = link(i)
	}
	var denied, admitted, other atomic.Int32
	var otherOut atomic.Value
	var wg sync.WaitGroup
	// 200 tenants would run kubectl on 200 machines; here every kubectl
	// shares two cores with the apiserver and the webhook, and 200 runnable
	// kubectl processes would leave each server about 1 % of the CPU (its
	// calls then time out, which the apiserver turns into a refusal, but
	// not the webhook's). The clients run niced: all 200 requests are still
	// in flight at once, and the servers get the CPU they would have.
	niceKubectl := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "nice", append([]string{"-n", "19", "kubectl", "--kubeconfig", env.Kubeconfig}, args...)...).CombinedOutput()
		return string(out), err
	}
	for _, f := range files {
		wg.Go(func() {
			out, err := niceKubectl("apply", "--dry-run=server", "-f", f)
			switch {
			case err == nil:
				admitted.Add(1)
			case strings.Contains(out, denial):
				denied.Add(1)
			default:
				other.Add(1)
				otherOut.Store(out)
			}
		})
	}
	wg.Wait()
	t.Logf("%d parallel dry-run applies: %d denied, %d admitted, %d other", n, denied.Load(), admitted.Load(), other.Load())
	if admitted.Load() != 0 || denied.Load() != n {
		t.Errorf("want %d denied and 0 admitted; got %d denied, %d admitted, %d other (e.g. %v)", n, denied.Load(), admitted.Load(), other.Load(), otherOut.Load())
	}
}

// The largest ClusterLink the CRD allows, every topic invalid, is denied
// through kubectl apply (server-side) in under a second, with a bounded
// message.
func TestLargestInvalidLinkDeniedFast(t *testing.T) {
	maxItems, err := strconv.Atoi(kubectl(t, "get", "crd", "clusterlinks.kafkalink.io", "-o",
		"jsonpath={.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.mirrorTopics.maxItems}"))
	if err != nil || maxItems < 100 {
		t.Fatalf("mirrorTopics maxItems: %d %v", maxItems, err)
	}
	topics := make([]string, maxItems)
	for i := range topics {
		topics[i] = fmt.Sprintf("topic-%05d=FAILOVER", i)
	}
	f := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(f, []byte(clusterLink("largest-invalid", "", topics...)), 0o600); err != nil {
		t.Fatal(err)
	}
	best := time.Hour
	for range 3 {
		start := time.Now()
		// Server-side: client-side apply of this many topics would also
		// hit the 256 KiB limit of its last-applied annotation.
		out, err := kubectlErr(t, "apply", "--server-side", "-f", f)
		d := time.Since(start)
		if err == nil {
			t.Fatalf("a ClusterLink with %d new topics in FAILOVER was admitted", maxItems)
		}
		if !strings.Contains(out, fmt.Sprintf("and %d more errors", maxItems-50)) {
			t.Fatalf("denial does not summarise the errors past the first 50: %.600s", out)
		}
		if len(out) > 32<<10 {
			t.Errorf("denial of %d bytes", len(out))
		}
		best = min(best, d)
	}
	t.Logf("kubectl apply of a %d-topic ClusterLink, every topic invalid: denied in %v (best of 3)", maxItems, best)
	if best > time.Second {
		t.Errorf("denied in %v, want under 1s", best)
	}
}

// startWebhook runs the shipped webhook binary; stop sends SIGTERM and
// waits. Its log is printed when the test fails.
type process struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func startProcess(t *testing.T, path string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(path, args...)
	logf, err := os.CreateTemp(t.TempDir(), filepath.Base(path)+"-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, log: logf.Name(), done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			if len(b) > 20000 {
				b = b[len(b)-20000:]
			}
			t.Logf("%s output:\n%s", filepath.Base(path), b)
		}
	})
	return p
}

func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *process) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// 64 parallel reviews near the 3 MiB limit: the webhook's memory stays
// bounded and it survives, still answering.
func TestWebhookMemoryUnderLargeReviews(t *testing.T) {
	bin := binaries(t)
	certDir := t.TempDir()
	caPEM, err := certs.WriteServingPair(certDir, []string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := localcluster.FreePort()
	mport, _ := localcluster.FreePort()
	p := startProcess(t, filepath.Join(bin, "kafkalink-webhook"), "--kubeconfig", env.Kubeconfig, "--cert-dir", certDir,
		"--listen-address", fmt.Sprintf("127.0.0.1:%d", port), "--metrics-address", fmt.Sprintf("127.0.0.1:%d", mport), "--shutdown-delay", "0")
	eventually(t, 30*time.Second, "the webhook binary to be ready", func() string { return httpOK(fmt.Sprintf("http://127.0.0.1:%d/readyz", mport)) })
	url := fmt.Sprintf("https://127.0.0.1:%d/validate-clusterlink", port)
	client, err := webhookload.Client(caPEM, 64)
	if err != nil {
		t.Fatal(err)
	}
	body := webhookload.NearLimitReview("big", 3<<20-64<<10)
	if len(body) < 2900<<10 || len(body) >= 3<<20 {
		t.Fatalf("review of %d bytes is not near the 3 MiB limit", len(body))
	}
	before, _ := webhookload.PeakRSS(p.cmd.Process.Pid)
	answers := map[int]int{}
	var mu sync.Mutex
	for range 3 {
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				a, err := webhookload.Post(context.Background(), client, url, body)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					answers[-1]++
					return
				}
				answers[a.Code]++
			})
		}
		wg.Wait()
	}
	if !p.alive() {
		t.Fatal("the webhook died")
	}
	peak, err := webhookload.PeakRSS(p.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("3 rounds of 64 parallel %d-byte reviews: answers by HTTP code %v; peak RSS %d MiB (before: %d MiB)", len(body), answers, peak>>20, before>>20)
	if answers[-1] > 0 || answers[200]+answers[429] != 192 {
		t.Errorf("every review must be answered (200, or 429 to retry): %v", answers)
	}
	if answers[200] == 0 {
		t.Error("no review was answered")
	}
	if peak >= 150<<20 {
		t.Errorf("peak RSS %d MiB, want below 150 MiB", peak>>20)
	}
	small := webhookload.UpdateReview("small", 10, 0)
	if a, err := webhookload.Post(context.Background(), client, url, small); err != nil || a.Code != 200 {
		t.Errorf("after the burst the webhook does not answer: %v %d", err, a.Code)
	}
}

// loadBalancer is a TCP proxy in front of webhook replicas that sends new
// connections only to replicas whose /readyz answers, like a Service.
type loadBalancer struct {
	ln       net.Listener
	mu       sync.Mutex
	backends map[string]string // address -> readyz URL
	ready    map[string]bool
	next     int
}

func newLoadBalancer(t *testing.T) *loadBalancer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lb := &loadBalancer{ln: ln, backends: map[string]string{}, ready: map[string]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); ln.Close() })
	go func() {
		for ctx.Err() == nil {
			lb.mu.Lock()
			probes := map[string]string{}
			for a, u := range lb.backends {
				probes[a] = u
			}
			lb.mu.Unlock()
			for a, u := range probes {
				ok := httpOK(u) == ""
				lb.mu.Lock()
				lb.ready[a] = ok
				lb.mu.Unlock()
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go lb.proxy(c)
		}
	}()
	return lb
}

func (lb *loadBalancer) add(addr, readyz string) {
	lb.mu.Lock()
	lb.backends[addr] = readyz
	lb.mu.Unlock()
}

func (lb *loadBalancer) pick() string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	var ready []string
	for a := range lb.backends {
		if lb.ready[a] {
			ready = append(ready, a)
		}
	}
	if len(ready) == 0 {
		return ""
	}
	slices.Sort(ready)
	lb.next++
	return ready[lb.next%len(ready)]
}

func (lb *loadBalancer) proxy(c net.Conn) {
	defer c.Close()
	addr := lb.pick()
	if addr == "" {
		return
	}
	b, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, b); done <- struct{}{} }()
	<-done
}

// Two webhook replicas with self-managed certificates behind a load
// balancer: the certificate Secret is deleted, then one replica restarts,
// while admissions stream through the apiserver the whole time. None
// fails: the elected replica restores the Secret from its copy (the CA
// does not change) and the restarted replica serves it again.
func TestWebhookReplicasShareCertificates(t *testing.T) {
	root, err := devenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := binaries(t)
	if out, err := kubectlErr(t, "create", "namespace", "kafkalink-system"); err != nil && !strings.Contains(out, "AlreadyExists") {
		t.Fatalf("create namespace: %v\n%s", err, out)
	}
	_, webhookKubeconfig := shippedRBAC(t, root)
	lb := newLoadBalancer(t)
	// Only ClusterLinks labelled for this test pass through this
	// configuration (the suite's own webhook validates every one anyway).
	cfg := fmt.Sprintf(`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: kafkalink-e2e-selfmanaged
webhooks:
- name: clusterlinks.kafkalink.io
  admissionReviewVersions: ["v1"]
  sideEffects: None
  failurePolicy: Fail
  timeoutSeconds: 5
  clientConfig:
    url: https://%s/validate-clusterlink
  objectSelector:
    matchLabels: {kafkalink-e2e: replicas}
  rules:
  - apiGroups: ["kafkalink.io"]
    apiVersions: ["v1alpha1"]
    operations: ["CREATE"]
    resources: ["clusterlinks"]
`, lb.ln.Addr())
	if out, err := applyYAML(t, cfg); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		kubectl(t, "delete", "validatingwebhookconfiguration", "kafkalink-e2e-selfmanaged")
		_, _ = kubectlErr(t, "-n", "kafkalink-system", "delete", "secret", "kafkalink-e2e-certs", "--ignore-not-found")
	})
	replica := func() (*process, string) {
		port, _ := localcluster.FreePort()
		mport, _ := localcluster.FreePort()
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		p := startProcess(t, filepath.Join(bin, "kafkalink-webhook"), "--kubeconfig", webhookKubeconfig, "--manage-certificates",
			"--namespace", "kafkalink-system", "--certificate-secret", "kafkalink-e2e-certs", "--webhook-configuration", "kafkalink-e2e-selfmanaged",
			"--certificate-extra-hosts", "127.0.0.1", "--cert-dir", t.TempDir(), "--listen-address", addr,
			"--metrics-address", fmt.Sprintf("127.0.0.1:%d", mport), "--shutdown-delay", "2s")
		readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", mport)
		eventually(t, 60*time.Second, "a webhook replica to be ready", func() string { return httpOK(readyz) })
		lb.add(addr, readyz)
		return p, addr
	}
	_, addrA := replica()
	b, _ := replica()

	caBundle := func() string {
		return kubectl(t, "get", "validatingwebhookconfiguration", "kafkalink-e2e-selfmanaged", "-o", `go-template={{(index .webhooks 0).clientConfig.caBundle | base64decode}}`)
	}
	var ca string
	eventually(t, 30*time.Second, "the caBundle to be injected", func() string {
		if ca = caBundle(); !strings.Contains(ca, "BEGIN CERTIFICATE") {
			return "caBundle " + ca
		}
		return ""
	})
	// The served certificate chains to the injected CA and names the
	// Service; TLS 1.1 is refused.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(ca))
	conn, err := tls.Dial("tcp", addrA, &tls.Config{RootCAs: pool, ServerName: "kafkalink-webhook.kafkalink-system.svc", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("TLS to the webhook with the injected CA: %v", err)
	}
	conn.Close()
	if c, err := tls.Dial("tcp", addrA, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}); err == nil { //nolint:gosec // checking the refusal
		c.Close()
		t.Error("the webhook accepted TLS 1.1")
	}

	// The stream: dry-run creates through the apiserver, which calls the
	// replicas through the load balancer.
	kl, err := versioned.NewForConfig(env.Cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	var ok, failed atomic.Int32
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				cl := &kafkalinkv1alpha1.ClusterLink{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("stream-%d-%d", w, i), Namespace: "operator", Labels: map[string]string{"kafkalink-e2e": "replicas"}},
					Spec: kafkalinkv1alpha1.ClusterLinkSpec{
						DestinationKafkaCluster: kafkalinkv1alpha1.KafkaClusterSpec{KafkaRestClassRef: &kafkalinkv1alpha1.KafkaRestClassRef{Name: "krc-cloud"}},
						SourceKafkaCluster:      kafkalinkv1alpha1.KafkaClusterSpec{BootstrapEndpoint: devenv.SourceBootstrap},
					},
				}
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				_, err := kl.KafkalinkV1alpha1().ClusterLinks("operator").Create(ctx, cl, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				cancel()
				if err != nil {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
				} else {
					ok.Add(1)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	time.Sleep(2 * time.Second)
	uid := kubectl(t, "-n", "kafkalink-system", "get", "secret", "kafkalink-e2e-certs", "-o", "jsonpath={.metadata.uid}")
	kubectl(t, "-n", "kafkalink-system", "delete", "secret", "kafkalink-e2e-certs")
	eventually(t, 30*time.Second, "the certificate Secret to be recreated", func() string {
		got, err := kubectlErr(t, "-n", "kafkalink-system", "get", "secret", "kafkalink-e2e-certs", "-o", "jsonpath={.metadata.uid}")
		if err != nil || got == uid {
			return "not recreated yet: " + got
		}
		return ""
	})
	time.Sleep(time.Second)
	b.stop()
	replica()
	if caBundle() != ca {
		t.Error("the caBundle changed: the Secret was not restored from the replicas' copy")
	}
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	t.Logf("admission stream: %d answered, %d failed", ok.Load(), failed.Load())
	if failed.Load() != 0 {
		t.Errorf("%d admissions failed during the Secret deletion and the replica restart, e.g. %v", failed.Load(), firstFailure.Load())
	}
	if ok.Load() < 100 {
		t.Errorf("only %d admissions went through", ok.Load())
	}
}
