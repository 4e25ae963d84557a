// Package metrics holds what the controller and the webhook share for
// observability: a Prometheus registry of their own (never the global one)
// and the HTTP server for /metrics, /healthz and /readyz.
package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves /metrics from reg, /healthz (the process answers) and
// /readyz (ready returns nil; nil ready means always ready). detail, when
// set, is added to both answers (e.g. "leading" or "standby").
func Handler(reg *prometheus.Registry, ready func() error, detail func() string) http.Handler {
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter) {
		msg := "ok"
		if detail != nil {
			msg += ": " + detail()
		}
		_, _ = w.Write([]byte(msg))
	}
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { ok(w) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ready != nil {
			if err := ready(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		ok(w)
	})
	return mux
}

// Serve runs the observability endpoints on addr until ctx ends. An empty
// addr or "0" disables them.
//
// With profiling, /debug/pprof/ is served too (heap and CPU profiles for an
// operator chasing memory or CPU; off by default, like the Kubernetes
// components' --profiling).
func Serve(ctx context.Context, addr string, reg *prometheus.Registry, ready func() error, detail func() string, profiling bool) error {
	if addr == "" || addr == "0" {
		<-ctx.Done()
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	h := Handler(reg, ready, detail)
	if profiling {
		mux := http.NewServeMux()
		mux.Handle("/", h)
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		h = mux
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	return RunServer(ctx, srv, ln, 5*time.Second)
}

// RunServer serves srv on ln until ctx ends, then shuts it down, giving
// in-flight requests up to grace to finish.
func RunServer(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
