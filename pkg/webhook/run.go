package webhook

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	"k8s.io/klog/v2"

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
	// Registry receives the webhook metrics; a new one is made when nil.
	Registry *prometheus.Registry
}

// Run serves admission reviews until ctx ends.
func Run(ctx context.Context, opts Options) error {
	logger := klog.FromContext(ctx)
	reloader, err := NewCertReloader(filepath.Join(opts.CertDir, "tls.crt"), filepath.Join(opts.CertDir, "tls.key"))
	if err != nil {
		return err
	}
	reg := opts.Registry
	if reg == nil {
		reg = metrics.NewRegistry()
	}
	ln := opts.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", opts.Addr); err != nil {
			return fmt.Errorf("listen on %s: %w", opts.Addr, err)
		}
	}
	var serving atomic.Bool
	caches, _ := opts.Lookup.(*CacheLookup)
	ready := func() error {
		if !serving.Load() {
			return fmt.Errorf("admission server not serving yet")
		}
		if caches != nil {
			return caches.Ready()
		}
		return nil
	}
	srv := NewServer(ln.Addr().String(), NewHandler(opts.Lookup, NewMetrics(reg), opts.Limits), reloader.TLSConfig())
	g, ctx := errgroup.WithContext(ctx)
	if caches != nil {
		caches.Start(ctx)
		defer caches.Shutdown()
		g.Go(func() error { caches.waitReady(ctx); return nil })
	}
	g.Go(func() error { return metrics.Serve(ctx, opts.MetricsAddr, reg, ready) })
	g.Go(func() error {
		logger.Info("Serving admission reviews", "address", ln.Addr().String(), "certDir", opts.CertDir)
		serving.Store(true)
		return Serve(ctx, srv, ln)
	})
	return g.Wait()
}
