package webhook

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	"k8s.io/klog/v2"

	"github.com/kafkalink/kafkalink/pkg/credentials"
	"github.com/kafkalink/kafkalink/pkg/metrics"
)

// Options configure Run.
type Options struct {
	// Addr is the HTTPS listen address, e.g. ":9443".
	Addr string
	// Listener, when set, is used instead of listening on Addr (tests).
	Listener net.Listener
	// CertDir holds tls.crt and tls.key; they are reloaded when they change.
	CertDir string
	// MetricsAddr serves /metrics, /healthz and /readyz over plain HTTP;
	// "0" disables it.
	MetricsAddr string
	// Lookup, when set, enables the reference checks. A *CacheLookup is
	// started by Run, and /readyz stays false until its caches synced.
	Lookup Lookup
	// Limits bound concurrent admissions and the bytes they hold.
	Limits Limits
	// Directories is the controller's directoryPathInContainer policy;
	// the webhook refuses at apply time what the controller would refuse.
	Directories credentials.DirectoryPolicy
	// ShutdownDelay is how long the server keeps answering, not ready
	// and closing connections after each answer, once ctx ends.
	ShutdownDelay time.Duration
	// Certificates, when set, keeps a self-managed certificate in a Secret
	// shared by the replicas and writes it to CertDir; serving starts once
	// there is one.
	Certificates *CertificateManager
	// Registry receives the webhook metrics; a new one is made when nil.
	Registry *prometheus.Registry
	// Profiling serves /debug/pprof/ on the metrics address.
	Profiling bool
}

// Run serves admission reviews until ctx ends.
func Run(ctx context.Context, opts Options) error {
	logger := klog.FromContext(ctx)
	reg := opts.Registry
	if reg == nil {
		reg = metrics.NewRegistry()
	}
	ln := opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", opts.Addr); err != nil {
			return fmt.Errorf("listen on %s: %w", opts.Addr, err)
		}
	}
	var serving atomic.Bool
	caches, _ := opts.Lookup.(*CacheLookup)
	ready := func() error {
		if !serving.Load() {
			return fmt.Errorf("admission server not serving yet (waiting for its certificate)")
		}
		if caches != nil {
			return caches.Ready()
		}
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return metrics.Serve(ctx, opts.MetricsAddr, reg, ready, nil, opts.Profiling) })
	if caches != nil {
		caches.Start(ctx)
		defer caches.Shutdown()
		g.Go(func() error { caches.waitReady(ctx); return nil })
	}
	if opts.Certificates != nil {
		opts.Certificates.CertDir = opts.CertDir
		g.Go(func() error { return opts.Certificates.Run(ctx) })
	}
	g.Go(func() error {
		if opts.Certificates != nil {
			logger.Info("Waiting for the webhook certificate", "secret", klog.KRef(opts.Certificates.Namespace, opts.Certificates.SecretName))
			if err := opts.Certificates.WaitForCertificate(ctx); err != nil {
				return err
			}
		}
		reloader, err := NewCertReloader(filepath.Join(opts.CertDir, "tls.crt"), filepath.Join(opts.CertDir, "tls.key"))
		if err != nil {
			return err
		}
		srv := NewServer(ln.Addr().String(), NewHandler(HandlerOptions{Lookup: opts.Lookup, Metrics: NewMetrics(reg), Limits: opts.Limits, Directories: opts.Directories}), reloader.TLSConfig())
		logger.Info("Serving admission reviews", "address", ln.Addr().String(), "certDir", opts.CertDir)
		serving.Store(true)
		// On shutdown: not ready at once, every connection's next answer
		// says Connection: close, and only after ShutdownDelay (while load
		// balancers stop sending here) does the server stop. Closing idle
		// keep-alive connections while the apiserver may be writing on
		// them would fail admissions.
		serveCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
		defer stop()
		go func() {
			<-ctx.Done()
			serving.Store(false)
			// HTTP/1.1 clients get Connection: close on their next answer
			// (this also closes idle HTTP/1.1 connections; HTTP/2 ones get
			// GOAWAY at Shutdown).
			srv.SetKeepAlivesEnabled(false)
			if opts.ShutdownDelay > 0 {
				logger.Info("Draining before shutdown", "delay", opts.ShutdownDelay)
				time.Sleep(opts.ShutdownDelay)
			}
			stop()
		}()
		return Serve(serveCtx, srv, ln)
	})
	return g.Wait()
}
