// Package localcluster runs a real etcd and kube-apiserver (the pinned
// versions hack/install-testbin.sh builds) on loopback ports in a temporary
// directory: the harness of the end-to-end tests and of `make run`. Every
// child process is killed with the test binary (Pdeathsig) and on SIGINT.
package localcluster

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kafkalink/kafkalink/pkg/certs"
)

// Options configure Start.
type Options struct {
	// BinDir holds kube-apiserver and etcd. Default: $KAFKALINK_TESTBIN,
	// else what hack/install-testbin.sh prints (it builds missing binaries).
	BinDir string
	// Dir is the working directory; a new temporary one when empty. Stop
	// removes it unless KeepDir.
	Dir     string
	KeepDir bool
	// LogWriter receives progress lines; io.Discard when nil.
	LogWriter io.Writer
	// ExtraAPIServerFlags are appended to kube-apiserver's command line.
	ExtraAPIServerFlags []string
	// StartTimeout bounds the wait for /readyz (default 60s).
	StartTimeout time.Duration
	// StopOnSignal stops the cluster and exits on SIGINT/SIGTERM. Leave it
	// off when the program handles signals itself and calls Stop (make
	// run); the processes die with the parent either way (Pdeathsig).
	StopOnSignal bool
}

// Cluster is a running etcd + kube-apiserver.
type Cluster struct {
	Dir, KubeconfigPath, BinDir string
	// Config authenticates as a cluster admin (client certificate in
	// group system:masters).
	Config *rest.Config
	Kube   kubernetes.Interface
	URL    string
	// EtcdLog and APIServerLog are the processes' log files.
	EtcdLog, APIServerLog string

	keepDir bool
	procs   []*proc
	// apiserverArgs and readyClient restart the API server (StopAPIServer,
	// StartAPIServer) on the same port and etcd.
	apiserverArgs []string
	readyClient   *http.Client
	stopOnce      sync.Once
	stopErr       error
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Start starts etcd and kube-apiserver and waits until the API server is
// ready. A start that loses a port race is retried once.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	c, err := start(ctx, opts)
	if err != nil && ctx.Err() == nil && errors.Is(err, errPortRace) {
		c, err = start(ctx, opts)
	}
	return c, err
}

var errPortRace = errors.New("port already in use")

func start(ctx context.Context, opts Options) (c *Cluster, err error) {
	logw := opts.LogWriter
	if logw == nil {
		logw = io.Discard
	}
	binDir, err := resolveBinDir(ctx, opts.BinDir, logw)
	if err != nil {
		return nil, err
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "kafkalink-apiserver-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	c = &Cluster{Dir: dir, BinDir: binDir, keepDir: opts.KeepDir}
	track(c, opts.StopOnSignal)
	defer func() {
		if err != nil {
			_ = c.Stop()
		}
	}()

	pki, err := writePKI(dir)
	if err != nil {
		return c, fmt.Errorf("certificates: %w", err)
	}
	etcdPort, err := FreePort()
	if err != nil {
		return c, err
	}
	peerPort, err := FreePort()
	if err != nil {
		return c, err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	// A fresh store every start (a retried start must not reuse the data
	// of the attempt that lost a port race).
	if err := os.RemoveAll(filepath.Join(dir, "etcd-data")); err != nil {
		return c, err
	}
	c.EtcdLog = filepath.Join(dir, "etcd.log")
	if err := c.spawn(filepath.Join(binDir, "etcd"), c.EtcdLog,
		"--name", "default", "--data-dir", filepath.Join(dir, "etcd-data"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "default="+peerURL,
		"--unsafe-no-fsync", "--quota-backend-bytes", fmt.Sprint(2<<30), "--log-level", "warn",
	); err != nil {
		return c, err
	}
	if err := waitHTTP(ctx, http.DefaultClient, etcdURL+"/health", 30*time.Second, c.procs[0], c.EtcdLog); err != nil {
		return c, fmt.Errorf("etcd: %w", err)
	}

	port, err := FreePort()
	if err != nil {
		return c, err
	}
	c.URL = fmt.Sprintf("https://127.0.0.1:%d", port)
	c.APIServerLog = filepath.Join(dir, "kube-apiserver.log")
	args := []string{
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", fmt.Sprint(port),
		"--cert-dir", filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file", pki.serving, "--tls-private-key-file", pki.servingKey,
		"--client-ca-file", pki.ca,
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", pki.saPub, "--service-account-signing-key-file", pki.saKey,
		"--service-cluster-ip-range", "10.0.0.0/24",
		"--authorization-mode", "RBAC",
		"--allow-privileged",
		// A loopback advertise address is refused by the endpoint reconciler;
		// no in-cluster client needs the kubernetes Service here.
		"--endpoint-reconciler-type", "none",
		"--disable-admission-plugins", "ServiceAccount",
		"--profiling=false",
		"--v", "1",
	}
	c.apiserverArgs = append(args, opts.ExtraAPIServerFlags...)
	if err := c.spawn(filepath.Join(binDir, "kube-apiserver"), c.APIServerLog, c.apiserverArgs...); err != nil {
		return c, err
	}

	c.Config = &rest.Config{
		Host:            c.URL,
		TLSClientConfig: rest.TLSClientConfig{CAData: pki.caPEM, CertData: pki.adminPEM, KeyData: pki.adminKeyPEM},
		QPS:             200, Burst: 400,
	}
	tlsCert, err := tls.X509KeyPair(pki.adminPEM, pki.adminKeyPEM)
	if err != nil {
		return c, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pki.caPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{tlsCert}, MinVersion: tls.VersionTLS12}}, Timeout: 5 * time.Second}
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	c.readyClient = hc
	start := time.Now()
	if err := waitHTTP(ctx, hc, c.URL+"/readyz", timeout, c.procs[1], c.APIServerLog); err != nil {
		return c, fmt.Errorf("kube-apiserver: %w", err)
	}
	fmt.Fprintf(logw, "localcluster: kube-apiserver ready in %s\n", time.Since(start).Round(10*time.Millisecond))
	if c.Kube, err = kubernetes.NewForConfig(c.Config); err != nil {
		return c, err
	}
	c.KubeconfigPath = filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(c.KubeconfigPath, c.URL, pki); err != nil {
		return c, err
	}
	return c, nil
}

func resolveBinDir(ctx context.Context, dir string, logw io.Writer) (string, error) {
	if dir == "" {
		dir = os.Getenv("KAFKALINK_TESTBIN")
	}
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			return "", err
		}
		fmt.Fprintln(logw, "localcluster: locating the pinned kube-apiserver and etcd (hack/install-testbin.sh builds them from source the first time: about 18 minutes on 2 cores)")
		cmd := exec.CommandContext(ctx, filepath.Join(root, "hack", "install-testbin.sh"), "kube-apiserver", "etcd")
		cmd.Stderr = logw
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("hack/install-testbin.sh: %w", err)
		}
		dir = strings.TrimSpace(string(out))
	}
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("%s not found in %s (run hack/install-testbin.sh): %w", b, dir, err)
		}
	}
	return dir, nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "hack", "install-testbin.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("hack/install-testbin.sh not found above the working directory; set KAFKALINK_TESTBIN")
		}
		dir = parent
	}
}

// proc is a child process; done is closed once it has been reaped, so
// nobody but the reaping goroutine touches cmd.ProcessState.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// spawn starts a child in its own process group that dies with us.
func (c *Cluster) spawn(bin, logPath string, args ...string) error {
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", filepath.Base(bin), err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	c.procs = append(c.procs, p)
	return nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func waitHTTP(ctx context.Context, hc *http.Client, url string, timeout time.Duration, p *proc, logPath string) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if p.exited() {
			tail := logTail(logPath, 30)
			if strings.Contains(tail, "address already in use") {
				return fmt.Errorf("%w:\n%s", errPortRace, tail)
			}
			return fmt.Errorf("exited before it was ready; last log lines:\n%s", tail)
		}
		resp, err := hc.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Errorf("%s answered %d", url, resp.StatusCode)
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("not ready after %s (%v); last log lines:\n%s", timeout, last, logTail(logPath, 30))
}

func logTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		lines = append(lines, s.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// Stop stops the API server, then etcd (SIGTERM, SIGKILL after 5s), and
// removes the directory unless KeepDir. It is safe to call twice.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		for i := len(c.procs) - 1; i >= 0; i-- {
			stopProc(c.procs[i])
		}
		untrack(c)
		if !c.keepDir {
			c.stopErr = os.RemoveAll(c.Dir)
		}
	})
	return c.stopErr
}

func stopProc(p *proc) {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(5 * time.Second):
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select { // SIGKILL cannot be ignored; Wait returns promptly
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// StopAPIServer stops kube-apiserver with sig (SIGTERM: gracefully;
// SIGKILL: at once) and waits until it has exited; etcd keeps running.
// Tests use it to prove that clients ride out an outage.
func (c *Cluster) StopAPIServer(sig syscall.Signal) error {
	p := c.procs[1]
	if p.exited() {
		return nil
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(60 * time.Second):
		return fmt.Errorf("kube-apiserver did not exit on %s", sig)
	}
}

// StartAPIServer starts kube-apiserver again, on the same port and etcd,
// and waits until it is ready.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	if !c.procs[1].exited() {
		return fmt.Errorf("kube-apiserver is running")
	}
	n := len(c.procs)
	if err := c.spawn(filepath.Join(c.BinDir, "kube-apiserver"), c.APIServerLog+fmt.Sprintf(".%d", n), c.apiserverArgs...); err != nil {
		return err
	}
	// The new process takes the API server's place among the children.
	c.procs[1], c.procs = c.procs[n], c.procs[:n]
	return waitHTTP(ctx, c.readyClient, c.URL+"/readyz", 60*time.Second, c.procs[1], c.APIServerLog)
}

// PIDs returns the process ids of etcd and kube-apiserver (tests).
func (c *Cluster) PIDs() []int {
	var out []int
	for _, p := range c.procs {
		out = append(out, p.cmd.Process.Pid)
	}
	return out
}

type pkiFiles struct {
	ca, serving, servingKey, saPub, saKey string
	caPEM, adminPEM, adminKeyPEM          []byte
}

func writePKI(dir string) (*pkiFiles, error) {
	pdir := filepath.Join(dir, "pki")
	if err := os.MkdirAll(pdir, 0o700); err != nil {
		return nil, err
	}
	ca, err := certs.NewCA("kafkalink-localcluster-ca", 7*24*time.Hour)
	if err != nil {
		return nil, err
	}
	serving, err := ca.Issue("kube-apiserver", []string{"127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "10.0.0.1"}, 7*24*time.Hour, false)
	if err != nil {
		return nil, err
	}
	adminPEM, adminKeyPEM, err := adminCert(ca)
	if err != nil {
		return nil, err
	}
	sa, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&sa.PublicKey)
	if err != nil {
		return nil, err
	}
	p := &pkiFiles{
		ca: filepath.Join(pdir, "ca.crt"), serving: filepath.Join(pdir, "apiserver.crt"), servingKey: filepath.Join(pdir, "apiserver.key"),
		saPub: filepath.Join(pdir, "sa.pub"), saKey: filepath.Join(pdir, "sa.key"),
		caPEM: ca.CertPEM, adminPEM: adminPEM, adminKeyPEM: adminKeyPEM,
	}
	for path, data := range map[string][]byte{
		p.ca: ca.CertPEM, p.serving: serving.CertPEM, p.servingKey: serving.KeyPEM,
		p.saPub: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub}),
		p.saKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(sa)}),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// adminCert issues a client certificate in group system:masters.
func adminCert(ca *certs.CA) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "kafkalink-admin", Organization: []string{"system:masters"}},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, nil, err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), nil
}

func writeKubeconfig(path, server string, p *pkiFiles) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kafkalink-local"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: p.caPEM}
	cfg.AuthInfos["kafkalink-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: p.adminPEM, ClientKeyData: p.adminKeyPEM}
	cfg.Contexts["kafkalink-local"] = &clientcmdapi.Context{Cluster: "kafkalink-local", AuthInfo: "kafkalink-admin", Namespace: "default"}
	cfg.CurrentContext = "kafkalink-local"
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	if !bytes.Contains(b, []byte("kafkalink-local")) {
		return errors.New("kubeconfig serialisation failed")
	}
	return os.WriteFile(path, b, 0o600)
}
