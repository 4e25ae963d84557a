package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// start runs the emulator and returns "id url" lines once all listeners are up.
func start(t *testing.T, n int, args ...string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, pw); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	urls := map[string]string{}
	sc := bufio.NewScanner(pr)
	for len(urls) < n && sc.Scan() {
		id, u, _ := strings.Cut(sc.Text(), " ")
		urls[id] = u
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return urls
}

func TestQuickFlags(t *testing.T) {
	urls := start(t, 2, "--cluster", "src=127.0.0.1:0,onprem:9092", "--cluster", "dst=127.0.0.1:0",
		"--topic", "src/orders=3", "--stop-delay", "1s", "--lag", "10", "--lag-decay", "5", "--prefix", "/v3", "--latency", "1ms")
	resp, err := http.Get(urls["src"] + "/v3/clusters/src/topics/orders")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"partitions_count":3`) {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
	resp, err = http.Post(urls["dst"]+"/v3/clusters/dst/links?link_name=l", "application/json",
		strings.NewReader(`{"configs":[{"name":"bootstrap.servers","value":"onprem:9092"}]}`))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create link: %v %v", err, resp)
	}
}

func writePEM(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	cert, keyf := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	_ = os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, keyf
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	cert, key := writePEM(t, dir)
	t.Setenv("EMU_SECRET", "s3cret")
	cfg := `
stopDelay: 1s
latency: 1ms
lag: {initial: 5, perSecond: 1}
clusters:
- id: src
  bootstrap: onprem:9092
  listen: 127.0.0.1:0
  topics: {orders: 2}
- id: dst
  listen: 127.0.0.1:0
  username: key
  password: ${EMU_SECRET}
  tls: {cert: ` + cert + `, key: ` + key + `}
`
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	urls := start(t, 2, "--config", p)
	if !strings.HasPrefix(urls["dst"], "https://") {
		t.Fatalf("urls %v", urls)
	}
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for _, tc := range []struct {
		user, pass string
		code       int
	}{{"key", "s3cret", 200}, {"key", "bad", 401}} {
		req, _ := http.NewRequest("GET", urls["dst"]+"/kafka/v3/clusters/dst/links", nil)
		req.SetBasicAuth(tc.user, tc.pass)
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s/%s: %d, want %d", tc.user, tc.pass, resp.StatusCode, tc.code)
		}
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		_ = os.WriteFile(p, []byte(content), 0o600)
		return p
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no clusters", nil, "no clusters"},
		{"bad flag", []string{"--nope"}, "not defined"},
		{"bad cluster", []string{"--cluster", "x"}, "id=listen-addr"},
		{"bad topic", []string{"--cluster", "a=127.0.0.1:0", "--topic", "a/x"}, "cluster-id/name=partitions"},
		{"topic unknown cluster", []string{"--cluster", "a=127.0.0.1:0", "--topic", "b/x=1"}, "unknown cluster"},
		{"missing config", []string{"--config", filepath.Join(dir, "none.yaml")}, "no such file"},
		{"bad config", []string{"--config", write("bad.yaml", "clusters: [{id: a, nope: 1}]")}, "unknown field"},
		{"bad stop delay", []string{"--config", write("sd.yaml", "stopDelay: soon\nclusters: [{id: a, listen: '127.0.0.1:0'}]")}, "stopDelay"},
		{"bad latency", []string{"--config", write("lt.yaml", "latency: x\nclusters: [{id: a, listen: '127.0.0.1:0'}]")}, "latency"},
		{"no listen", []string{"--config", write("nl.yaml", "clusters: [{id: a}]")}, "listen are required"},
		{"duplicate", []string{"--cluster", "a=127.0.0.1:0", "--cluster", "a=127.0.0.1:0"}, "twice"},
		{"bad tls", []string{"--config", write("tls.yaml", "clusters: [{id: a, listen: '127.0.0.1:0', tls: {cert: /nope, key: /nope}}]")}, "TLS"},
		{"bad listen", []string{"--cluster", "a=bad-address"}, "cluster \"a\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := run(ctx, tc.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}
