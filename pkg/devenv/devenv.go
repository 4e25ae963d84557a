// Package devenv starts kafkalink's whole local environment — a pinned
// etcd + kube-apiserver (pkg/localcluster), the REST emulator with an
// "on-prem" source and a "cloud" destination cluster, the CRDs, the
// admission webhook and the controller — in one process. `make run`, the
// end-to-end tests and the benchmarks all use it, so they exercise the same
// wiring a user sees.
package devenv

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"

	"github.com/kafkalink/kafkalink/pkg/certs"
	"github.com/kafkalink/kafkalink/pkg/controller"
	"github.com/kafkalink/kafkalink/pkg/generated/clientset/versioned"
	"github.com/kafkalink/kafkalink/pkg/kafkarest/emulator"
	"github.com/kafkalink/kafkalink/pkg/localcluster"
	"github.com/kafkalink/kafkalink/pkg/webhook"
)

// The emulated clusters match artifacts/examples: their ids, bootstrap
// addresses and the REST classes that point at them.
const (
	SourceClusterID      = "onprem-kafka"
	SourceBootstrap      = "kafka.operator.svc.cluster.local:9071"
	DestinationClusterID = "lkc-cloud"
	DestinationBootstrap = "pkc-xxxxx.us-west4.gcp.confluent.cloud:9092"
	// OAuthClusterID is a third cluster whose REST API accepts only OAuth
	// tokens from the emulator's token endpoint (client OAuthClientID).
	OAuthClusterID = "lkc-oauth"
	OAuthBootstrap = "pkc-oauth.example.confluent.cloud:9092"
	OAuthClientID  = "kafkalink"
	sourceRESTUser = "kafka-rest"
)

// SourceTopics are the topics the emulated source cluster starts with.
var SourceTopics = map[string]int{"demo-topic": 3, "orders": 6, "payments": 3, "inventory": 3, "audit": 1}

// DestinationTopics are the topics the emulated destination cluster starts
// with: a bidirectional link mirrors them the other way.
var DestinationTopics = map[string]int{"cloud-events": 3, "cloud-metrics": 1}

// Options configure Start.
type Options struct {
	// Dir is the run directory (logs, kubeconfig, certificates); a new
	// temporary one when empty. Stop removes it unless Keep.
	Dir  string
	Keep bool
	// Progress receives one line per step; io.Discard when nil.
	Progress io.Writer
	// StopDelay is how long the emulator keeps a promoted or failed-over
	// mirror PENDING_STOPPED (default 2s).
	StopDelay time.Duration
	// InitialLag and LagDrainPerSecond shape the lag of new mirrors
	// (defaults 0: caught up at once).
	InitialLag, LagDrainPerSecond int64
	// Controller tweaks the controller options (tests shorten intervals).
	Controller func(*controller.Options)
	// Webhook tweaks the in-process webhook's options.
	Webhook func(*webhook.Options)
	// MetricsAddr serves the controller's /metrics ("0" disables; a free
	// loopback port when empty).
	MetricsAddr string
	// WebhookMetricsAddr serves the webhook's /metrics, the same way.
	WebhookMetricsAddr string
	// Binaries, when set, is a directory with the built kafkalink-controller
	// and kafkalink-webhook: they run as separate processes (impersonating
	// their ServiceAccounts, logs in Dir) instead of in this one, and
	// Controller is ignored in favour of ControllerArgs.
	Binaries string
	// ControllerArgs and WebhookArgs are extra flags for the binaries.
	ControllerArgs, WebhookArgs []string
}

// Env is a running environment.
type Env struct {
	Dir        string
	Kubeconfig string
	Cluster    *localcluster.Cluster
	Emulator   *emulator.Emulator
	Kafkalink  versioned.Interface

	SourceURL, DestinationURL string
	// OAuthClusterURL is the REST API of OAuthClusterID; OAuthTokenURL the
	// emulator's token endpoint, where OAuthClientID authenticates with
	// OAuthClientSecret (both https, verified with DestinationCA).
	OAuthClusterURL, OAuthTokenURL string
	OAuthClientSecret              string
	// DestinationCA verifies the destination's TLS certificate.
	DestinationCA []byte
	// Credentials of the emulated REST endpoints (generated per run).
	SourceUser, SourcePassword           string
	DestinationUser, DestinationPassword string

	WebhookURL  string
	MetricsAddr string
	// WebhookMetricsAddr serves the webhook's /metrics, /healthz and
	// /readyz (in-process or binary; "0" when disabled).
	WebhookMetricsAddr string
	// PIDs of the binaries' processes by name (Binaries only).
	PIDs map[string]int
	// Logs maps a component to its log file.
	Logs map[string]string

	cancel   context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	errs     []error
	logFiles []*os.File
	stopOnce sync.Once
	keep     bool
}

// RepoRoot finds the repository root (the directory with kafkalink's go.mod).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/kafkalink/kafkalink\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("kafkalink repository root not found above the working directory")
		}
		dir = parent
	}
}

func secret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Start brings the environment up; Stop tears it down. On error everything
// already started is stopped.
func Start(ctx context.Context, opts Options) (env *Env, err error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	step := func(format string, args ...any) { fmt.Fprintf(progress, "kafkalink: "+format+"\n", args...) }

	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "kafkalink-run-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	env = &Env{Dir: dir, cancel: cancel, keep: opts.Keep, Logs: map[string]string{}}
	defer func() {
		if err != nil {
			_ = env.Stop()
		}
	}()

	step("starting etcd and kube-apiserver (pinned v1.37.2) in %s", dir)
	start := time.Now()
	env.Cluster, err = localcluster.Start(ctx, localcluster.Options{Dir: filepath.Join(dir, "apiserver"), KeepDir: true, LogWriter: progress})
	if err != nil {
		return env, fmt.Errorf("start the local API server: %w", err)
	}
	env.Kubeconfig = env.Cluster.KubeconfigPath
	env.Logs["etcd"], env.Logs["kube-apiserver"] = env.Cluster.EtcdLog, env.Cluster.APIServerLog
	step("API server ready in %s at %s", time.Since(start).Round(100*time.Millisecond), env.Cluster.URL)
	if env.Kafkalink, err = versioned.NewForConfig(env.Cluster.Config); err != nil {
		return env, err
	}
	if err := env.Cluster.InstallCRDs(ctx, filepath.Join(root, "manifests", "base", "crds")); err != nil {
		return env, fmt.Errorf("install CRDs: %w", err)
	}
	if err := env.installRBAC(ctx, root); err != nil {
		return env, err
	}
	step("CRDs and the manifests' RBAC installed; the controller and webhook run as their ServiceAccounts")

	if err := env.startEmulator(runCtx, opts); err != nil {
		return env, err
	}
	step("REST emulator: source %s at %s (http), destination %s at %s (https, basic auth)", SourceClusterID, env.SourceURL, DestinationClusterID, env.DestinationURL)
	step("REST emulator: %s at %s (https, OAuth tokens only, from %s)", OAuthClusterID, env.OAuthClusterURL, env.OAuthTokenURL)

	if opts.Binaries != "" {
		if err := env.startWebhookBinary(runCtx, root, opts); err != nil {
			return env, err
		}
		step("webhook binary serving at %s", env.WebhookURL)
		if err := env.startControllerBinary(runCtx, opts); err != nil {
			return env, err
		}
		step("controller binary running (metrics at %s)", env.MetricsAddr)
		return env, nil
	}
	logger, err := env.fileLogger("kafkalink")
	if err != nil {
		return env, err
	}
	if err := env.startWebhook(runCtx, logger, root, opts); err != nil {
		return env, err
	}
	step("webhook serving at %s (metrics at %s)", env.WebhookURL, env.WebhookMetricsAddr)
	if err := env.startController(runCtx, logger, opts); err != nil {
		return env, err
	}
	step("controller running (metrics at %s)", env.MetricsAddr)
	return env, nil
}

// The identities of manifests/base/rbac: the controller and the webhook
// act as these ServiceAccounts (impersonated), so every test and `make run`
// prove the shipped least-privilege RBAC is sufficient.
const (
	ControllerServiceAccount = "system:serviceaccount:kafkalink-system:kafkalink-controller"
	WebhookServiceAccount    = "system:serviceaccount:kafkalink-system:kafkalink-webhook"
)

// installRBAC applies the namespace and RBAC of manifests/base.
func (e *Env) installRBAC(ctx context.Context, root string) error {
	if out, err := e.Kubectl(ctx, "apply", "-f", filepath.Join(root, "manifests", "base", "namespace.yaml")); err != nil {
		return fmt.Errorf("apply the namespace: %w: %s", err, out)
	}
	rendered, err := e.Kubectl(ctx, "kustomize", filepath.Join(root, "manifests", "base", "rbac"))
	if err != nil {
		return fmt.Errorf("render manifests/base/rbac: %w: %s", err, rendered)
	}
	f := filepath.Join(e.Dir, "rbac.yaml")
	if err := os.WriteFile(f, []byte(rendered), 0o600); err != nil {
		return err
	}
	// manifests/base sets the namespace with kustomize; so does -n here.
	if out, err := e.Kubectl(ctx, "apply", "-n", "kafkalink-system", "-f", f); err != nil {
		return fmt.Errorf("apply the RBAC: %w: %s", err, out)
	}
	return nil
}

// as returns the admin config impersonating a ServiceAccount.
func (e *Env) as(user string) *rest.Config {
	cfg := rest.CopyConfig(e.Cluster.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	return cfg
}

func (e *Env) fileLogger(name string) (logr.Logger, error) {
	path := filepath.Join(e.Dir, name+".log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return logr.Logger{}, err
	}
	e.logFiles = append(e.logFiles, f)
	e.Logs[name] = path
	return textlogger.NewLogger(textlogger.NewConfig(textlogger.Output(f), textlogger.Verbosity(2))), nil
}

func (e *Env) startEmulator(ctx context.Context, opts Options) error {
	stopDelay := opts.StopDelay
	if stopDelay == 0 {
		stopDelay = 2 * time.Second
	}
	e.Emulator = emulator.New(emulator.WithStopDelay(stopDelay), emulator.WithLagDecay(opts.InitialLag, opts.LagDrainPerSecond))
	e.SourceUser, e.SourcePassword = sourceRESTUser, secret()
	e.DestinationUser, e.DestinationPassword = "CLOUDKEY"+strings.ToUpper(secret()[:8]), secret()
	e.Emulator.AddCluster(emulator.ClusterConfig{ID: SourceClusterID, Bootstrap: SourceBootstrap, Username: e.SourceUser, Password: e.SourcePassword, Topics: SourceTopics})
	e.Emulator.AddCluster(emulator.ClusterConfig{ID: DestinationClusterID, Bootstrap: DestinationBootstrap, Username: e.DestinationUser, Password: e.DestinationPassword, Topics: DestinationTopics})
	e.Emulator.AddCluster(emulator.ClusterConfig{ID: OAuthClusterID, Bootstrap: OAuthBootstrap, RequireOAuth: true})
	e.OAuthClientSecret = secret()
	e.Emulator.AddOAuthClient(emulator.OAuthClient{ID: OAuthClientID, Secret: e.OAuthClientSecret})

	ca, err := certs.NewCA("kafkalink-run emulator CA", 24*time.Hour)
	if err != nil {
		return err
	}
	pair, err := ca.Issue("127.0.0.1", []string{"127.0.0.1", "localhost"}, 24*time.Hour, false)
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM)
	if err != nil {
		return err
	}
	e.DestinationCA = ca.CertPEM
	if e.SourceURL, err = e.Emulator.Serve(ctx, SourceClusterID, "127.0.0.1:0", nil); err != nil {
		return fmt.Errorf("serve the source REST emulator: %w", err)
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if e.DestinationURL, err = e.Emulator.Serve(ctx, DestinationClusterID, "127.0.0.1:0", tlsConfig); err != nil {
		return fmt.Errorf("serve the destination REST emulator: %w", err)
	}
	if e.OAuthClusterURL, err = e.Emulator.Serve(ctx, OAuthClusterID, "127.0.0.1:0", tlsConfig); err != nil {
		return fmt.Errorf("serve the OAuth cluster's REST emulator: %w", err)
	}
	if e.OAuthTokenURL, err = e.Emulator.ServeOAuth(ctx, "127.0.0.1:0", tlsConfig); err != nil {
		return fmt.Errorf("serve the emulator's OAuth token endpoint: %w", err)
	}
	return nil
}

func (e *Env) startWebhook(ctx context.Context, logger logr.Logger, root string, opts Options) error {
	certDir := filepath.Join(e.Dir, "webhook-certs")
	caPEM, err := certs.WriteServingPair(certDir, []string{"127.0.0.1"}, 24*time.Hour)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	e.WebhookURL = "https://" + ln.Addr().String()
	webhookCfg := e.as(WebhookServiceAccount)
	md, err := metadata.NewForConfig(webhookCfg)
	if err != nil {
		return err
	}
	lookupClient, err := versioned.NewForConfig(webhookCfg)
	if err != nil {
		return err
	}
	lookup, err := webhook.NewCacheLookup(lookupClient, md)
	if err != nil {
		return err
	}
	// The webhook's metrics are half of what an operator watches; the
	// local environment serves them as the shipped binary does.
	if e.WebhookMetricsAddr, err = loopbackAddr(opts.WebhookMetricsAddr); err != nil {
		return err
	}
	wopts := webhook.Options{Listener: ln, CertDir: certDir, MetricsAddr: e.WebhookMetricsAddr, Lookup: lookup}
	if opts.Webhook != nil {
		opts.Webhook(&wopts)
	}
	e.goRun("webhook", func() error {
		return webhook.Run(klog.NewContext(ctx, logger.WithName("webhook")), wopts)
	})
	if !lookup.WaitForSync(ctx) {
		return fmt.Errorf("webhook reference caches did not sync")
	}
	if err := waitTLS(ctx, ln.Addr().String(), caPEM); err != nil {
		return fmt.Errorf("webhook did not start: %w", err)
	}
	manifest := filepath.Join(root, "manifests", "base", "webhook", "validatingwebhookconfiguration.yaml")
	if err := e.Cluster.InstallWebhook(ctx, manifest, e.WebhookURL, caPEM); err != nil {
		return fmt.Errorf("install the webhook configuration: %w", err)
	}
	return nil
}

func (e *Env) startController(ctx context.Context, logger logr.Logger, opts Options) error {
	var err error
	if e.MetricsAddr, err = loopbackAddr(opts.MetricsAddr); err != nil {
		return err
	}
	co := controller.Options{ResyncPeriod: 30 * time.Second, TransitionPollInterval: time.Second, TransitionTimeout: 2 * time.Minute}
	if opts.Controller != nil {
		opts.Controller(&co)
	}
	e.goRun("controller", func() error {
		err := controller.RunManager(klog.NewContext(ctx, logger.WithName("controller")), e.as(ControllerServiceAccount), controller.ManagerOptions{
			Options: co, Workers: 2, MetricsAddr: e.MetricsAddr,
			LeaderElection: controller.LeaderElection{Enabled: true, Namespace: "kafkalink-system", Name: "kafkalink-controller",
				LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second},
		})
		if errors.Is(err, controller.ErrStopped) {
			return nil // the environment is shutting down
		}
		return err
	})
	return nil
}

func (e *Env) goRun(name string, run func() error) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if err := run(); err != nil && !errors.Is(err, context.Canceled) {
			e.mu.Lock()
			e.errs = append(e.errs, fmt.Errorf("%s: %w", name, err))
			e.mu.Unlock()
		}
	}()
}

// Err reports a component that stopped with an error.
func (e *Env) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return errors.Join(e.errs...)
}

func waitTLS(ctx context.Context, addr string, caPEM []byte) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kubectl runs the real kubectl against the environment and returns its
// combined output.
func (e *Env) Kubectl(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", e.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Stop stops the controller, webhook, emulator and API server, and removes
// the run directory unless Keep was set.
func (e *Env) Stop() error {
	var err error
	e.stopOnce.Do(func() {
		e.cancel()
		e.wg.Wait()
		if e.Cluster != nil {
			err = e.Cluster.Stop()
		}
		for _, f := range e.logFiles {
			_ = f.Close()
		}
		if !e.keep {
			err = errors.Join(err, os.RemoveAll(e.Dir))
		}
	})
	return err
}

// loopbackAddr is addr, or a free loopback address when addr is empty.
func loopbackAddr(addr string) (string, error) {
	if addr != "" {
		return addr, nil
	}
	port, err := localcluster.FreePort()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", port), nil
}
