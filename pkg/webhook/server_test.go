package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/pkg/certs"
)

func writePair(t *testing.T, dir string, ca *certs.CA, cn string) {
	t.Helper()
	pair, err := ca.Issue(cn, []string{"127.0.0.1"}, time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	// Write to temporary names and rename, as kubelet and cert-manager do.
	for name, data := range map[string][]byte{"tls.crt": pair.CertPEM, "tls.key": pair.KeyPEM} {
		tmp := filepath.Join(dir, "."+name)
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

func servedCN(t *testing.T, addr string, roots *x509.CertPool, maxVersion uint16) (string, error) {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MaxVersion: maxVersion})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
}

// TestRunServesTLSAndReloadsCertificates starts the webhook server, checks
// that it refuses TLS < 1.2, and that replacing the files switches the
// served certificate without a restart.
func TestRunServesTLSAndReloadsCertificates(t *testing.T) {
	dir := t.TempDir()
	ca, err := certs.NewCA("webhook-ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	writePair(t, dir, ca, "first")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Options{Listener: ln, CertDir: dir, MetricsAddr: "0"}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v after cancel", err)
		}
	}()

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM)
	addr := ln.Addr().String()
	var cn string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cn, err = servedCN(t, addr, roots, 0); err == nil {
			break
		}
	}
	if cn != "first" {
		t.Fatalf("served CN %q (%v), want first", cn, err)
	}
	if _, err := servedCN(t, addr, roots, tls.VersionTLS11); err == nil {
		t.Error("server accepted TLS 1.1")
	}

	// The reloader checks at most once a second; make the new files newer.
	time.Sleep(1100 * time.Millisecond)
	writePair(t, dir, ca, "second")
	future := time.Now().Add(2 * time.Second)
	_ = os.Chtimes(filepath.Join(dir, "tls.crt"), future, future)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cn, _ = servedCN(t, addr, roots, 0); cn == "second" {
			return
		}
	}
	t.Fatalf("served CN is still %q after the files changed", cn)
}

func TestNewCertReloaderFailsOnMissingFiles(t *testing.T) {
	if _, err := NewCertReloader("/nonexistent/tls.crt", "/nonexistent/tls.key"); err == nil {
		t.Fatal("NewCertReloader succeeded without files")
	}
}
