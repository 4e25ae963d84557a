package webhook

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/kafkalink/kafkalink/pkg/certs"
)

// Keys of the self-managed certificate Secret.
const (
	keyCACert  = "ca.crt"
	keyCAKey   = "ca.key"
	keyTLSCert = "tls.crt"
	keyTLSKey  = "tls.key"
)

// Lifetimes of self-managed certificates. The serving certificate is
// renewed when less than a third of its life is left.
const (
	caValidity      = 10 * 365 * 24 * time.Hour
	servingValidity = 365 * 24 * time.Hour
	renewBefore     = servingValidity / 3
)

// CertificateManager keeps the webhook's own CA and serving certificate in
// one Secret (shared by every replica), writes them to the certificate
// directory the server reloads from, and keeps the caBundle of the webhook
// configuration current. It is the default install path, needing no
// cert-manager; overlays/cert-manager turns it off.
type CertificateManager struct {
	Client kubernetes.Interface
	// Namespace and SecretName locate the certificate Secret.
	Namespace, SecretName string
	// ServiceName is the webhook Service; the certificate is issued for its DNS names.
	ServiceName string
	// WebhookConfiguration is the ValidatingWebhookConfiguration whose caBundle is kept current.
	WebhookConfiguration string
	// CertDir receives tls.crt and tls.key.
	CertDir string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (m *CertificateManager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *CertificateManager) hosts() []string {
	return []string{
		m.ServiceName,
		m.ServiceName + "." + m.Namespace,
		m.ServiceName + "." + m.Namespace + ".svc",
		m.ServiceName + "." + m.Namespace + ".svc.cluster.local",
	}
}

// issue fills data with a CA (kept if present) and a new serving certificate.
func (m *CertificateManager) issue(data map[string][]byte) error {
	var ca *certs.CA
	var err error
	if len(data[keyCACert]) > 0 && len(data[keyCAKey]) > 0 {
		ca, err = certs.ParseCA(data[keyCACert], data[keyCAKey])
	}
	if ca == nil || err != nil || m.now().Add(servingValidity).After(ca.Cert.NotAfter) {
		if ca, err = certs.NewCA("kafkalink-webhook-ca", caValidity); err != nil {
			return err
		}
	}
	pair, err := ca.Issue(m.ServiceName+"."+m.Namespace+".svc", m.hosts(), servingValidity, false)
	if err != nil {
		return err
	}
	data[keyCACert], data[keyCAKey] = ca.CertPEM, ca.KeyPEM
	data[keyTLSCert], data[keyTLSKey] = pair.CertPEM, pair.KeyPEM
	return nil
}

// needsRenewal reports whether the Secret's serving certificate is missing,
// unreadable or close to expiry.
func (m *CertificateManager) needsRenewal(data map[string][]byte) bool {
	if len(data[keyTLSKey]) == 0 || len(data[keyCACert]) == 0 {
		return true
	}
	exp, err := certs.NotAfter(data[keyTLSCert])
	return err != nil || m.now().Add(renewBefore).After(exp)
}

// Sync ensures the Secret holds a valid CA and serving certificate, writes
// the pair to CertDir and the CA into the webhook configuration. Replicas
// race safely: creation conflicts and update conflicts re-read the Secret.
func (m *CertificateManager) Sync(ctx context.Context) error {
	secrets := m.Client.CoreV1().Secrets(m.Namespace)
	var data map[string][]byte
	err := wait.ExponentialBackoffWithContext(ctx, wait.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Steps: 6}, func(ctx context.Context) (bool, error) {
		s, err := secrets.Get(ctx, m.SecretName, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			s = &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: m.SecretName, Namespace: m.Namespace, Labels: map[string]string{"app.kubernetes.io/part-of": "kafkalink"}},
				Type:       corev1.SecretTypeOpaque,
				Data:       map[string][]byte{},
			}
			if err := m.issue(s.Data); err != nil {
				return false, err
			}
			if _, err := secrets.Create(ctx, s, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
				return false, nil // another replica won; use its certificate
			} else if err != nil {
				return false, fmt.Errorf("create Secret %s/%s: %w", m.Namespace, m.SecretName, err)
			}
			data = s.Data
			return true, nil
		case err != nil:
			return false, fmt.Errorf("get Secret %s/%s: %w", m.Namespace, m.SecretName, err)
		}
		if s.Data == nil {
			s.Data = map[string][]byte{}
		}
		if m.needsRenewal(s.Data) {
			if err := m.issue(s.Data); err != nil {
				return false, err
			}
			if _, err := secrets.Update(ctx, s, metav1.UpdateOptions{}); apierrors.IsConflict(err) {
				return false, nil
			} else if err != nil {
				return false, fmt.Errorf("update Secret %s/%s: %w", m.Namespace, m.SecretName, err)
			}
			klog.FromContext(ctx).Info("Renewed the webhook serving certificate", "secret", klog.KRef(m.Namespace, m.SecretName))
		}
		data = s.Data
		return true, nil
	})
	if err != nil {
		return err
	}
	if err := writeFileIfChanged(filepath.Join(m.CertDir, keyTLSKey), data[keyTLSKey]); err != nil {
		return err
	}
	if err := writeFileIfChanged(filepath.Join(m.CertDir, keyTLSCert), data[keyTLSCert]); err != nil {
		return err
	}
	return m.injectCABundle(ctx, data[keyCACert])
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

// Run re-syncs every interval until ctx ends, renewing before expiry and
// repairing a caBundle someone reset (e.g. a GitOps re-apply of the base).
func (m *CertificateManager) Run(ctx context.Context, interval time.Duration) {
	wait.UntilWithContext(ctx, func(ctx context.Context) {
		if err := m.Sync(ctx); err != nil {
			klog.FromContext(ctx).Error(err, "Syncing the webhook certificate failed")
		}
	}, interval)
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
