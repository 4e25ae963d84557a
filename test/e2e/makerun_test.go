package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/pkg/devenv"
)

// The README's first command, as a new user runs it (`make run` builds
// ./hack/run and executes it): it must bring everything up, converge the
// examples, print the guide with working metrics URLs, and clean up after
// itself on Ctrl-C.
func TestMakeRunSmoke(t *testing.T) {
	root, err := devenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "kafkalink-run")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./hack/run")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build ./hack/run: %v\n%s", err, out)
	}

	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = root
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		text strings.Builder
	)
	running := make(chan struct{})
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			mu.Lock()
			text.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if !signalled && strings.HasPrefix(sc.Text(), "kafkalink: running") {
				signalled = true
				close(running)
			}
		}
	}()
	output := func() string { mu.Lock(); defer mu.Unlock(); return text.String() }
	waited := make(chan error, 1)
	go func() { err := cmd.Wait(); pw.Close(); waited <- err }()

	select {
	case <-running:
	case err := <-waited:
		<-scanned
		t.Fatalf("make run exited before it was running: %v\n%s", err, output())
	case <-ctx.Done():
		t.Fatalf("make run never reached running:\n%s", output())
	}

	// Both metrics URLs of the guide answer while it runs, each with its
	// component's metrics.
	for name, want := range map[string]string{
		"Controller metrics": "kafkalink_reconcile_total",
		"Webhook metrics":    "kafkalink_webhook_admissions_total",
	} {
		m := regexp.MustCompile(`(?m)^` + name + `:\s+(http://127\.0\.0\.1:\d+/metrics)$`).FindStringSubmatch(output())
		if m == nil {
			t.Errorf("make run output lacks the %s URL:\n%s", name, output())
			continue
		}
		body, err := httpGet(ctx, m[1])
		if err != nil {
			t.Errorf("%s %s: %v", name, m[1], err)
			continue
		}
		if !regexp.MustCompile(`(?m)^` + want + `\{`).MatchString(body) {
			t.Errorf("%s %s has no %s:\n%s", name, m[1], want, body)
		}
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Errorf("make run after Ctrl-C: %v", err)
	}
	<-scanned
	out := output()
	for _, re := range []string{
		`(?m)^operator\s+clusterlink-demo\s+clusterlink-demo\s+onprem-kafka\s+ACTIVE\s+1/1\s+True`,
		`(?m)^operator\s+clusterlink-pause\s+clusterlink-pause\s+onprem-kafka\s+ACTIVE\s+2/2\s+True`,
		`(?m)^operator\s+si-link-destination\s+si-link\s+onprem-kafka\s+ACTIVE\s+1/1\s+True`,
		`export KUBECONFIG=\S+/kubeconfig`,
		`kafkalink\s+\S+/kafkalink.log`,
		`kubectl apply -f artifacts/examples/promote/clusterlink-demo-promote.yaml`,
		`kafkalink: stopping`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("make run output lacks %s:\n%s", re, out)
		}
	}
	// Its run directory is gone.
	dir := regexp.MustCompile(`export KUBECONFIG=(\S+)/apiserver/kubeconfig`).FindStringSubmatch(out)
	if len(dir) == 2 {
		if _, err := os.Stat(dir[1]); err == nil {
			t.Errorf("run directory %s left behind", dir[1])
		}
	}
	if strings.Contains(out, "REPLACE-WITH") {
		t.Errorf("placeholders applied:\n%s", out)
	}
}

func httpGet(ctx context.Context, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
