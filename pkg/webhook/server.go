package webhook

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"k8s.io/klog/v2"

	"github.com/kafkalink/kafkalink/pkg/metrics"
)

// CertReloader serves a certificate and key from files and reloads them when
// they change (cert-manager or the webhook's own rotation replace them in
// place), so rotation needs no restart.
type CertReloader struct {
	certFile, keyFile string
	// minCheck throttles the stat calls done on handshakes.
	minCheck time.Duration

	mu        sync.Mutex
	cert      *tls.Certificate
	modTime   time.Time
	size      int64
	lastCheck time.Time
}

// NewCertReloader loads the pair once and returns a reloader; it fails when
// the files are missing or do not match.
func NewCertReloader(certFile, keyFile string) (*CertReloader, error) {
	r := &CertReloader{certFile: certFile, keyFile: keyFile, minCheck: time.Second}
	if err := r.reload(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *CertReloader) fingerprint() (time.Time, int64, error) {
	var newest time.Time
	var size int64
	for _, f := range []string{r.certFile, r.keyFile} {
		st, err := os.Stat(f)
		if err != nil {
			return time.Time{}, 0, err
		}
		if st.ModTime().After(newest) {
			newest = st.ModTime()
		}
		size += st.Size()
	}
	return newest, size, nil
}

func (r *CertReloader) reload() error {
	mod, size, err := r.fingerprint()
	if err != nil {
		return fmt.Errorf("stat serving certificate: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("load serving certificate %s: %w", r.certFile, err)
	}
	r.cert, r.modTime, r.size = &cert, mod, size
	return nil
}

// GetCertificate implements tls.Config.GetCertificate. A failed reload (a
// half-written pair) keeps serving the previous certificate.
func (r *CertReloader) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.lastCheck) >= r.minCheck {
		r.lastCheck = time.Now()
		if mod, size, err := r.fingerprint(); err == nil && (!mod.Equal(r.modTime) || size != r.size) {
			if err := r.reload(); err != nil {
				klog.Background().Error(err, "Reloading the serving certificate failed; keeping the previous one")
			} else {
				klog.Background().Info("Reloaded the serving certificate", "file", r.certFile)
			}
		}
	}
	return r.cert, nil
}

// TLSConfig returns a TLS 1.2+ server configuration serving the reloaded certificate.
func (r *CertReloader) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate}
}

// NewServer wraps the handler in an http.Server with the timeouts an
// admission webhook needs (the apiserver waits at most timeoutSeconds).
func NewServer(addr string, h http.Handler, tlsConfig *tls.Config) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    1 << 16,
	}
}

// Serve runs srv on ln (TLS when srv.TLSConfig is set) until ctx ends, then
// shuts it down gracefully.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	if srv.TLSConfig != nil {
		// HTTP/2 (the apiserver's webhook client speaks it): on shutdown
		// the server sends GOAWAY and the client moves to another replica
		// without losing a request, where closing an idle HTTP/1.1
		// keep-alive connection races with the client writing on it.
		if !slices.Contains(srv.TLSConfig.NextProtos, "h2") {
			srv.TLSConfig.NextProtos = append([]string{"h2"}, append(srv.TLSConfig.NextProtos, "http/1.1")...)
		}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	return metrics.RunServer(ctx, srv, ln, 10*time.Second)
}
