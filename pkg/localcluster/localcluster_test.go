package localcluster

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestStartInstallStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	start := time.Now()
	c, err := Start(ctx, Options{LogWriter: &progress, StopOnSignal: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("started in %s: %s", time.Since(start).Round(10*time.Millisecond), strings.TrimSpace(progress.String()))
	stopped := false
	defer func() {
		if !stopped {
			_ = c.Stop()
		}
	}()

	v, err := c.Kube.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != "v1.37.2" {
		t.Errorf("server version %s, want v1.37.2", v.GitVersion)
	}
	if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "harness-check"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("kubectl"); err == nil {
		out, err := exec.CommandContext(ctx, "kubectl", "--kubeconfig", c.KubeconfigPath, "get", "ns", "harness-check", "-o", "name").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "namespace/harness-check" {
			t.Errorf("kubectl with the written kubeconfig: %v %s", err, out)
		}
	}

	if err := c.InstallCRDs(ctx, filepath.Join("..", "..", "manifests", "base", "crds")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Kube.Discovery().ServerResourcesForGroupVersion("kafkalink.io/v1alpha1"); err != nil {
		t.Errorf("CRDs not served: %v", err)
	}
	// Installing again updates in place.
	if err := c.InstallCRDs(ctx, filepath.Join("..", "..", "manifests", "base", "crds")); err != nil {
		t.Fatalf("reinstall: %v", err)
	}

	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	manifest := filepath.Join("..", "..", "manifests", "base", "webhook", "validatingwebhookconfiguration.yaml")
	for i := 0; i < 2; i++ { // create, then update
		if err := c.InstallWebhook(ctx, manifest, srv.URL, ca); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := c.Kube.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "kafkalink-validating-webhook", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := *cfg.Webhooks[0].ClientConfig.URL; got != srv.URL+"/validate-clusterlink" {
		t.Errorf("webhook URL %s", got)
	}
	if cfg.Webhooks[0].ClientConfig.Service != nil || !bytes.Equal(cfg.Webhooks[0].ClientConfig.CABundle, ca) {
		t.Errorf("clientConfig %+v", cfg.Webhooks[0].ClientConfig)
	}
	if _, err := x509.ParseCertificate(srv.Certificate().Raw); err != nil {
		t.Fatal(err)
	}

	pids, dir := c.PIDs(), c.Dir
	if len(pids) != 2 {
		t.Fatalf("pids %v", pids)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("process %d outlived Stop", pid)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("working directory %s not removed: %v", dir, err)
	}
}

// alive reports a process that exists and is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b))
	return len(fields) > 2 && fields[2] != "Z"
}

func TestStartFailsClearlyWithoutBinaries(t *testing.T) {
	_, err := Start(context.Background(), Options{BinDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "kube-apiserver not found") || !strings.Contains(err.Error(), "hack/install-testbin.sh") {
		t.Fatalf("error %v", err)
	}
}

// helperEnv makes the test binary, run again by TestNothingOutlivesTheParent,
// start a cluster, print its directory and process ids, and wait.
const helperEnv = "LOCALCLUSTER_TEST_HELPER"

type helperInfo struct {
	Dir  string
	PIDs []int
}

func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("helper for TestNothingOutlivesTheParent")
	}
	c, err := Start(context.Background(), Options{StopOnSignal: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	b, _ := json.Marshal(helperInfo{Dir: c.Dir, PIDs: c.PIDs()})
	fmt.Println(string(b))
	select {}
}

// TestNothingOutlivesTheParent runs a cluster in a child test binary and
// ends it with SIGINT (the signal handler stops the cluster, removes the
// directory and exits 130) and with SIGKILL (Pdeathsig kills etcd and
// kube-apiserver; the directory stays, nothing could remove it).
func TestNothingOutlivesTheParent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver")
	}
	bin, err := resolveBinDir(context.Background(), "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sig      syscall.Signal
		exitCode int
		dirGone  bool
	}{
		{syscall.SIGINT, 130, true},
		{syscall.SIGKILL, -1, false},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), helperEnv+"=1", "KAFKALINK_TESTBIN="+bin)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var info helperInfo
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if json.Unmarshal(sc.Bytes(), &info) == nil && len(info.PIDs) > 0 {
					break
				}
			}
			if len(info.PIDs) != 2 {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("helper did not report a cluster: %s", stderr.String())
			}
			if !tc.dirGone {
				defer os.RemoveAll(info.Dir)
			}
			go func() { _, _ = io.Copy(io.Discard, out) }()
			_ = cmd.Process.Signal(tc.sig)
			err = cmd.Wait()
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || exitErr.ExitCode() != tc.exitCode {
				t.Errorf("helper ended with %v, want exit code %d; stderr: %s", err, tc.exitCode, stderr.String())
			}
			deadline := time.Now().Add(10 * time.Second)
			for _, pid := range info.PIDs {
				for alive(pid) && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond)
				}
				if alive(pid) {
					t.Errorf("process %d outlived the test binary", pid)
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			if _, err := os.Stat(info.Dir); tc.dirGone != os.IsNotExist(err) {
				t.Errorf("directory %s: removed %v, want %v", info.Dir, os.IsNotExist(err), tc.dirGone)
			}
		})
	}
}
