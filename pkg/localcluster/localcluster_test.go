package localcluster

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
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
	c, err := Start(ctx, Options{LogWriter: &progress})
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
