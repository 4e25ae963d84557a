package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkalink/kafkalink/pkg/devenv"
)

// The deployment manifests are accepted by a real API server (server-side
// dry run: full schema validation and admission, nothing persisted), so a
// typo in RBAC, a Deployment or the webhook configuration fails here.
func TestManifestsPassServerSideDryRun(t *testing.T) {
	root, err := devenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	// Namespaced objects need their namespace to exist for the dry run.
	for _, ns := range []string{"kafkalink-system", "kafka", "team-a", "team-b"} {
		if out, err := kubectlErr(t, "create", "namespace", ns); err != nil && !strings.Contains(out, "AlreadyExists") {
			t.Fatalf("create namespace: %v\n%s", err, out)
		}
	}
	// cert-manager is not installed here: stand-in CRDs for its two kinds
	// (any content accepted) let the overlay's own objects be checked.
	if out, err := applyYAML(t, certManagerStandIns); err != nil {
		t.Fatalf("stand-in cert-manager CRDs: %v\n%s", err, out)
	}
	kubectl(t, "wait", "--for=condition=Established", "crd/certificates.cert-manager.io", "crd/issuers.cert-manager.io", "--timeout=30s")
	for _, overlay := range []string{"manifests/base", "manifests/overlays/production", "manifests/overlays/namespaced", "manifests/overlays/cert-manager", "manifests/overlays/tenant-namespaces"} {
		t.Run(overlay, func(t *testing.T) {
			rendered := kubectl(t, "kustomize", filepath.Join(root, overlay))
			// This environment already has a webhook configuration of that
			// name (pointing at the local webhook): the overlay's is checked
			// under another name, as a new object.
			rendered = strings.ReplaceAll(rendered, "name: kafkalink-validating-webhook\n", "name: kafkalink-validating-webhook-dry-run\n")
			f := writeTemp(t, rendered)
			out, err := kubectlErr(t, "apply", "--dry-run=server", "-f", f)
			if err != nil {
				t.Fatalf("kubectl apply --dry-run=server (kustomize %s): %v\n%s", overlay, err, out)
			}
			if strings.Contains(rendered, "kind: ValidatingWebhookConfiguration") && !strings.Contains(out, "kafkalink-validating-webhook-dry-run created (server dry run)") {
				t.Errorf("webhook configuration not checked:\n%s", out)
			}
			for _, want := range []string{"customresourcedefinition.apiextensions.k8s.io/clusterlinks.kafkalink.io", "deployment.apps/kafkalink-controller"} {
				if strings.Contains(rendered, strings.SplitN(want, "/", 2)[1]) && !strings.Contains(out, want) {
					t.Errorf("%s: output lacks %s:\n%s", overlay, want, out)
				}
			}
		})
	}
	// The webhook configuration the environment installed is untouched.
	if got := kubectl(t, "get", "validatingwebhookconfiguration", "kafkalink-validating-webhook", "-o", "jsonpath={.webhooks[0].clientConfig.url}"); !strings.HasPrefix(got, env.WebhookURL) {
		t.Errorf("dry run changed the webhook configuration: %s", got)
	}
}

const certManagerStandIns = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: certificates.cert-manager.io
spec:
  group: cert-manager.io
  names: {kind: Certificate, plural: certificates, singular: certificate, listKind: CertificateList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: issuers.cert-manager.io
spec:
  group: cert-manager.io
  names: {kind: Issuer, plural: issuers, singular: issuer, listKind: IssuerList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`
