package webhook

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestCertificateManager(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset(&admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "kafkalink-validating-webhook"},
		Webhooks:   []admissionregistrationv1.ValidatingWebhook{{Name: "clusterlinks.kafkalink.io"}, {Name: "kafkarestclasses.kafkalink.io"}},
	})
	now := time.Now()
	newManager := func(dir string) *CertificateManager {
		return &CertificateManager{
			Client: client, Namespace: "kafkalink-system", SecretName: "kafkalink-webhook-certs",
			ServiceName: "kafkalink-webhook", WebhookConfiguration: "kafkalink-validating-webhook",
			CertDir: dir, Now: func() time.Time { return now },
		}
	}
	a, b := newManager(t.TempDir()), newManager(t.TempDir())
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	certA, _ := os.ReadFile(filepath.Join(a.CertDir, "tls.crt"))
	certB, _ := os.ReadFile(filepath.Join(b.CertDir, "tls.crt"))
	if len(certA) == 0 || !bytes.Equal(certA, certB) {
		t.Fatal("two replicas do not serve the same certificate from the shared Secret")
	}
	secret, err := client.CoreV1().Secrets("kafkalink-system").Get(ctx, "kafkalink-webhook-certs", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "kafkalink-validating-webhook", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range cfg.Webhooks {
		if !bytes.Equal(w.ClientConfig.CABundle, secret.Data["ca.crt"]) {
			t.Errorf("webhook %s caBundle is not the Secret's CA", w.Name)
		}
	}
	if _, err := NewCertReloader(filepath.Join(a.CertDir, "tls.crt"), filepath.Join(a.CertDir, "tls.key")); err != nil {
		t.Fatalf("written pair does not load: %v", err)
	}

	// Close to expiry the certificate is renewed under the same CA.
	now = now.Add(servingValidity - renewBefore/2)
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	renewed, _ := client.CoreV1().Secrets("kafkalink-system").Get(ctx, "kafkalink-webhook-certs", metav1.GetOptions{})
	if bytes.Equal(renewed.Data["tls.crt"], secret.Data["tls.crt"]) {
		t.Error("serving certificate was not renewed near expiry")
	}
	if !bytes.Equal(renewed.Data["ca.crt"], secret.Data["ca.crt"]) {
		t.Error("renewal replaced a CA that is still valid")
	}
	if got, _ := os.ReadFile(filepath.Join(a.CertDir, "tls.crt")); !bytes.Equal(got, renewed.Data["tls.crt"]) {
		t.Error("renewed certificate not written to the certificate directory")
	}

	// A caBundle reset by a re-apply is repaired.
	cfg, _ = client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "kafkalink-validating-webhook", metav1.GetOptions{})
	cfg.Webhooks[0].ClientConfig.CABundle = nil
	if _, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, cfg, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, _ = client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "kafkalink-validating-webhook", metav1.GetOptions{})
	if !bytes.Equal(cfg.Webhooks[0].ClientConfig.CABundle, renewed.Data["ca.crt"]) {
		t.Error("caBundle reset was not repaired")
	}
}
