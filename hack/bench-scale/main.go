// Command bench-scale measures the controller at fleet scale against the
// shipped binaries (`make bench-scale`): N ClusterLinks × T mirror topics
// on one destination cluster, applied at once with kubectl, the controller
// and the webhook running as separate processes (pkg/devenv with
// Options.Binaries) against a real kube-apiserver and the REST emulator.
//
// Scenarios (-scenario):
//
//	fleet    apply → all Ready (split: apply, creation on the destination,
//	         status), REST calls by endpoint against the lower bound,
//	         REST calls and ClusterLink writes per steady-state resync,
//	         controller and webhook RSS; then the same steady state and RSS
//	         with -secrets unrelated Secrets of -secret-size bytes present.
//	outage   a source outage on the fleet: REST calls per link per minute
//	         while it lasts, time from its end until every link is Ready,
//	         and every REST write made meanwhile (there must be none).
//	largest  one ClusterLink at the CRD's maxItems topics: created with
//	         kubectl apply, server-side applied with --force-conflicts,
//	         converged with status written; object size and the p50 of a
//	         single admission (server-side dry-run apply round trip).
//
// Results go to stdout as Markdown, ready for docs/benchmarks.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/devenv"
	informers "github.com/kafkalink/kafkalink/pkg/generated/informers/externalversions"
)

const namespace = "operator" // the examples' namespace, KafkaRestClasses and Secrets

type config struct {
	scenario    string
	links       int
	topics      int
	secrets     int
	secretSize  int
	resync      time.Duration
	poll        time.Duration
	outageFor   time.Duration
	largestN    int
	bin         string
	keep        bool
	heapProfile string
	workers     int
	timeout     time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.scenario, "scenario", "fleet", "fleet, outage or largest")
	flag.IntVar(&cfg.links, "n", 100, "ClusterLinks (fleet, outage)")
	flag.IntVar(&cfg.topics, "topics", 10, "mirror topics per ClusterLink (fleet, outage)")
	flag.IntVar(&cfg.secrets, "secrets", 5000, "unrelated Secrets added after the fleet converged (fleet; 0 skips)")
	flag.IntVar(&cfg.secretSize, "secret-size", 10*1024, "bytes of data per unrelated Secret")
	flag.DurationVar(&cfg.resync, "resync-period", 30*time.Second, "the controller's --resync-period (steady state is measured over one)")
	flag.DurationVar(&cfg.poll, "transition-poll-interval", 5*time.Second, "the controller's --transition-poll-interval")
	flag.DurationVar(&cfg.outageFor, "outage-for", 2*time.Minute, "how long the source outage lasts (outage)")
	flag.IntVar(&cfg.largestN, "largest-topics", 0, "topics of the largest link (largest; 0: the CRD's maxItems)")
	flag.StringVar(&cfg.bin, "bin", "", "directory with built kafkalink-controller and kafkalink-webhook (default: build them)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the run directory (logs)")
	flag.IntVar(&cfg.workers, "workers", 16, "the controller's --workers (the manifests' value)")
	flag.StringVar(&cfg.heapProfile, "heap-profile", "", "write the controller's heap profile here at the end of the fleet scenario")
	flag.DurationVar(&cfg.timeout, "timeout", 15*time.Minute, "give up after this long")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench-scale:", err)
		os.Exit(1)
	}
}

type bench struct {
	cfg  config
	env  *devenv.Env
	kube kubernetes.Interface
	out  *bufio.Writer
	tmp  string
}

func run(ctx context.Context, cfg config) error {
	root, err := devenv.RepoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "bench-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if cfg.bin == "" {
		cfg.bin = filepath.Join(tmp, "bin")
		build := exec.CommandContext(ctx, "go", "build", "-o", cfg.bin+"/", "./cmd/kafkalink-controller", "./cmd/kafkalink-webhook")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %w\n%s", err, out)
		}
	}
	env, err := devenv.Start(ctx, devenv.Options{
		Binaries: cfg.bin, Keep: cfg.keep, Progress: os.Stderr,
		ControllerArgs: []string{"--resync-period=" + cfg.resync.String(), "--transition-poll-interval=" + cfg.poll.String(), "--profiling", "--workers=" + strconv.Itoa(cfg.workers)},
	})
	if err != nil {
		return err
	}
	defer func() {
		if cfg.keep {
			fmt.Fprintln(os.Stderr, "bench-scale: run directory kept:", env.Dir)
		}
		_ = env.Stop()
	}()
	kube, err := kubernetes.NewForConfig(env.Cluster.Config)
	if err != nil {
		return err
	}
	b := &bench{cfg: cfg, env: env, kube: kube, out: bufio.NewWriter(os.Stdout), tmp: tmp}
	defer b.out.Flush()
	examples, err := env.PrepareExamples(filepath.Join(root, "artifacts", "examples"), filepath.Join(tmp, "examples"))
	if err != nil {
		return err
	}
	for _, f := range examples {
		if base := filepath.Base(f); base == "00-namespace-and-secrets.yaml" || base == "01-kafkarestclasses.yaml" {
			if out, err := env.Kubectl(ctx, "apply", "-f", f); err != nil {
				return fmt.Errorf("apply %s: %w\n%s", base, err, out)
			}
		}
	}
	b.machine()
	switch cfg.scenario {
	case "fleet":
		return b.fleet(ctx)
	case "outage":
		return b.outage(ctx)
	case "largest":
		return b.largest(ctx)
	}
	return fmt.Errorf("unknown scenario %q", cfg.scenario)
}

func (b *bench) printf(format string, args ...any) {
	fmt.Fprintf(b.out, format, args...)
	b.out.Flush()
}

func (b *bench) machine() {
	model := "unknown CPU"
	if f, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(f), "\n") {
			if strings.HasPrefix(line, "model name") {
				model = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	mem := ""
	if f, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(f), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf(", %.0f GiB", float64(kb)/1024/1024)
	}
	b.printf("Machine: %d cores (%s)%s, %s/%s, %s. Controller flags: --resync-period=%s --transition-poll-interval=%s, client defaults (QPS/burst).\n\n",
		runtime.NumCPU(), model, mem, runtime.GOOS, runtime.GOARCH, runtime.Version(), b.cfg.resync, b.cfg.poll)
}

// linkName and topicName name the generated objects.
func linkName(i int) string { return fmt.Sprintf("link-%04d", i) }

// topicName is 48 characters long, a realistic production topic name
// (the sizes of the largest link scale with it).
func topicName(i, j int) string {
	return fmt.Sprintf("prod.eu-west-1.payments.settlement-%04d.v2.%05d", i, j)
}

// fleetYAML writes n ClusterLinks with t topics each to a file; the source
// topics are created on the emulated source cluster.
func (b *bench) fleetYAML(first, n, t int) (string, error) {
	src := b.env.Emulator.Cluster(devenv.SourceClusterID)
	var buf bytes.Buffer
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&buf, `---
apiVersion: kafkalink.io/v1alpha1
kind: ClusterLink
metadata:
  name: %s
  namespace: %s
spec:
  destinationKafkaCluster:
    kafkaRestClassRef: {name: krc-cloud, namespace: %s}
  sourceKafkaCluster:
    bootstrapEndpoint: %s
    clusterID: %s
    authentication: {type: plain, jaasConfig: {secretRef: plainpassjks}}
  mirrorTopics:
`, linkName(i), namespace, namespace, devenv.SourceBootstrap, devenv.SourceClusterID)
		for j := 0; j < t; j++ {
			src.CreateTopic(topicName(i, j), 1)
			fmt.Fprintf(&buf, "  - name: %s\n", topicName(i, j))
		}
	}
	path := filepath.Join(b.tmp, fmt.Sprintf("links-%d-%d.yaml", first, n))
	return path, os.WriteFile(path, buf.Bytes(), 0o600)
}

// tracker follows ClusterLinks through an informer: when each first had
// the finalizer and first was Ready.
type tracker struct {
	mu        sync.Mutex
	finalized map[string]time.Time
	ready     map[string]time.Time
	notReady  map[string]bool
	lastSize  map[string]int
}

func (b *bench) track(ctx context.Context) *tracker {
	tr := &tracker{finalized: map[string]time.Time{}, ready: map[string]time.Time{}, notReady: map[string]bool{}, lastSize: map[string]int{}}
	f := informers.NewSharedInformerFactoryWithOptions(b.env.Kafkalink, 0, informers.WithNamespace(namespace))
	inf := f.Kafkalink().V1alpha1().ClusterLinks().Informer()
	see := func(obj any) {
		cl, ok := obj.(*kafkalinkv1alpha1.ClusterLink)
		if !ok {
			return
		}
		now := time.Now()
		tr.mu.Lock()
		defer tr.mu.Unlock()
		if _, ok := tr.finalized[cl.Name]; !ok && slices.Contains(cl.Finalizers, kafkalinkv1alpha1.FinalizerClusterLink) {
			tr.finalized[cl.Name] = now
		}
		ready := false
		for _, c := range cl.Status.Conditions {
			if c.Type == kafkalinkv1alpha1.ConditionReady && c.Status == metav1.ConditionTrue && c.ObservedGeneration == cl.Generation {
				ready = true
			}
		}
		if _, ok := tr.ready[cl.Name]; !ok && ready {
			tr.ready[cl.Name] = now
		}
		tr.notReady[cl.Name] = !ready
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: see, UpdateFunc: func(_, o any) { see(o) }})
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	return tr
}

func (tr *tracker) counts() (finalized, ready, notReadyNow int, last time.Time) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, t := range tr.ready {
		if t.After(last) {
			last = t
		}
	}
	for _, nr := range tr.notReady {
		if nr {
			notReadyNow++
		}
	}
	return len(tr.finalized), len(tr.ready), notReadyNow, last
}

func (tr *tracker) resetReady() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.ready = map[string]time.Time{}
}

// writes are apiserver ClusterLink write requests by verb and subresource,
// from the apiserver's own apiserver_request_total.
type writes map[string]float64

func (w writes) total() float64 {
	var n float64
	for _, v := range w {
		n += v
	}
	return n
}

func (w writes) minus(o writes) writes {
	out := writes{}
	for k, v := range w {
		if d := v - o[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func (w writes) String() string {
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.0f", k, w[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func (b *bench) clusterLinkWrites(ctx context.Context) (writes, error) {
	return b.apiserverWrites(ctx, "clusterlinks")
}

// apiserverWrites are the apiserver's write requests on resource (by verb
// and subresource), dry runs excluded.
func (b *bench) apiserverWrites(ctx context.Context, resource string) (writes, error) {
	raw, err := b.kube.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	out := writes{}
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "apiserver_request_total{") || !strings.Contains(line, `resource="`+resource+`"`) {
			continue
		}
		verb := label(line, "verb")
		if verb == "GET" || verb == "LIST" || verb == "WATCH" || label(line, "dry_run") != "" {
			continue
		}
		key := verb
		if sub := label(line, "subresource"); sub != "" {
			key += " " + sub
		}
		v, _ := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		out[key] += v
	}
	return out, nil
}

func label(line, name string) string {
	i := strings.Index(line, name+`="`)
	if i < 0 {
		return ""
	}
	rest := line[i+len(name)+2:]
	return rest[:strings.Index(rest, `"`)]
}

// restCalls are the emulator's requests by "METHOD endpoint" since mark.
func (b *bench) restCalls(mark int) (map[string]int, int) {
	reqs := b.env.Emulator.Requests()
	out := map[string]int{}
	for _, r := range reqs[mark:] {
		if r.Cluster != devenv.DestinationClusterID {
			continue
		}
		out[r.Method+" "+r.Endpoint]++
	}
	return out, len(reqs)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func sortedCalls(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// rss reads a process's resident set and its peak, in MiB.
func rss(pid int) (now, peak float64) {
	f, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(f), "\n") {
		var kb float64
		if _, err := fmt.Sscanf(line, "VmRSS: %f kB", &kb); err == nil {
			now = kb / 1024
		}
		if _, err := fmt.Sscanf(line, "VmHWM: %f kB", &kb); err == nil {
			peak = kb / 1024
		}
	}
	return now, peak
}

func (b *bench) memory(label string) {
	c, cp := rss(b.env.PIDs["kafkalink-controller"])
	w, wp := rss(b.env.PIDs["kafkalink-webhook"])
	b.printf("| RSS %s | controller %.0f MiB (peak %.0f; Go heap in use %.0f MiB), webhook %.0f MiB (peak %.0f) |\n", label, c, cp, heapInUse(b.env.MetricsAddr), w, wp)
}

// heapInUse reads go_memstats_heap_inuse_bytes from a process's /metrics,
// in MiB (0 when it cannot).
func heapInUse(addr string) float64 {
	out, err := exec.Command("curl", "-sf", "http://"+addr+"/metrics").Output()
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "go_memstats_heap_inuse_bytes "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f / (1 << 20)
		}
	}
	return 0
}

// waitFor polls cond every 100ms until it holds or ctx ends.
func waitFor(ctx context.Context, what string, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// applyFleet applies n links and waits until all are Ready, reporting the
// split of the time.
func (b *bench) applyFleet(ctx context.Context, tr *tracker, n, t int) error {
	file, err := b.fleetYAML(0, n, t)
	if err != nil {
		return err
	}
	dst := b.env.Emulator.Cluster(devenv.DestinationClusterID)
	whBefore := b.webhookSeconds(ctx)
	mark := len(b.env.Emulator.Requests())
	wBefore, err := b.clusterLinkWrites(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	var created atomic.Int64
	go func() {
		for ctx.Err() == nil {
			if len(dst.Links()) >= n {
				total := 0
				for _, l := range dst.Links() {
					total += len(dst.Mirrors(l))
				}
				if total >= n*t {
					created.Store(int64(time.Since(start)))
					return
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	// A GitOps tool retries a failed apply; so does the benchmark (at
	// most twice), and it reports every failure.
	var failures []string
	for attempt := 0; ; attempt++ {
		out, err := b.env.Kubectl(ctx, "apply", "-f", file)
		if err == nil {
			break
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "Error from server") {
				failures = append(failures, line)
			}
		}
		if attempt == 2 {
			return fmt.Errorf("kubectl apply: %w\n%s", err, tail(out))
		}
	}
	applied := time.Since(start)
	for _, f := range failures {
		fmt.Fprintln(os.Stderr, "bench-scale: apply failure (retried):", f)
	}
	whAfter := b.webhookSeconds(ctx)
	if err := waitFor(ctx, "every ClusterLink Ready", func() bool {
		_, ready, _, _ := tr.counts()
		return ready >= n
	}); err != nil {
		return err
	}
	_, _, _, last := tr.counts()
	allReady := last.Sub(start)
	if err := waitFor(ctx, "every mirror created", func() bool { return created.Load() > 0 }); err != nil {
		return err
	}
	calls, _ := b.restCalls(mark)
	wAfter, err := b.clusterLinkWrites(ctx)
	if err != nil {
		return err
	}
	w := wAfter.minus(wBefore)
	b.printf("| apply → all Ready | %.1f s |\n", allReady.Seconds())
	b.printf("| of which kubectl apply returned | %.1f s (time inside the webhook: %.1f s summed over admissions; %d objects refused and re-applied) |\n", applied.Seconds(), whAfter-whBefore, len(failures))
	b.printf("| of which every link and mirror existed on the destination | %.1f s |\n", time.Duration(created.Load()).Seconds())
	b.printf("| of which the last Ready status | %.1f s after apply returned |\n", (allReady - applied).Seconds())
	lower := n*(1+t) + 2 // creates, plus one link list and one mirror list
	issueBound := n * (3 + t)
	b.printf("| REST calls to converge | %d (lower bound %d: %d link + %d mirror creates + 1 link list + 1 mirror list; per-link lower bound of issue 19: %d) |\n",
		sum(calls), lower, n, n*t, issueBound)
	for _, k := range sortedCalls(calls) {
		b.printf("| &nbsp;&nbsp;%s | %d |\n", k, calls[k])
	}
	b.printf("| ClusterLink writes (excl. kubectl's POSTs) | %.0f (%.2f per link: %s) |\n", w.total()-w["POST"], (w.total()-w["POST"])/float64(n), w)
	return nil
}

// steady waits a resync period for the fleet to settle, then measures one
// resync period.
func (b *bench) steady(ctx context.Context, label string) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(b.cfg.resync + 5*time.Second):
	}
	mark := len(b.env.Emulator.Requests())
	// Every write of the controller's: ClusterLink and KafkaRestClass
	// status, and Events.
	resources := []string{"clusterlinks", "kafkarestclasses", "events"}
	before := map[string]writes{}
	for _, r := range resources {
		w, err := b.apiserverWrites(ctx, r)
		if err != nil {
			return err
		}
		before[r] = w
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(b.cfg.resync):
	}
	calls, _ := b.restCalls(mark)
	var wrote []string
	for _, r := range resources {
		w, err := b.apiserverWrites(ctx, r)
		if err != nil {
			return err
		}
		wrote = append(wrote, fmt.Sprintf("%s %.0f", r, w.minus(before[r]).total()))
	}
	var parts []string
	for _, k := range sortedCalls(calls) {
		parts = append(parts, fmt.Sprintf("%s %d", k, calls[k]))
	}
	b.printf("| steady state per resync period (%s)%s | %d REST calls (%s); apiserver writes: %s |\n",
		b.cfg.resync, label, sum(calls), strings.Join(parts, ", "), strings.Join(wrote, ", "))
	return nil
}

func (b *bench) webhookSeconds(ctx context.Context) float64 {
	if b.env.WebhookMetricsAddr == "" {
		return 0
	}
	out, err := exec.CommandContext(ctx, "curl", "-s", "http://"+b.env.WebhookMetricsAddr+"/metrics").Output()
	if err != nil {
		return 0
	}
	var total float64
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "kafkalink_webhook_admission_duration_seconds_sum") && strings.Contains(line, "clusterlink") {
			v, _ := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
			total += v
		}
	}
	return total
}

func (b *bench) fleet(ctx context.Context) error {
	tr := b.track(ctx)
	b.printf("#### %d ClusterLinks × %d mirror topics, one destination\n\n| measure | value |\n|---|---|\n", b.cfg.links, b.cfg.topics)
	if err := b.applyFleet(ctx, tr, b.cfg.links, b.cfg.topics); err != nil {
		return err
	}
	b.memory("after convergence")
	if err := b.steady(ctx, ""); err != nil {
		return err
	}
	if b.cfg.secrets == 0 {
		return nil
	}
	if err := b.unrelatedSecrets(ctx); err != nil {
		return err
	}
	if err := b.steady(ctx, fmt.Sprintf(", with %d unrelated %d KiB Secrets", b.cfg.secrets, b.cfg.secretSize/1024)); err != nil {
		return err
	}
	b.memory(fmt.Sprintf("with %d unrelated %d KiB Secrets", b.cfg.secrets, b.cfg.secretSize/1024))
	b.printf("\n")
	if b.cfg.heapProfile != "" {
		out, err := exec.CommandContext(ctx, "curl", "-sf", "-o", b.cfg.heapProfile, "http://"+b.env.MetricsAddr+"/debug/pprof/heap").CombinedOutput()
		if err != nil {
			return fmt.Errorf("heap profile: %w\n%s", err, out)
		}
		fmt.Fprintln(os.Stderr, "bench-scale: controller heap profile written to", b.cfg.heapProfile)
	}
	return nil
}

// unrelatedSecrets creates Secrets no ClusterLink references, in their own
// namespace, 16 at a time.
func (b *bench) unrelatedSecrets(ctx context.Context) error {
	ns := "unrelated"
	if _, err := b.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	cfg := rest.CopyConfig(b.env.Cluster.Config)
	cfg.QPS, cfg.Burst = 500, 1000
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	data := bytes.Repeat([]byte("x"), b.cfg.secretSize)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.cfg.secrets) || ctx.Err() != nil {
					return
				}
				s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("unrelated-%05d", i), Namespace: ns}, Data: map[string][]byte{"blob": data}}
				if _, err := kube.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		return fmt.Errorf("create unrelated Secrets: %w", err)
	default:
	}
	return nil
}

func (b *bench) outage(ctx context.Context) error {
	tr := b.track(ctx)
	n := b.cfg.links
	b.printf("#### Source outage, %d ClusterLinks × %d mirror topics\n\n| measure | value |\n|---|---|\n", n, b.cfg.topics)
	if err := b.applyFleet(ctx, tr, n, b.cfg.topics); err != nil {
		return err
	}
	// Settle so the outage starts from steady state.
	time.Sleep(b.cfg.poll * 2)
	mark := len(b.env.Emulator.Requests())
	b.env.Emulator.SetSourceOutage(devenv.SourceClusterID, true)
	start := time.Now()
	if err := waitFor(ctx, "every link to report the outage", func() bool {
		_, _, notReady, _ := tr.counts()
		return notReady == n
	}); err != nil {
		return err
	}
	noticed := time.Since(start)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(b.cfg.outageFor - noticed):
	}
	calls, markEnd := b.restCalls(mark)
	lasted := time.Since(start)
	tr.resetReady()
	b.env.Emulator.SetSourceOutage(devenv.SourceClusterID, false)
	end := time.Now()
	if err := waitFor(ctx, "every link Ready after the outage", func() bool {
		_, ready, _, _ := tr.counts()
		return ready >= n
	}); err != nil {
		return err
	}
	_, _, _, last := tr.counts()
	after, _ := b.restCalls(markEnd)
	var writesDuring []string
	for _, m := range []map[string]int{calls, after} {
		for k, v := range m {
			if !strings.HasPrefix(k, "GET ") {
				writesDuring = append(writesDuring, fmt.Sprintf("%s %d", k, v))
			}
		}
	}
	perLinkPerMinute := float64(sum(calls)) / float64(n) / lasted.Minutes()
	var parts []string
	for _, k := range sortedCalls(calls) {
		parts = append(parts, fmt.Sprintf("%s %d", k, calls[k]))
	}
	b.printf("| every link Ready=False after the outage began | %.1f s |\n", noticed.Seconds())
	b.printf("| REST calls during the outage (%.0f s) | %d (%s) |\n", lasted.Seconds(), sum(calls), strings.Join(parts, ", "))
	b.printf("| REST calls per link per minute | %.2f |\n", perLinkPerMinute)
	b.printf("| every link Ready again after the outage ended | %.1f s |\n", last.Sub(end).Seconds())
	if len(writesDuring) == 0 {
		b.printf("| REST writes during the outage and recovery (deletes, failovers, promotes, anything) | none |\n\n")
	} else {
		b.printf("| REST writes during the outage and recovery | %s |\n\n", strings.Join(writesDuring, ", "))
	}
	return nil
}

// maxItems reads spec.mirrorTopics' maxItems from the installed CRD.
func (b *bench) maxItems(ctx context.Context) (int, error) {
	out, err := b.env.Kubectl(ctx, "get", "crd", "clusterlinks.kafkalink.io", "-o",
		"jsonpath={.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.mirrorTopics.maxItems}")
	if err != nil {
		return 0, fmt.Errorf("%w: %s", err, out)
	}
	return strconv.Atoi(strings.TrimSpace(out))
}

func (b *bench) largest(ctx context.Context) error {
	max, err := b.maxItems(ctx)
	if err != nil {
		return err
	}
	if b.cfg.largestN > 0 {
		max = b.cfg.largestN
	}
	tr := b.track(ctx)
	b.printf("#### One ClusterLink at the limit: %d mirror topics\n\n| measure | value |\n|---|---|\n", max)
	file, err := b.fleetYAML(0, 1, max)
	if err != nil {
		return err
	}
	start := time.Now()
	if out, err := b.env.Kubectl(ctx, "apply", "-f", file); err != nil {
		return fmt.Errorf("kubectl apply: %w\n%s", err, tail(out))
	}
	b.printf("| kubectl apply (client-side, create) | %.1f s |\n", time.Since(start).Seconds())
	if err := waitFor(ctx, "the link Ready", func() bool {
		_, ready, _, _ := tr.counts()
		return ready >= 1
	}); err != nil {
		return err
	}
	_, _, _, last := tr.counts()
	b.printf("| apply → Ready (status written) | %.1f s |\n", last.Sub(start).Seconds())
	if err := b.sizes(ctx, "after create + convergence"); err != nil {
		return err
	}
	start = time.Now()
	if out, err := b.env.Kubectl(ctx, "apply", "--server-side", "--force-conflicts", "-f", file); err != nil {
		return fmt.Errorf("kubectl apply --server-side --force-conflicts: %w\n%s", err, tail(out))
	}
	b.printf("| kubectl apply --server-side --force-conflicts | %.1f s, accepted |\n", time.Since(start).Seconds())
	if err := b.sizes(ctx, "after server-side apply"); err != nil {
		return err
	}
	var lat []time.Duration
	var inWebhook []float64
	for range 7 {
		s := time.Now()
		before := b.webhookSeconds(ctx)
		if out, err := b.env.Kubectl(ctx, "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", file); err != nil {
			return fmt.Errorf("dry-run apply: %w\n%s", err, tail(out))
		}
		lat = append(lat, time.Since(s))
		inWebhook = append(inWebhook, b.webhookSeconds(ctx)-before)
	}
	slices.Sort(lat)
	slices.Sort(inWebhook)
	b.printf("| single admission of the largest link, p50 of 7 (`kubectl apply --server-side --dry-run=server`, whole round trip) | %.2f s |\n", lat[len(lat)/2].Seconds())
	b.printf("| … of which inside the webhook (its admission duration histogram), p50 of 7 | %.1f ms |\n", inWebhook[len(inWebhook)/2]*1000)
	if out, err := b.env.Kubectl(ctx, "get", "clusterlink", "-n", namespace, linkName(0), "-o", "jsonpath={.status.mirrorTopicsReady}"); err == nil {
		b.printf("| mirrorTopicsReady | %s |\n", out)
	}
	// One topic more is refused at apply time, with the schema's message.
	over, err := b.fleetYAML(1, 1, max+1)
	if err != nil {
		return err
	}
	out, err := b.env.Kubectl(ctx, "apply", "-f", over)
	if err == nil {
		return fmt.Errorf("a ClusterLink with %d topics was accepted", max+1)
	}
	msg := strings.TrimSpace(out)
	if i := strings.Index(msg, "spec.mirrorTopics"); i >= 0 {
		msg = msg[i:]
	}
	b.printf("| a ClusterLink with %d topics | refused at apply: `%s` |\n", max+1, tail(msg))
	b.printf("\n")
	return nil
}

// sizes reports the stored object's size: compact JSON as the API returns
// it, and its parts.
func (b *bench) sizes(ctx context.Context, when string) error {
	raw, err := b.env.Kafkalink.KafkalinkV1alpha1().RESTClient().Get().Namespace(namespace).Resource("clusterlinks").Name(linkName(0)).DoRaw(ctx)
	if err != nil {
		return err
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return err
	}
	size := func(v any) int {
		b, _ := json.Marshal(v)
		return len(b)
	}
	md, _ := obj["metadata"].(map[string]any)
	annotations, _ := md["annotations"].(map[string]any)
	spec, _ := obj["spec"].(map[string]any)
	topics, _ := spec["mirrorTopics"].([]any)
	n := max(len(topics), 1)
	mf, st := size(md["managedFields"]), size(obj["status"])
	la := size(annotations[annotationLastApplied])
	b.printf("| object %s | %d bytes compact (spec %d, status %d, managedFields %d, last-applied %d); per topic: spec %.0f, status %.0f, managedFields %.0f, last-applied %.0f bytes; etcd limit 1,572,864 |\n",
		when, len(raw), size(spec), st, mf, la, float64(size(spec))/float64(n), float64(st)/float64(n), float64(mf)/float64(n), float64(la)/float64(n))
	return nil
}

const annotationLastApplied = "kubectl.kubernetes.io/last-applied-configuration"

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}
