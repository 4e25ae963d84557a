package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"

	"github.com/kafkalink/kafkalink/pkg/certs"
)

// Keys of the self-managed certificate Secret.
const (
	keyCACert     = "ca.crt"
	keyCAKey      = "ca.key"
	keyTLSCert    = "tls.crt"
	keyTLSKey     = "tls.key"
	keyPreviousCA = "ca-previous.crt"
	// annotationRotatedAt records when the CA was last replaced: the
	// previous one stays in the caBundle at least CAOverlap from then.
	annotationRotatedAt = "kafkalink.io/ca-rotated-at"
	// servingAnnotationPrefix, followed by a hash of a replica's identity,
	// is the annotation where that replica publishes which CA its served
	// certificate chains to, and when it last said so:
	// "<hex SHA-256 of the CA certificate>;<RFC3339 heartbeat>".
	servingAnnotationPrefix = "serving.kafkalink.io/"
	// staleHeartbeats is how many check intervals without a heartbeat make
	// a replica's entry stale: the replica is gone, and its entry is pruned.
	staleHeartbeats = 3
)

// Lifetimes of self-managed certificates. The serving certificate is
// renewed when less than a third of its life is left; the CA is replaced
// when it would expire within one serving lifetime.
const (
	caValidity      = 10 * 365 * 24 * time.Hour
	servingValidity = 365 * 24 * time.Hour
	renewBefore     = servingValidity / 3
)

// CertificateManager keeps the webhook's own CA and serving certificate in
// one Secret shared by every replica, and the caBundle of the webhook
// configuration current. It is the default install path, needing no
// cert-manager; overlays/cert-manager turns it off.
//
// Every replica watches the Secret and serves the pair it holds (written to
// CertDir, which the server reloads). One replica, elected through a Lease,
// repairs: it recreates a deleted Secret — from the copy every replica keeps
// in memory, so the CA does not change and no admission fails — renews the
// serving certificate before expiry, and keeps the caBundle. Only when no
// valid copy exists anywhere does it make a new CA, and then the caBundle
// carries the new and the previous CA (the new one first, before any
// replica can serve it), so replicas that still serve the old certificate
// keep working while their watch catches up.
//
// Every replica publishes, in an annotation of the Secret keyed by its
// identity, which CA its served certificate chains to, refreshed every
// CheckInterval. The previous CA leaves the caBundle only when CAOverlap has
// passed and every live replica (one whose entry was refreshed within
// staleHeartbeats intervals) serves a certificate of the current CA; the
// entries of gone replicas are pruned, so they do not block it.
type CertificateManager struct {
	Client kubernetes.Interface
	// Namespace and SecretName locate the certificate Secret; the Lease of
	// the repairing replica has the Secret's name.
	Namespace, SecretName string
	// ServiceName is the webhook Service; the certificate is issued for its DNS names.
	ServiceName string
	// ExtraHosts are more DNS names or IP addresses for the certificate.
	ExtraHosts []string
	// WebhookConfiguration is the ValidatingWebhookConfiguration whose caBundle is kept current.
	WebhookConfiguration string
	// CertDir receives tls.crt and tls.key.
	CertDir string
	// Identity of this replica in the Lease; hostname and a UID when empty.
	Identity string
	// CAOverlap is how long a replaced CA stays in the caBundle at least
	// (1h when 0); it stays longer while a live replica still serves a
	// certificate of it.
	CAOverlap time.Duration
	// CheckInterval is how often the elected replica checks the Secret
	// and the caBundle besides reacting to watch events, and how often every
	// replica refreshes the entry saying which CA it serves (30s when 0).
	CheckInterval time.Duration
	// LeaseDuration, RenewDeadline and RetryPeriod tune the election
	// (15s, 10s, 2s when 0).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu                  sync.Mutex
	lastGood            map[string][]byte    // the last valid Secret data seen
	lastGoodAnnotations map[string]string    // and its annotations (rotation time, replica entries)
	served              []byte               // tls.crt written to CertDir
	seen                map[string]seenEntry // replica entries as this replica watched them (stale)
	servedCA            string               // fingerprint of the CA that issued served
	ready               chan struct{}        // closed once a certificate is written
	once                sync.Once
	poke                chan struct{} // wakes the elected replica's Reconcile
	republish           chan struct{} // wakes this replica's publish
	id                  string        // Identity, or a generated one
	servingKey          string        // this replica's annotation on the Secret
	laggingLogged       string        // the lagging replicas last logged
}

func (m *CertificateManager) init() {
	m.once.Do(func() {
		m.ready = make(chan struct{})
		m.poke = make(chan struct{}, 1)
		m.republish = make(chan struct{}, 1)
		m.id = m.Identity
		if m.id == "" {
			host, _ := os.Hostname()
			m.id = host + "_" + string(uuid.NewUUID())
		}
		m.servingKey = servingKey(m.id)
	})
}

func (m *CertificateManager) checkInterval() time.Duration {
	return orDefault(m.CheckInterval, 30*time.Second)
}

func (m *CertificateManager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *CertificateManager) hosts() []string {
	return append([]string{
		m.ServiceName,
		m.ServiceName + "." + m.Namespace,
		m.ServiceName + "." + m.Namespace + ".svc",
		m.ServiceName + "." + m.Namespace + ".svc.cluster.local",
	}, m.ExtraHosts...)
}

// Ready is closed once this replica has a certificate to serve.
func (m *CertificateManager) Ready() <-chan struct{} {
	m.init()
	return m.ready
}

// validate reports why data is not a usable CA and serving pair, or nil.
func (m *CertificateManager) validate(data map[string][]byte) error {
	ca, err := certs.ParseCA(data[keyCACert], data[keyCAKey])
	if err != nil {
		return err
	}
	pair, err := tls.X509KeyPair(data[keyTLSCert], data[keyTLSKey])
	if err != nil {
		return fmt.Errorf("serving certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return fmt.Errorf("serving certificate: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: m.ServiceName + "." + m.Namespace + ".svc", CurrentTime: m.now()}); err != nil {
		return fmt.Errorf("serving certificate does not verify against the CA: %w", err)
	}
	return nil
}

// needsRenewal reports whether the serving certificate is close to expiry.
func (m *CertificateManager) needsRenewal(data map[string][]byte) bool {
	exp, err := certs.NotAfter(data[keyTLSCert])
	return err != nil || m.now().Add(renewBefore).After(exp)
}

// caExpiring reports whether the CA would expire within one serving lifetime.
func (m *CertificateManager) caExpiring(data map[string][]byte) bool {
	exp, err := certs.NotAfter(data[keyCACert])
	return err != nil || m.now().Add(servingValidity).After(exp)
}

// reissue replaces the serving pair in data, signed by data's CA.
func (m *CertificateManager) reissue(data map[string][]byte) error {
	ca, err := certs.ParseCA(data[keyCACert], data[keyCAKey])
	if err != nil {
		return err
	}
	pair, err := ca.Issue(m.ServiceName+"."+m.Namespace+".svc", m.hosts(), servingValidity, false)
	if err != nil {
		return err
	}
	data[keyTLSCert], data[keyTLSKey] = pair.CertPEM, pair.KeyPEM
	return nil
}

// observe is every replica's reaction to the Secret: serve a valid pair,
// remember it, and wake the elected replica.
func (m *CertificateManager) observe(ctx context.Context, s *corev1.Secret) {
	m.init()
	defer m.wake()
	if s == nil {
		return // deleted: keep serving; the elected replica recreates it
	}
	// Then: publish what this replica serves when the Secret does not say it.
	defer m.checkPublished(s)
	if err := m.validate(s.Data); err != nil {
		klog.FromContext(ctx).Error(err, "The webhook certificate Secret is not usable; serving the previous certificate until it is repaired", "secret", klog.KRef(m.Namespace, m.SecretName))
		return
	}
	m.mu.Lock()
	// The annotations go with the data: a Secret restored from this copy
	// keeps its rotation time and the replicas' entries.
	m.lastGood, m.lastGoodAnnotations = maps.Clone(s.Data), maps.Clone(s.Annotations)
	changed := !bytes.Equal(m.served, s.Data[keyTLSCert])
	m.mu.Unlock()
	if !changed {
		return
	}
	if err := m.write(s.Data); err != nil {
		klog.FromContext(ctx).Error(err, "Writing the serving certificate failed")
		return
	}
	klog.FromContext(ctx).Info("Serving the certificate from the Secret", "secret", klog.KRef(m.Namespace, m.SecretName))
	select {
	case <-m.ready:
	default:
		close(m.ready)
	}
}

func (m *CertificateManager) write(data map[string][]byte) error {
	// Key first: the reloader loads when either file changes, and a
	// certificate without its key would not load.
	if err := writeFileIfChanged(filepath.Join(m.CertDir, keyTLSKey), data[keyTLSKey]); err != nil {
		return err
	}
	if err := writeFileIfChanged(filepath.Join(m.CertDir, keyTLSCert), data[keyTLSCert]); err != nil {
		return err
	}
	m.mu.Lock()
	m.served = bytes.Clone(data[keyTLSCert])
	m.servedCA = fingerprint(data[keyCACert])
	m.mu.Unlock()
	return nil
}

// checkPublished wakes the publisher when the Secret's entry of this
// replica is missing or names another CA than the one it serves.
func (m *CertificateManager) checkPublished(s *corev1.Secret) {
	m.mu.Lock()
	ca := m.servedCA
	m.mu.Unlock()
	if ca == "" {
		return
	}
	if e, err := parseServingEntry(s.Annotations[m.servingKey]); err == nil && e.ca == ca {
		return
	}
	select {
	case m.republish <- struct{}{}:
	default:
	}
}

func (m *CertificateManager) wake() {
	select {
	case m.poke <- struct{}{}:
	default:
	}
}

// Reconcile is the elected replica's duty, run on every Secret event and
// every CheckInterval: the Secret exists and holds a valid, unexpired pair
// (repaired from the last valid copy when possible), and the caBundle is
// the Secret's CA plus, during an overlap, the previous one. The previous
// CA goes once CAOverlap has passed and every live replica serves a
// certificate of the current CA; entries of gone replicas are pruned.
func (m *CertificateManager) Reconcile(ctx context.Context) error {
	m.init()
	// A replica's heartbeat can race with the write: read again and retry.
	// A CA made by a failed attempt is reused, so a retry makes no other.
	var rotated map[string][]byte
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		return m.reconcile(ctx, &rotated)
	})
}

func (m *CertificateManager) reconcile(ctx context.Context, rotated *map[string][]byte) error {
	secrets := m.Client.CoreV1().Secrets(m.Namespace)
	logger := klog.FromContext(ctx).WithValues("secret", klog.KRef(m.Namespace, m.SecretName))
	s, err := secrets.Get(ctx, m.SecretName, metav1.GetOptions{})
	exists := err == nil
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("get Secret %s/%s: %w", m.Namespace, m.SecretName, err)
	}
	var data map[string][]byte
	var annotations map[string]string
	// What this pass changed, logged once the write succeeded.
	type action struct {
		msg string
		kv  []any
	}
	var actions []action
	if exists && m.validate(s.Data) == nil {
		data, annotations = maps.Clone(s.Data), maps.Clone(s.Annotations)
	} else {
		// Deleted or damaged: the last valid copy, with its annotations
		// (the rotation time and the replicas' entries), under what a
		// damaged Secret still has.
		m.mu.Lock()
		data, annotations = maps.Clone(m.lastGood), maps.Clone(m.lastGoodAnnotations)
		m.mu.Unlock()
		if data != nil && m.validate(data) == nil {
			actions = append(actions, action{msg: "Restored the webhook certificate Secret from the last valid copy"})
		} else {
			data = nil
		}
		if exists {
			if annotations == nil {
				annotations = map[string]string{}
			}
			maps.Copy(annotations, s.Annotations)
		}
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	now := m.now()
	if data == nil || m.caExpiring(data) {
		if *rotated == nil {
			if *rotated, err = m.rotate(ctx, data); err != nil {
				return err
			}
		}
		data = maps.Clone(*rotated)
		annotations[annotationRotatedAt] = now.UTC().Format(time.RFC3339)
		actions = append(actions, action{msg: "Issued a new webhook CA and serving certificate"})
	} else if m.needsRenewal(data) {
		if err := m.reissue(data); err != nil {
			return err
		}
		actions = append(actions, action{msg: "Renewed the webhook serving certificate"})
	}
	if pruned := m.pruneStale(annotations); len(pruned) > 0 {
		actions = append(actions, action{msg: "Pruned the entries of webhook replicas gone silent", kv: []any{"annotations", pruned, "staleAfter", staleHeartbeats * m.checkInterval()}})
	}
	if _, ok := data[keyPreviousCA]; ok {
		rotatedAt, err := time.Parse(time.RFC3339, annotations[annotationRotatedAt])
		switch {
		case err != nil:
			// Never read as "over": replicas may still serve the previous CA.
			annotations[annotationRotatedAt] = now.UTC().Format(time.RFC3339)
			actions = append(actions, action{msg: "Restarted the CA overlap: its start time was missing or unreadable"})
		case !now.After(rotatedAt.Add(orDefault(m.CAOverlap, time.Hour))):
			// The minimum overlap has not passed.
		default:
			if lagging := m.lagging(annotations, data[keyCACert]); len(lagging) > 0 {
				// Said once per set of lagging replicas, not on every heartbeat.
				m.mu.Lock()
				changed := m.laggingLogged != strings.Join(lagging, ",")
				m.laggingLogged = strings.Join(lagging, ",")
				m.mu.Unlock()
				if changed {
					logger.Info("Keeping the previous webhook CA after the overlap: replicas still serve a certificate of it", "annotations", lagging)
				}
			} else {
				delete(data, keyPreviousCA)
				actions = append(actions, action{msg: "Dropped the previous webhook CA: the overlap passed and every replica serves the current one"})
			}
		}
	}
	switch {
	case !exists:
		s = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: m.SecretName, Namespace: m.Namespace, Labels: map[string]string{"app.kubernetes.io/part-of": "kafkalink"}, Annotations: annotations},
			Type:       corev1.SecretTypeOpaque,
			Data:       data,
		}
		if _, err := secrets.Create(ctx, s, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create Secret %s/%s: %w", m.Namespace, m.SecretName, err)
		}
		if len(actions) == 0 {
			actions = append(actions, action{msg: "Recreated the webhook certificate Secret"})
		}
	case len(actions) > 0:
		s = s.DeepCopy()
		s.Data, s.Annotations = data, annotations
		if _, err := secrets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("update Secret %s/%s: %w", m.Namespace, m.SecretName, err)
		}
	}
	for _, a := range actions {
		logger.Info(a.msg, a.kv...)
	}
	return m.injectCABundle(ctx, bundle(data))
}

// rotate makes a new CA and pair. The caBundle gains the new CA before the
// Secret (and so any replica) has it, and keeps the CAs it held, which
// become the previous CA for the overlap.
func (m *CertificateManager) rotate(ctx context.Context, old map[string][]byte) (map[string][]byte, error) {
	ca, err := certs.NewCA("kafkalink-webhook-ca", caValidity)
	if err != nil {
		return nil, fmt.Errorf("new webhook CA: %w", err)
	}
	data := map[string][]byte{keyCACert: ca.CertPEM, keyCAKey: ca.KeyPEM}
	if err := m.reissue(data); err != nil {
		return nil, fmt.Errorf("issue a serving certificate of the new CA: %w", err)
	}
	var previous [][]byte
	if old != nil {
		previous = append(previous, old[keyCACert])
	}
	current, err := m.currentBundle(ctx)
	if err != nil {
		return nil, err
	}
	previous = append(previous, current)
	if prev := validCerts(m.now(), previous...); len(prev) > 0 {
		data[keyPreviousCA] = prev
	}
	// The new CA is trusted before anything can serve a certificate of it.
	if err := m.injectCABundle(ctx, bundle(data)); err != nil {
		return nil, err
	}
	return data, nil
}

// servingEntry is what a replica publishes on the Secret: the CA its
// served certificate chains to, and when it last said so.
type servingEntry struct {
	ca        string // hex SHA-256 of the CA certificate
	heartbeat time.Time
}

func (e servingEntry) String() string {
	return e.ca + ";" + e.heartbeat.UTC().Format(time.RFC3339Nano)
}

func parseServingEntry(v string) (servingEntry, error) {
	ca, at, ok := strings.Cut(v, ";")
	if !ok {
		return servingEntry{}, fmt.Errorf("serving entry %q: want <fingerprint>;<RFC3339 time>", v)
	}
	if b, err := hex.DecodeString(ca); err != nil || len(b) != sha256.Size {
		return servingEntry{}, fmt.Errorf("serving entry %q: fingerprint is not a hex SHA-256", v)
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return servingEntry{}, fmt.Errorf("serving entry %q: %w", v, err)
	}
	return servingEntry{ca: ca, heartbeat: t}, nil
}

// servingKey is the annotation of the replica with this identity: a
// valid annotation name whatever the identity (a pod name, a UID).
func servingKey(identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return servingAnnotationPrefix + hex.EncodeToString(sum[:8])
}

// fingerprint is the hex SHA-256 of the first certificate in PEM data.
func fingerprint(pemData []byte) string {
	b, _ := pem.Decode(pemData)
	if b == nil {
		return ""
	}
	sum := sha256.Sum256(b.Bytes)
	return hex.EncodeToString(sum[:])
}

// stale reports whether the entry under key has kept the value v for
// staleHeartbeats intervals, as this replica has watched it: a live replica
// rewrites its heartbeat every interval. Time is this replica's own clock,
// from when it first saw the value — never the writer's timestamp, so a
// replica whose clock is off is neither pruned at once (a write loop with
// its republishing) nor taken for gone while it serves an old CA. A newly
// elected replica starts by taking every entry as fresh.
func (m *CertificateManager) stale(key, v string) bool {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]seenEntry{}
	}
	s, ok := m.seen[key]
	if !ok || s.value != v {
		m.seen[key] = seenEntry{value: v, at: now}
		return false
	}
	return now.Sub(s.at) > staleHeartbeats*m.checkInterval()
}

// seenEntry is a replica entry's value and when this replica first saw it.
type seenEntry struct {
	value string
	at    time.Time
}

// pruneStale removes unreadable entries and those of replicas that have
// not refreshed theirs for staleHeartbeats intervals (gone), and returns
// their keys.
func (m *CertificateManager) pruneStale(annotations map[string]string) []string {
	var pruned []string
	for k, v := range annotations {
		if !strings.HasPrefix(k, servingAnnotationPrefix) {
			continue
		}
		if _, err := parseServingEntry(v); err != nil || m.stale(k, v) {
			delete(annotations, k)
			pruned = append(pruned, k)
			m.mu.Lock()
			delete(m.seen, k)
			m.mu.Unlock()
		}
	}
	slices.Sort(pruned)
	return pruned
}

// lagging lists the entries of live replicas whose served certificate does
// not chain to ca.
func (m *CertificateManager) lagging(annotations map[string]string, ca []byte) []string {
	want := fingerprint(ca)
	var out []string
	for k, v := range annotations {
		if !strings.HasPrefix(k, servingAnnotationPrefix) {
			continue
		}
		if e, err := parseServingEntry(v); err == nil && !m.stale(k, v) && e.ca != want {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// publish writes, on the Secret, which CA this replica's served
// certificate chains to, with a fresh heartbeat; nothing when the entry
// already says so and is younger than half an interval, or when the
// Secret is missing (the elected replica recreates it with the entries it
// kept; the watch event of the new Secret publishes again if needed).
func (m *CertificateManager) publish(ctx context.Context) error {
	m.init()
	m.mu.Lock()
	ca := m.servedCA
	m.mu.Unlock()
	if ca == "" {
		return nil // serving nothing yet
	}
	secrets := m.Client.CoreV1().Secrets(m.Namespace)
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		s, err := secrets.Get(ctx, m.SecretName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get Secret %s/%s: %w", m.Namespace, m.SecretName, err)
		}
		now := m.now()
		if e, err := parseServingEntry(s.Annotations[m.servingKey]); err == nil && e.ca == ca && now.Sub(e.heartbeat) < m.checkInterval()/2 {
			return nil
		}
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[m.servingKey] = servingEntry{ca: ca, heartbeat: now}.String()
		if _, err := secrets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("publish the served certificate on Secret %s/%s: %w", m.Namespace, m.SecretName, err)
		}
		return nil
	})
}

// publishWhileRunning publishes what this replica serves when it changes
// and refreshes the heartbeat every CheckInterval, until ctx ends.
func (m *CertificateManager) publishWhileRunning(ctx context.Context) {
	interval := m.checkInterval()
	logger := klog.FromContext(ctx)
	timer := time.NewTimer(interval)
	defer timer.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.republish:
		case <-timer.C:
		}
		next := interval
		if err := m.publish(ctx); err != nil && ctx.Err() == nil {
			logger.Error(err, "Publishing the served webhook certificate failed; retrying", "annotation", m.servingKey)
			failures++
			next = min(interval, time.Second<<min(failures, 6))
		} else {
			failures = 0
		}
		timer.Reset(next)
	}
}

// bundle is the Secret's CA, then the previous one during an overlap.
func bundle(data map[string][]byte) []byte {
	return append(bytes.Clone(data[keyCACert]), data[keyPreviousCA]...)
}

// validCerts keeps the unexpired, de-duplicated certificates of PEM blocks.
func validCerts(now time.Time, blocks ...[]byte) []byte {
	var out []byte
	seen := map[string]bool{}
	for _, b := range blocks {
		for {
			var p *pem.Block
			if p, b = pem.Decode(b); p == nil {
				break
			}
			c, err := x509.ParseCertificate(p.Bytes)
			if err != nil || now.After(c.NotAfter) || seen[string(p.Bytes)] {
				continue
			}
			seen[string(p.Bytes)] = true
			out = append(out, pem.EncodeToMemory(p)...)
		}
	}
	return out
}

// currentBundle is the caBundle of the first webhook of the configuration.
func (m *CertificateManager) currentBundle(ctx context.Context) ([]byte, error) {
	if m.WebhookConfiguration == "" {
		return nil, nil
	}
	cfg, err := m.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, m.WebhookConfiguration, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get ValidatingWebhookConfiguration %s: %w", m.WebhookConfiguration, err)
	}
	var all []byte
	for _, w := range cfg.Webhooks {
		all = append(all, w.ClientConfig.CABundle...)
	}
	return all, nil
}

// injectCABundle sets caBundle on every webhook of the configuration when it differs.
func (m *CertificateManager) injectCABundle(ctx context.Context, ca []byte) error {
	if m.WebhookConfiguration == "" {
		return nil
	}
	cfgs := m.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	return wait.ExponentialBackoffWithContext(ctx, wait.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Steps: 6}, func(ctx context.Context) (bool, error) {
		cfg, err := cfgs.Get(ctx, m.WebhookConfiguration, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("get ValidatingWebhookConfiguration %s: %w", m.WebhookConfiguration, err)
		}
		changed := false
		for i := range cfg.Webhooks {
			if !bytes.Equal(cfg.Webhooks[i].ClientConfig.CABundle, ca) {
				cfg.Webhooks[i].ClientConfig.CABundle = ca
				changed = true
			}
		}
		if !changed {
			return true, nil
		}
		if _, err := cfgs.Update(ctx, cfg, metav1.UpdateOptions{}); apierrors.IsConflict(err) {
			return false, nil
		} else if err != nil {
			return false, fmt.Errorf("update caBundle of ValidatingWebhookConfiguration %s: %w", m.WebhookConfiguration, err)
		}
		klog.FromContext(ctx).Info("Updated the webhook configuration's caBundle", "validatingWebhookConfiguration", m.WebhookConfiguration)
		return true, nil
	})
}

// Run watches the Secret (every replica) and campaigns for the Lease that
// makes this replica the one that repairs, until ctx ends.
func (m *CertificateManager) Run(ctx context.Context) error {
	m.init()
	factory := informers.NewSharedInformerFactoryWithOptions(m.Client, 0, informers.WithNamespace(m.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", m.SecretName).String()
		}))
	informer := factory.Core().V1().Secrets().Informer()
	secretOf := func(obj any) *corev1.Secret {
		s, _ := obj.(*corev1.Secret)
		return s
	}
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { m.observe(ctx, secretOf(obj)) },
		UpdateFunc: func(_, obj any) { m.observe(ctx, secretOf(obj)) },
		DeleteFunc: func(any) { m.observe(ctx, nil) },
	}); err != nil {
		return fmt.Errorf("watch Secret %s/%s: %w", m.Namespace, m.SecretName, err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()

	id := m.id
	logger := klog.FromContext(ctx)
	logger.Info("Publishing the served webhook certificate on the Secret", "identity", id, "annotation", m.servingKey, "secret", klog.KRef(m.Namespace, m.SecretName))
	// The publisher stops (and is waited for) however Run returns.
	var publisher sync.WaitGroup
	defer publisher.Wait()
	publishCtx, stopPublishing := context.WithCancel(ctx)
	defer stopPublishing()
	publisher.Go(func() { m.publishWhileRunning(publishCtx) })
	// A lost Lease (an apiserver outage, a long pause) is campaigned for
	// again: serving never depended on it.
	for ctx.Err() == nil {
		elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock: &resourcelock.LeaseLock{
				LeaseMeta:  metav1.ObjectMeta{Namespace: m.Namespace, Name: m.SecretName},
				Client:     m.Client.CoordinationV1(),
				LockConfig: resourcelock.ResourceLockConfig{Identity: id},
			},
			LeaseDuration:   orDefault(m.LeaseDuration, 15*time.Second),
			RenewDeadline:   orDefault(m.RenewDeadline, 10*time.Second),
			RetryPeriod:     orDefault(m.RetryPeriod, 2*time.Second),
			ReleaseOnCancel: true,
			Name:            m.SecretName,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) {
					logger.Info("Keeping the webhook certificate (elected)", "identity", id)
					m.repairWhileLeading(ctx)
				},
				OnStoppedLeading: func() {},
			},
		})
		if err != nil {
			return fmt.Errorf("leader election for the webhook certificate: %w", err)
		}
		elector.Run(ctx)
	}
	return nil
}

func (m *CertificateManager) repairWhileLeading(ctx context.Context) {
	interval := m.checkInterval()
	failures := 0
	for {
		next := interval
		if err := m.Reconcile(ctx); err != nil && ctx.Err() == nil {
			klog.FromContext(ctx).Error(err, "Keeping the webhook certificate failed; retrying")
			failures++
			next = min(interval, time.Second<<min(failures, 6))
		} else {
			failures = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-m.poke:
		case <-time.After(next):
		}
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// WaitForCertificate blocks until this replica has a certificate to serve.
func (m *CertificateManager) WaitForCertificate(ctx context.Context) error {
	select {
	case <-m.Ready():
		return nil
	case <-ctx.Done():
		return errors.Join(errors.New("no webhook certificate yet"), ctx.Err())
	}
}

// writeFileIfChanged replaces path atomically when its content differs.
func writeFileIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
