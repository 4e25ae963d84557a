package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/pkg/devenv"
	"github.com/kafkalink/kafkalink/pkg/localcluster"
)

// haCluster is a second apiserver for tests that stop it or run several
// controller replicas: the suite's own controller does not watch it, and
// stopping it disturbs nothing else. It shares the suite's REST emulator,
// with link names of its own.
type haCluster struct {
	t *testing.T
	c *localcluster.Cluster
}

func startHACluster(t *testing.T) *haCluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := localcluster.Start(ctx, localcluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	root, _ := devenv.RepoRoot()
	if err := c.InstallCRDs(ctx, filepath.Join(root, "manifests", "base", "crds")); err != nil {
		t.Fatal(err)
	}
	h := &haCluster{t: t, c: c}
	h.kubectl("create", "namespace", "kafkalink-system")
	// The examples' namespace, Secrets and KafkaRestClasses, filled in for
	// the emulator by the suite (no ClusterLinks).
	for _, f := range []string{"00-namespace-and-secrets.yaml", "01-kafkarestclasses.yaml"} {
		h.kubectl("apply", "-f", filepath.Join(env.Dir, "examples", f))
	}
	return h
}

func (h *haCluster) kubectlErr(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", h.c.KubeconfigPath}, args...)...).CombinedOutput()
	return string(out), err
}

func (h *haCluster) kubectl(args ...string) string {
	h.t.Helper()
	out, err := h.kubectlErr(args...)
	if err != nil {
		h.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (h *haCluster) apply(manifest string) {
	h.t.Helper()
	f := filepath.Join(h.t.TempDir(), "m.yaml")
	if err := writeFile(f, manifest); err != nil {
		h.t.Fatal(err)
	}
	h.kubectl("apply", "-f", f)
}

// replica runs the shipped controller binary against this cluster with a
// short lease, and returns it with its /readyz URL.
func (h *haCluster) replica(identity string) (*process, string) {
	h.t.Helper()
	port, _ := localcluster.FreePort()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := startProcess(h.t, filepath.Join(binaries(h.t), "kafkalink-controller"), "--kubeconfig", h.c.KubeconfigPath,
		"--namespace", "operator", "--leader-elect", "--leader-election-namespace", "kafkalink-system", "--leader-election-id", "kafkalink-ha",
		"--leader-election-identity", identity, "--leader-election-lease-duration", "4s", "--leader-election-renew-deadline", "3s",
		"--leader-election-retry-period", "500ms", "--metrics-address", addr, "--transition-poll-interval", "300ms", "--resync-period", "5s")
	return p, "http://" + addr
}

// role is what a replica's /readyz says: "leading", "standby", or why not.
func role(url string) string {
	body := httpBody(url + "/readyz")
	if r, ok := strings.CutPrefix(body, "ok: "); ok {
		return r
	}
	return "not ready: " + body
}

func waitRole(t *testing.T, url, want string, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, url+" to be "+want, func() string {
		if r := role(url); r != want {
			return r
		}
		return ""
	})
}

// haLink is a ClusterLink in operator on the emulated clusters. Its mirror
// topics carry the link's name as prefix: topic names are global on the
// destination the suite shares. topics are "source[=STATE]".
func haLink(name string, topics ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  deletionPolicy: Retain\n  mirrorTopicOptions:\n    prefix: %s.\n  mirrorTopics:\n", name)
	for _, tp := range topics {
		src, state, _ := strings.Cut(tp, "=")
		fmt.Fprintf(&b, "  - name: %s.%s\n    sourceTopicName: %s\n", name, src, src)
		if state != "" {
			fmt.Fprintf(&b, "    state: %s\n", state)
		}
	}
	return strings.Replace(clusterLink(name, b.String()), "  mirrorTopics: []\n", "", 1)
}

func (h *haCluster) waitReady(names ...string) {
	h.t.Helper()
	for _, n := range names {
		if out, err := h.kubectlErr("-n", "operator", "wait", "--for=condition=Ready", "clusterlink/"+n, "--timeout=90s"); err != nil {
			h.t.Fatalf("%s not Ready: %v\n%s\n%s", n, err, out, h.kubectl("-n", "operator", "get", "clusterlink", n, "-o", "yaml"))
		}
	}
}

// The leader is frozen (SIGSTOP) until the follower leads; changes are
// applied; the old leader resumes (SIGCONT). Its fence is closed — its last
// renewal is older than the renew deadline on the monotonic clock — so it
// makes no REST write, then campaigns again as a standby in the same
// process. The emulator's request log names the replica of every request.
func TestStaleLeaderMakesNoWrites(t *testing.T) {
	h := startHACluster(t)
	a, aURL := h.replica("ha-a")
	waitRole(t, aURL, "leading", 60*time.Second)
	_, bURL := h.replica("ha-b")
	waitRole(t, bURL, "standby", 60*time.Second)

	var pre []string
	for i := range 3 {
		name := fmt.Sprintf("ha-pre-%d", i)
		pre = append(pre, name)
		h.apply(haLink(name, "orders", "payments"))
	}
	h.waitReady(pre...)

	if err := a.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	frozen := time.Now()
	waitRole(t, bURL, "leading", 30*time.Second)
	t.Logf("follower took over %v after the freeze", time.Since(frozen).Round(100*time.Millisecond))
	tookOver := time.Now()
	var added []string
	for i := range 10 {
		name := fmt.Sprintf("ha-new-%d", i)
		added = append(added, name)
		h.apply(haLink(name, "orders", "payments"))
	}
	h.apply(haLink("ha-pre-0", "orders=PAUSE", "payments"))
	time.Sleep(500 * time.Millisecond)
	if err := a.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	h.waitReady(append(pre, added...)...)
	waitRole(t, aURL, "standby", 30*time.Second)
	if !a.alive() {
		t.Fatal("the old leader exited instead of campaigning again")
	}
	// Give the old leader time to do whatever it would do.
	time.Sleep(3 * time.Second)

	var aWrites, bWrites, aReads int
	for _, r := range env.Emulator.Requests() {
		if r.Time.Before(tookOver) {
			continue
		}
		write := r.Method != "GET" && !r.ValidateOnly
		switch {
		case strings.Contains(r.UserAgent, "(ha-a)") && write:
			aWrites++
			t.Errorf("the old leader wrote after the follower took over: %s %s at +%v after resuming", r.Method, r.Path, r.Time.Sub(resumed).Round(time.Millisecond))
		case strings.Contains(r.UserAgent, "(ha-a)"):
			aReads++
		case strings.Contains(r.UserAgent, "(ha-b)") && write:
			bWrites++
		}
	}
	fenced := 0
	for _, line := range strings.Split(httpBody(aURL+"/metrics"), "\n") {
		if strings.HasPrefix(line, "kafkalink_fenced_total{") {
			var n int
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &n)
			fenced += n
		}
	}
	t.Logf("after the takeover: old leader %d writes, %d reads, %d refused by its fence; new leader %d writes", aWrites, aReads, fenced, bWrites)
	if bWrites < 11 {
		t.Errorf("the new leader made %d writes; it should have created 10 links and their mirrors", bWrites)
	}
}

// The kube-apiserver is stopped for 30 s and restarted. The controller
// loses its lease, stops its workers, and — in the same process — leads
// again and converges every link, old and new, without a restart.
func TestControllerRidesOutAPIServerRestart(t *testing.T) {
	h := startHACluster(t)
	p, url := h.replica("ha-r")
	waitRole(t, url, "leading", 60*time.Second)
	pid := p.cmd.Process.Pid
	var links []string
	for i := range 5 {
		name := fmt.Sprintf("ha-restart-%d", i)
		links = append(links, name)
		h.apply(haLink(name, "orders"))
	}
	h.waitReady(links...)

	if err := h.c.StopAPIServer(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := h.c.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	if !p.alive() || p.cmd.Process.Pid != pid {
		t.Fatal("the controller process did not survive the outage")
	}
	waitRole(t, url, "leading", 60*time.Second)
	metrics := httpBody(url + "/metrics")
	if !strings.Contains(metrics, "kafkalink_leader_lost_total 1") && !strings.Contains(metrics, "kafkalink_leader_lost_total 2") {
		t.Errorf("kafkalink_leader_lost_total does not record the lost lease")
	}
	for i := range 5 {
		name := fmt.Sprintf("ha-after-%d", i)
		links = append(links, name)
		h.apply(haLink(name, "orders", "payments"))
	}
	h.apply(haLink("ha-restart-0", "orders=PAUSE"))
	h.waitReady(links...)
	eventually(t, 60*time.Second, "ha-restart-0.orders to be PAUSED", func() string {
		out, _ := h.kubectlErr("-n", "operator", "get", "clusterlink", "ha-restart-0", "-o", `jsonpath={.status.mirrorTopics[?(@.name=="ha-restart-0.orders")].status}`)
		if out != "PAUSED" {
			return out
		}
		return ""
	})
}

// The controller never stops on its own, so every stop is non-zero: an
// unrecoverable error (its metrics port taken) exits 1 at once, and a
// SIGTERM, after a graceful stop of a leading replica, exits 143 (128 +
// SIGTERM, as a shell reports it) — never 0, which reads as "done".
func TestControllerExitStatus(t *testing.T) {
	h := startHACluster(t)
	exit := func(p *process, within time.Duration) int {
		t.Helper()
		select {
		case <-p.done:
		case <-time.After(within):
			t.Fatalf("the controller did not exit within %v", within)
		}
		return p.cmd.ProcessState.ExitCode()
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := startProcess(t, filepath.Join(binaries(t), "kafkalink-controller"), "--kubeconfig", h.c.KubeconfigPath,
		"--leader-elect=false", "--metrics-address", taken.Addr().String())
	if code := exit(busy, 30*time.Second); code != 1 {
		t.Errorf("with its metrics port taken the controller exited %d, want 1", code)
	}
	if b, _ := os.ReadFile(busy.log); !strings.Contains(string(b), "address already in use") {
		t.Errorf("the log does not say why it stopped:\n%s", b)
	}

	p, url := h.replica("exit-status")
	waitRole(t, url, "leading", 60*time.Second)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exit(p, 30*time.Second); code != 128+int(syscall.SIGTERM) {
		t.Errorf("after SIGTERM the controller exited %d, want %d", code, 128+int(syscall.SIGTERM))
	}
	if b, _ := os.ReadFile(p.log); !strings.Contains(string(b), "Stopped on a signal") {
		t.Errorf("the log does not record the signal:\n%s", b)
	}
}
