package e2e

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/pkg/devenv"
)

// The README's first command, as a new user runs it (`make run` is
// `go run ./hack/run`), in smoke-test mode: it must bring everything up,
// converge the examples, print the guide, and clean up after itself.
func TestMakeRunSmoke(t *testing.T) {
	root, err := devenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./hack/run", "--once")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("make run --once: %v\n%s", err, text)
	}
	for _, re := range []string{
		`(?m)^operator\s+clusterlink-demo\s+clusterlink-demo\s+onprem-kafka\s+ACTIVE\s+1/1\s+True`,
		`(?m)^operator\s+clusterlink-pause\s+clusterlink-pause\s+onprem-kafka\s+ACTIVE\s+2/2\s+True`,
		`(?m)^operator\s+si-link-destination\s+si-link\s+onprem-kafka\s+ACTIVE\s+1/1\s+True`,
		`export KUBECONFIG=\S+/kubeconfig`,
		`kafkalink\s+\S+/kafkalink.log`,
		`kubectl apply -f artifacts/examples/promote/clusterlink-demo-promote.yaml`,
		`kafkalink: stopping`,
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("make run output lacks %s:\n%s", re, text)
		}
	}
	// Its run directory is gone.
	dir := regexp.MustCompile(`export KUBECONFIG=(\S+)/apiserver/kubeconfig`).FindStringSubmatch(text)
	if len(dir) == 2 {
		if _, err := exec.Command("test", "-e", dir[1]).CombinedOutput(); err == nil {
			t.Errorf("run directory %s left behind", dir[1])
		}
	}
	if strings.Contains(text, "REPLACE-WITH") {
		t.Errorf("placeholders applied:\n%s", text)
	}
}
