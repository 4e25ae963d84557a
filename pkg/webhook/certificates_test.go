package webhook

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"
)

// certFixture is a fake cluster with the webhook configuration, and
// replicas sharing it as CertificateManagers.
type certFixture struct {
	t      *testing.T
	ctx    context.Context
	client *fake.Clientset
	now    time.Time
}

func newCertFixture(t *testing.T) *certFixture {
	_, ctx := ktesting.NewTestContext(t)
	return &certFixture{t: t, ctx: ctx, now: time.Now(), client: fake.NewClientset(&admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "kafkalink-validating-webhook"},
		Webhooks:   []admissionregistrationv1.ValidatingWebhook{{Name: "clusterlinks.kafkalink.io"}, {Name: "kafkarestclasses.kafkalink.io"}},
	})}
}

func (f *certFixture) replica() *CertificateManager {
	return &CertificateManager{
		Client: f.client, Namespace: "kafkalink-system", SecretName: "kafkalink-webhook-certs",
		ServiceName: "kafkalink-webhook", WebhookConfiguration: "kafkalink-validating-webhook",
		CertDir: f.t.TempDir(), Now: func() time.Time { return f.now },
	}
}

func (f *certFixture) secret() *corev1.Secret {
	s, err := f.client.CoreV1().Secrets("kafkalink-system").Get(f.ctx, "kafkalink-webhook-certs", metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *certFixture) bundles() [][]byte {
	cfg, err := f.client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(f.ctx, "kafkalink-validating-webhook", metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	var out [][]byte
	for _, w := range cfg.Webhooks {
		out = append(out, w.ClientConfig.CABundle)
	}
	return out
}

// reconcile runs the elected replica's duty, then lets every replica see
// the Secret as its watch would.
func (f *certFixture) reconcile(leader *CertificateManager, replicas ...*CertificateManager) {
	f.t.Helper()
	if err := leader.Reconcile(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	s := f.secret()
	for _, r := range replicas {
		r.observe(f.ctx, s)
	}
}

func served(t *testing.T, m *CertificateManager) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(m.CertDir, "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// verifies reports whether the certificate a replica serves verifies
// against every webhook's caBundle, as the apiserver checks it.
func (f *certFixture) verifies(m *CertificateManager) bool {
	f.t.Helper()
	block, _ := pem.Decode(served(f.t, m))
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, b := range f.bundles() {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return false
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "kafkalink-webhook.kafkalink-system.svc"}); err != nil {
			return false
		}
	}
	return true
}

func TestCertificatesSharedAndRenewed(t *testing.T) {
	f := newCertFixture(t)
	a, b := f.replica(), f.replica()
	f.reconcile(a, a, b)
	if !bytes.Equal(served(t, a), served(t, b)) {
		t.Fatal("two replicas do not serve the same certificate from the shared Secret")
	}
	first := f.secret()
	for _, bundle := range f.bundles() {
		if !bytes.Equal(bundle, first.Data[keyCACert]) {
			t.Errorf("caBundle is not the Secret's CA")
		}
	}
	if !f.verifies(a) {
		t.Error("served certificate does not verify against the caBundle")
	}
	if _, err := NewCertReloader(filepath.Join(a.CertDir, "tls.crt"), filepath.Join(a.CertDir, "tls.key")); err != nil {
		t.Fatalf("written pair does not load: %v", err)
	}
	select {
	case <-b.Ready():
	default:
		t.Error("a replica with a certificate is not ready")
	}

	// Nothing to do: no write.
	rv := first.ResourceVersion
	f.reconcile(b, a, b)
	if f.secret().ResourceVersion != rv {
		t.Error("a reconcile with nothing to do wrote the Secret")
	}

	// Close to expiry the certificate is renewed under the same CA.
	f.now = f.now.Add(servingValidity - renewBefore/2)
	f.reconcile(a, a, b)
	renewed := f.secret()
	if bytes.Equal(renewed.Data[keyTLSCert], first.Data[keyTLSCert]) {
		t.Error("serving certificate was not renewed near expiry")
	}
	if !bytes.Equal(renewed.Data[keyCACert], first.Data[keyCACert]) {
		t.Error("renewal replaced a CA that is still valid")
	}
	if !bytes.Equal(served(t, b), renewed.Data[keyTLSCert]) {
		t.Error("renewed certificate not written to the certificate directory")
	}

	// A caBundle reset by a re-apply is repaired.
	cfg, _ := f.client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(f.ctx, "kafkalink-validating-webhook", metav1.GetOptions{})
	cfg.Webhooks[0].ClientConfig.CABundle = nil
	if _, err := f.client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(f.ctx, cfg, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.reconcile(b, a, b)
	if !f.verifies(a) {
		t.Error("caBundle reset was not repaired")
	}
}

// A deleted or corrupted Secret is restored from the copy the replicas
// keep: same CA, same certificate, so no admission can fail.
func TestCertificateSecretRepairedFromLastValidCopy(t *testing.T) {
	for name, damage := range map[string]func(f *certFixture){
		"deleted": func(f *certFixture) {
			if err := f.client.CoreV1().Secrets("kafkalink-system").Delete(f.ctx, "kafkalink-webhook-certs", metav1.DeleteOptions{}); err != nil {
				f.t.Fatal(err)
			}
		},
		"corrupted": func(f *certFixture) {
			s := f.secret()
			s.Data[keyTLSKey] = []byte("not a key")
			s.Data[keyCACert] = []byte("garbage")
			if _, err := f.client.CoreV1().Secrets("kafkalink-system").Update(f.ctx, s, metav1.UpdateOptions{}); err != nil {
				f.t.Fatal(err)
			}
		},
		"emptied": func(f *certFixture) {
			s := f.secret()
			s.Data = nil
			if _, err := f.client.CoreV1().Secrets("kafkalink-system").Update(f.ctx, s, metav1.UpdateOptions{}); err != nil {
				f.t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newCertFixture(t)
			a, b := f.replica(), f.replica()
			f.reconcile(a, a, b)
			before := f.secret().Data
			bundleBefore := f.bundles()
			damage(f)
			// Replicas watching a damaged Secret keep serving.
			if s, err := f.client.CoreV1().Secrets("kafkalink-system").Get(f.ctx, "kafkalink-webhook-certs", metav1.GetOptions{}); err == nil {
				a.observe(f.ctx, s)
				b.observe(f.ctx, s)
			} else if apierrors.IsNotFound(err) {
				a.observe(f.ctx, nil)
				b.observe(f.ctx, nil)
			}
			if !bytes.Equal(served(t, a), before[keyTLSCert]) {
				t.Fatal("a replica stopped serving its certificate when the Secret was damaged")
			}
			f.reconcile(b, a, b) // the other replica was elected
			after := f.secret().Data
			for _, k := range []string{keyCACert, keyCAKey, keyTLSCert, keyTLSKey} {
				if !bytes.Equal(after[k], before[k]) {
					t.Errorf("%s changed: the Secret was not restored from the last valid copy", k)
				}
			}
			for i, bundle := range f.bundles() {
				if !bytes.Equal(bundle, bundleBefore[i]) {
					t.Error("caBundle changed during a repair")
				}
			}
			if !f.verifies(a) || !f.verifies(b) {
				t.Error("a replica's certificate no longer verifies")
			}
		})
	}
}

// With no valid copy anywhere (the Secret deleted while every replica
// that had seen it restarted), a new CA is made. The old CA stays in the
// caBundle for the overlap, so a replica still serving the old certificate
// keeps verifying; after the overlap only the new CA is trusted.
func TestCARotationOverlap(t *testing.T) {
	f := newCertFixture(t)
	old := f.replica()
	f.reconcile(old, old)
	oldCA := f.secret().Data[keyCACert]
	if err := f.client.CoreV1().Secrets("kafkalink-system").Delete(f.ctx, "kafkalink-webhook-certs", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	fresh := f.replica() // restarted: has seen no valid Secret
	if err := fresh.Reconcile(f.ctx); err != nil {
		t.Fatal(err)
	}
	s := f.secret()
	if bytes.Equal(s.Data[keyCACert], oldCA) {
		t.Fatal("expected a new CA")
	}
	if !bytes.Contains(s.Data[keyPreviousCA], oldCA) || s.Annotations[annotationRotatedAt] == "" {
		t.Fatalf("the previous CA is not kept for the overlap: %q", s.Annotations)
	}
	// Before the old replica's watch catches up, it serves the old pair.
	if !f.verifies(old) {
		t.Error("the replica still serving the old certificate fails against the caBundle during the overlap")
	}
	fresh.observe(f.ctx, s)
	if !f.verifies(fresh) {
		t.Error("the new certificate does not verify against the caBundle")
	}
	old.observe(f.ctx, s)
	if !bytes.Equal(served(t, old), served(t, fresh)) {
		t.Error("replicas serve different certificates after the rotation")
	}
	// After the overlap the previous CA goes.
	f.now = f.now.Add(2 * time.Hour)
	f.reconcile(fresh, fresh, old)
	if _, ok := f.secret().Data[keyPreviousCA]; ok {
		t.Error("previous CA kept after the overlap")
	}
	for _, b := range f.bundles() {
		if bytes.Contains(b, oldCA) {
			t.Error("caBundle still trusts the old CA after the overlap")
		}
	}
	if !f.verifies(old) {
		t.Error("certificate no longer verifies after the overlap")
	}
}

func (f *certFixture) publish(replicas ...*CertificateManager) {
	f.t.Helper()
	for _, r := range replicas {
		if err := r.publish(f.ctx); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *certFixture) updateSecret(change func(s *corev1.Secret)) {
	f.t.Helper()
	s := f.secret()
	change(s)
	if _, err := f.client.CoreV1().Secrets("kafkalink-system").Update(f.ctx, s, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

// bundlesTrust reports whether every webhook's caBundle holds ca.
func (f *certFixture) bundlesTrust(ca []byte) bool {
	for _, b := range f.bundles() {
		if !bytes.Contains(b, ca) {
			return false
		}
	}
	return true
}

// rotated sets up replicas a and b serving the first CA and publishing it;
// then the Secret is corrupted and c, restarted (it has seen no valid
// Secret), is elected and makes a new CA. c and a serve and publish the new
// certificate; b's watch has not caught up, so it serves the old one.
func (f *certFixture) rotated() (a, b, c *CertificateManager, oldCA []byte) {
	f.t.Helper()
	a, b = f.replica(), f.replica()
	f.reconcile(a, a, b)
	f.publish(a, b)
	oldCA = f.secret().Data[keyCACert]
	f.updateSecret(func(s *corev1.Secret) { s.Data[keyCACert] = []byte("garbage") })
	a.observe(f.ctx, f.secret())
	c = f.replica()
	if err := c.Reconcile(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	s := f.secret()
	if bytes.Equal(s.Data[keyCACert], oldCA) || !bytes.Contains(s.Data[keyPreviousCA], oldCA) {
		f.t.Fatal("expected a new CA with the old one as the previous CA")
	}
	c.observe(f.ctx, s)
	a.observe(f.ctx, s)
	f.publish(c, a)
	return a, b, c, oldCA
}

// entries are the replicas' serving entries on the Secret.
func (f *certFixture) entries() map[string]servingEntry {
	f.t.Helper()
	out := map[string]servingEntry{}
	for k, v := range f.secret().Annotations {
		if strings.HasPrefix(k, servingAnnotationPrefix) {
			e, err := parseServingEntry(v)
			if err != nil {
				f.t.Fatal(err)
			}
			out[k] = e
		}
	}
	return out
}

// The previous CA stays in the caBundle after the minimum overlap while a
// live replica still serves a certificate of it, and leaves once every
// replica confirmed the new one.
func TestPreviousCAKeptUntilEveryReplicaServesTheNewOne(t *testing.T) {
	f := newCertFixture(t)
	a, b, c, oldCA := f.rotated()
	newCA := f.secret().Data[keyCACert]
	if e := f.entries(); len(e) != 3 || e[b.servingKey].ca != fingerprint(oldCA) || e[a.servingKey].ca != fingerprint(newCA) || e[c.servingKey].ca != fingerprint(newCA) {
		t.Fatalf("serving entries do not say which CA each replica serves: %+v", e)
	}
	for _, step := range []struct {
		name      string
		advance   time.Duration
		reload    []*CertificateManager // replicas whose watch delivers the Secret
		keepsPrev bool
	}{
		{name: "within the overlap", advance: 10 * time.Minute, keepsPrev: true},
		{name: "overlap passed, one replica still serves the old certificate", advance: 2 * time.Hour, keepsPrev: true},
		{name: "still not reloaded, heartbeats go on", advance: 20 * time.Minute, keepsPrev: true},
		{name: "every replica serves the new certificate", advance: time.Minute, reload: []*CertificateManager{b}, keepsPrev: false},
	} {
		f.now = f.now.Add(step.advance)
		for _, r := range step.reload {
			r.observe(f.ctx, f.secret())
		}
		f.publish(a, b, c) // heartbeats
		if err := c.Reconcile(f.ctx); err != nil {
			t.Fatal(err)
		}
		_, kept := f.secret().Data[keyPreviousCA]
		if kept != step.keepsPrev || f.bundlesTrust(oldCA) != step.keepsPrev {
			t.Errorf("%s: previous CA in the Secret %v, in the caBundle %v; want %v", step.name, kept, f.bundlesTrust(oldCA), step.keepsPrev)
		}
		if !f.bundlesTrust(newCA) {
			t.Errorf("%s: the caBundle lost the current CA", step.name)
		}
		for name, r := range map[string]*CertificateManager{"a": a, "b": b, "c": c} {
			if !f.verifies(r) {
				t.Errorf("%s: replica %s's certificate does not verify against the caBundle: its admissions would fail", step.name, name)
			}
		}
	}
}

// A replica gone without a word (its pod deleted) leaves an entry naming
// the old CA; once it is staleHeartbeats intervals old it is pruned and no
// longer keeps the previous CA.
func TestStaleReplicaEntryPruned(t *testing.T) {
	f := newCertFixture(t)
	a, b, c, oldCA := f.rotated()
	c.CAOverlap = time.Minute
	interval := c.checkInterval()
	// b is gone: no more heartbeats from it.
	f.now = f.now.Add(staleHeartbeats*interval - 10*time.Second) // past the overlap, b not stale yet
	f.publish(a, c)
	if err := c.Reconcile(f.ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.entries()[b.servingKey]; !ok {
		t.Fatal("the entry of a replica within its heartbeat window was pruned")
	}
	if !f.bundlesTrust(oldCA) {
		t.Fatal("previous CA dropped while a live replica still serves a certificate of it")
	}
	f.now = f.now.Add(20 * time.Second) // b's heartbeat is now older than staleHeartbeats intervals
	f.publish(a, c)
	if err := c.Reconcile(f.ctx); err != nil {
		t.Fatal(err)
	}
	e := f.entries()
	if _, ok := e[b.servingKey]; ok {
		t.Error("the stale entry of a gone replica was not pruned")
	}
	if _, ok := e[a.servingKey]; !ok || len(e) != 2 {
		t.Errorf("live replicas' entries changed by the pruning: %+v", e)
	}
	if _, ok := f.secret().Data[keyPreviousCA]; ok || f.bundlesTrust(oldCA) {
		t.Error("a gone replica's entry keeps the previous CA forever")
	}
	if !f.verifies(a) || !f.verifies(c) {
		t.Error("a live replica's certificate no longer verifies")
	}
}

// During an overlap the Secret is deleted (restored from a replica's copy)
// or loses its rotation time: the previous CA stays, and the overlap ends
// later as usual.
func TestOverlapSurvivesSecretRepair(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(f *certFixture)
		// sameStart: the restored overlap keeps its start; otherwise it restarts now.
		sameStart bool
	}{
		{name: "Secret deleted", sameStart: true, damage: func(f *certFixture) {
			if err := f.client.CoreV1().Secrets("kafkalink-system").Delete(f.ctx, "kafkalink-webhook-certs", metav1.DeleteOptions{}); err != nil {
				f.t.Fatal(err)
			}
		}},
		{name: "Secret corrupted", sameStart: true, damage: func(f *certFixture) {
			f.updateSecret(func(s *corev1.Secret) { s.Data[keyTLSKey] = []byte("not a key") })
		}},
		{name: "rotation time removed", damage: func(f *certFixture) {
			f.updateSecret(func(s *corev1.Secret) { delete(s.Annotations, annotationRotatedAt) })
		}},
		{name: "rotation time unreadable", damage: func(f *certFixture) {
			f.updateSecret(func(s *corev1.Secret) { s.Annotations[annotationRotatedAt] = "yesterday" })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newCertFixture(t)
			a, b, c, oldCA := f.rotated()
			rotatedAt := f.secret().Annotations[annotationRotatedAt]
			f.now = f.now.Add(10 * time.Minute)
			f.publish(a, b, c) // heartbeats; b still serves the old certificate
			for _, r := range []*CertificateManager{a, c} {
				r.observe(f.ctx, f.secret()) // their watch sees the heartbeats
			}
			tc.damage(f)
			if err := c.Reconcile(f.ctx); err != nil {
				t.Fatal(err)
			}
			s := f.secret()
			if !bytes.Contains(s.Data[keyPreviousCA], oldCA) || !f.bundlesTrust(oldCA) {
				t.Fatal("the previous CA left during the overlap: a replica still serving it fails admissions")
			}
			if !f.verifies(b) {
				t.Error("the replica serving the old certificate no longer verifies")
			}
			want := rotatedAt
			if !tc.sameStart {
				want = f.now.UTC().Format(time.RFC3339)
			}
			if got := s.Annotations[annotationRotatedAt]; got != want {
				t.Errorf("rotation time %q, want %q", got, want)
			}
			if _, ok := s.Annotations[b.servingKey]; !ok {
				t.Error("the replicas' entries were lost in the repair")
			}
			// The overlap still ends once it passed and every replica confirmed.
			f.now = f.now.Add(2 * time.Hour)
			for _, r := range []*CertificateManager{a, b, c} {
				r.observe(f.ctx, f.secret())
			}
			f.publish(a, b, c)
			if err := c.Reconcile(f.ctx); err != nil {
				t.Fatal(err)
			}
			if f.bundlesTrust(oldCA) {
				t.Error("the previous CA never leaves after a repair")
			}
		})
	}
}

// A replica's entry: a valid annotation key whatever its identity, the
// served CA's fingerprint and a heartbeat; written on change and refreshed
// after half an interval, retried on a conflict, and never creating a
// deleted Secret (only the elected replica does).
func TestPublishServedCertificate(t *testing.T) {
	f := newCertFixture(t)
	a := f.replica()
	a.Identity = "kafkalink-webhook-7d9f8c6b5-x2x9z_0a1b2c3d-4e5f-6789-abcd-ef0123456789"
	if err := a.publish(f.ctx); err != nil {
		t.Fatal(err) // serving nothing yet: nothing to publish
	}
	f.reconcile(a, a)
	conflicts := f.conflictOnSecretUpdate(1)
	f.publish(a)
	if *conflicts != 0 {
		t.Fatal("no update was attempted")
	}
	if errs := validation.IsQualifiedName(a.servingKey); len(errs) > 0 || !strings.HasPrefix(a.servingKey, servingAnnotationPrefix) {
		t.Fatalf("serving key %q is not a valid annotation key: %v", a.servingKey, errs)
	}
	e, ok := f.entries()[a.servingKey]
	if !ok || e.ca != fingerprint(f.secret().Data[keyCACert]) || !e.heartbeat.Equal(f.now) {
		t.Fatalf("entry %+v (published %v) does not name the served CA with a heartbeat", e, ok)
	}
	rv := f.secret().ResourceVersion
	f.now = f.now.Add(a.checkInterval() / 4)
	f.publish(a)
	if f.secret().ResourceVersion != rv {
		t.Error("a fresh entry was written again")
	}
	f.now = f.now.Add(a.checkInterval())
	f.publish(a)
	if e := f.entries()[a.servingKey]; !e.heartbeat.Equal(f.now) {
		t.Error("the heartbeat was not refreshed")
	}
	if err := f.client.CoreV1().Secrets("kafkalink-system").Delete(f.ctx, "kafkalink-webhook-certs", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.publish(a)
	if _, err := f.client.CoreV1().Secrets("kafkalink-system").Get(f.ctx, "kafkalink-webhook-certs", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("publishing recreated a deleted Secret: %v", err)
	}
}

// A replica's heartbeat between the elected replica's read and write is
// a conflict: Reconcile reads again, and a rotation makes one CA only.
func TestReconcileRetriesConflicts(t *testing.T) {
	f := newCertFixture(t)
	a := f.replica()
	f.reconcile(a, a)
	oldCA := f.secret().Data[keyCACert]
	f.updateSecret(func(s *corev1.Secret) { s.Data[keyCACert] = []byte("garbage") })
	conflicts := f.conflictOnSecretUpdate(1)
	fresh := f.replica()
	if err := fresh.Reconcile(f.ctx); err != nil {
		t.Fatal(err)
	}
	if *conflicts != 0 {
		t.Fatal("the rotation met no conflict")
	}
	s := f.secret()
	for _, b := range f.bundles() {
		if n := bytes.Count(b, []byte("BEGIN CERTIFICATE")); n != 2 || !bytes.HasPrefix(b, s.Data[keyCACert]) || !bytes.Contains(b, oldCA) {
			t.Errorf("caBundle holds %d CAs, want the Secret's new CA and the previous one", n)
		}
	}
}

// Replicas running against a cluster publish their entries by themselves.
func TestRunPublishesServedCertificate(t *testing.T) {
	f := newCertFixture(t)
	ctx, cancel := context.WithCancel(f.ctx)
	var done sync.WaitGroup
	defer done.Wait()
	defer cancel()
	var replicas []*CertificateManager
	for range 2 {
		r := f.replica()
		r.Now = nil
		r.CheckInterval, r.LeaseDuration, r.RenewDeadline, r.RetryPeriod = 200*time.Millisecond, 2*time.Second, time.Second, 200*time.Millisecond
		replicas = append(replicas, r)
		done.Go(func() {
			if err := r.Run(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, err := f.client.CoreV1().Secrets("kafkalink-system").Get(f.ctx, "kafkalink-webhook-certs", metav1.GetOptions{})
		published := 0
		if err == nil {
			for _, r := range replicas {
				if e, err := parseServingEntry(s.Annotations[r.servingKey]); err == nil && e.ca == fingerprint(s.Data[keyCACert]) {
					published++
				}
			}
		}
		if published == len(replicas) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d replicas published the certificate they serve", published, len(replicas))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// conflictOnSecretUpdate makes the next n updates of the certificate
// Secret fail with a conflict (another replica wrote in between); the
// counter left says how many have not happened yet.
func (f *certFixture) conflictOnSecretUpdate(n int) *int {
	left := n
	f.client.PrependReactor("update", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
		if left > 0 {
			left--
			return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "secrets"}, "kafkalink-webhook-certs", errors.New("changed"))
		}
		return false, nil, nil
	})
	return &left
}

// A replica entry is stale when its value has not changed for
// staleHeartbeats intervals on the observer's own clock: a replica whose
// clock is an hour behind is neither pruned on sight nor while it keeps
// rewriting its entry, and one that stops is pruned after the intervals.
func TestReplicaEntryStalenessOnTheObserversClock(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	m := &CertificateManager{Now: func() time.Time { return now }, CheckInterval: 30 * time.Second}
	skewed := func(at time.Time) string {
		return servingEntry{ca: strings.Repeat("ab", 32), heartbeat: at.Add(-time.Hour)}.String()
	}
	v := skewed(now)
	if m.stale("k", v) {
		t.Fatal("an entry an hour old by its writer's clock is stale on first sight")
	}
	for range 5 {
		now = now.Add(30 * time.Second)
		v = skewed(now) // the replica rewrites its heartbeat every interval
		if m.stale("k", v) {
			t.Fatal("a replica that keeps rewriting its entry was taken for gone")
		}
	}
	now = now.Add(staleHeartbeats*30*time.Second - time.Second)
	if m.stale("k", v) {
		t.Fatal("stale before staleHeartbeats intervals without a change")
	}
	now = now.Add(2 * time.Second)
	if !m.stale("k", v) {
		t.Fatal("an entry unchanged for staleHeartbeats intervals is not stale")
	}
}
