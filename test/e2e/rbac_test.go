package e2e

import (
	"strings"
	"testing"

	"github.com/kafkalink/kafkalink/pkg/devenv"
)

// Every scenario of this suite runs the controller and the webhook as the
// ServiceAccounts of manifests/base/rbac (pkg/devenv impersonates them),
// which proves the RBAC is sufficient. This test proves it is not more
// than needed: what each identity may and may not do.
func TestRBACIsLeastPrivilege(t *testing.T) {
	tests := []struct {
		as      string
		allowed [][]string
		denied  [][]string
	}{
		{
			as: devenv.ControllerServiceAccount,
			allowed: [][]string{
				{"watch", "clusterlinks.kafkalink.io"}, {"update", "clusterlinks.kafkalink.io/status"}, {"update", "clusterlinks.kafkalink.io/finalizers"},
				{"list", "kafkarestclasses.kafkalink.io"}, {"watch", "secrets"}, {"create", "events"},
				{"update", "leases.coordination.k8s.io/kafkalink-controller", "-n", "kafkalink-system"},
			},
			denied: [][]string{
				{"delete", "clusterlinks.kafkalink.io"}, {"create", "clusterlinks.kafkalink.io"}, {"update", "kafkarestclasses.kafkalink.io"},
				{"create", "secrets"}, {"update", "secrets"}, {"delete", "secrets"}, {"create", "pods"},
				{"update", "leases.coordination.k8s.io/kafkalink-controller", "-n", "operator"}, {"update", "leases.coordination.k8s.io/other", "-n", "kafkalink-system"}, {"update", "validatingwebhookconfigurations"},
			},
		},
		{
			as: devenv.WebhookServiceAccount,
			allowed: [][]string{
				{"list", "kafkarestclasses.kafkalink.io"}, {"watch", "kafkarestclasses.kafkalink.io"}, {"list", "secrets"}, {"watch", "secrets"},
				{"update", "validatingwebhookconfigurations/kafkalink-validating-webhook"},
				{"get", "secrets/kafkalink-webhook-certs", "-n", "kafkalink-system"}, {"create", "secrets", "-n", "kafkalink-system"},
				{"update", "leases.coordination.k8s.io/kafkalink-webhook-certs", "-n", "kafkalink-system"},
			},
			denied: [][]string{
				{"get", "secrets", "-n", "operator"}, {"get", "kafkarestclasses.kafkalink.io"}, {"update", "clusterlinks.kafkalink.io"}, {"list", "clusterlinks.kafkalink.io"},
				{"update", "validatingwebhookconfigurations/other"}, {"update", "secrets/other", "-n", "kafkalink-system"},
				{"create", "secrets", "-n", "operator"}, {"update", "leases.coordination.k8s.io/kafkalink-controller", "-n", "kafkalink-system"},
			},
		},
	}
	for _, tt := range tests {
		for _, a := range tt.allowed {
			if out, err := kubectlErr(t, append([]string{"auth", "can-i", "--as", tt.as}, a...)...); err != nil || answer(out) != "yes" {
				t.Errorf("%s should be allowed to %v: %s", tt.as, a, out)
			}
		}
		for _, d := range tt.denied {
			if out, _ := kubectlErr(t, append([]string{"auth", "can-i", "--as", tt.as}, d...)...); answer(out) != "no" {
				t.Errorf("%s should NOT be allowed to %v: %s", tt.as, d, out)
			}
		}
	}
	// The in-process controller holds the leader Lease through that Role.
	if got := kubectl(t, "-n", "kafkalink-system", "get", "lease", "kafkalink-controller", "-o", "jsonpath={.spec.holderIdentity}"); got == "" {
		t.Error("the controller holds no Lease")
	}
}

// answer is kubectl auth can-i's verdict: its last line (warnings precede it).
func answer(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
