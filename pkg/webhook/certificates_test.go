package webhook

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
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
