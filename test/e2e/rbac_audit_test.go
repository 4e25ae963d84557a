package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kafkalink/kafkalink/pkg/devenv"
	"github.com/kafkalink/kafkalink/pkg/localcluster"
)

// rbacKinds are the objects an overlay's permissions come from.
// (Namespaces are created by the test, so deleting an overlay keeps them.)
var rbacKinds = []string{"ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}

// rbacReasons justify each permission an overlay grants; the golden files
// carry them next to every (identity, namespace) that holds it.
var rbacReasons = map[string]string{
	"clusterlinks.kafkalink.io [] [get list watch update patch]":        "controller: watches ClusterLinks; update/patch add and remove its finalizer",
	"clusterlinks.kafkalink.io/finalizers [] [update]":                  "controller: sets its finalizer (clusters with the OwnerReferencesPermissionEnforcement admission plugin check this subresource)",
	"clusterlinks.kafkalink.io/status [] [get update patch]":            "controller: writes ClusterLink status",
	"kafkarestclasses.kafkalink.io [] [get list watch]":                 "controller: resolves the KafkaRestClass a ClusterLink references",
	"kafkarestclasses.kafkalink.io/status [] [get update patch]":        "controller: writes KafkaRestClass status",
	"kafkarestclasses.kafkalink.io [] [list watch]":                     "webhook: caches KafkaRestClasses for the allowedNamespaces check (no API call per admission)",
	"secrets [] [get list watch]":                                       "controller: watches Secret metadata and GETs the one a ClusterLink or KafkaRestClass references (own namespace only)",
	"secrets [] [list watch]":                                           "webhook: caches Secret metadata (never data) to warn about missing Secrets",
	"secrets [] [list watch create]":                                    "webhook: Secret metadata cache, and creating its own certificate Secret (create cannot be limited by name)",
	"secrets [] [create]":                                               "webhook: creates its certificate Secret (create cannot be limited by name)",
	"secrets [kafkalink-webhook-certs] [get update list watch]":         "webhook: every replica watches the shared certificate Secret and records in it which CA it serves (so the previous CA leaves the caBundle only once all serve the new one); the elected one repairs and renews it",
	"events [] [create patch update]":                                   "controller: records Events on ClusterLinks",
	"events.events.k8s.io [] [create patch update]":                     "controller: records Events (events.k8s.io API)",
	"leases.coordination.k8s.io [] [create]":                            "leader election: creates its Lease the first time (create cannot be limited by name)",
	"leases.coordination.k8s.io [kafkalink-controller] [get update]":    "controller: leader election Lease",
	"leases.coordination.k8s.io [kafkalink-webhook-certs] [get update]": "webhook: Lease electing the replica that repairs the certificate Secret",
	"validatingwebhookconfigurations.admissionregistration.k8s.io [kafkalink-validating-webhook] [get update patch]": "webhook: keeps the caBundle of its own configuration current",
	"selfsubjectaccessreviews.authorization.k8s.io [] [create]":                                                      "granted to every authenticated user by Kubernetes (system:basic-user)",
	"selfsubjectreviews.authentication.k8s.io [] [create]":                                                           "granted to every authenticated user by Kubernetes (system:basic-user)",
	"selfsubjectrulesreviews.authorization.k8s.io [] [create]":                                                       "granted to every authenticated user by Kubernetes (system:basic-user)",
	"clustertrustbundles.certificates.k8s.io [] [get list watch]":                                                    "granted to every authenticated user by Kubernetes (ClusterTrustBundles are public)",
	// Non-resource URLs: Kubernetes' defaults for every authenticated
	// user; kafkalink's manifests grant none.
	"nonResourceURLs [/.well-known/openid-configuration/] [get]": "granted to every authenticated user by Kubernetes (system:service-account-issuer-discovery)",
	"nonResourceURLs [/.well-known/openid-configuration] [get]":  "granted to every authenticated user by Kubernetes (system:service-account-issuer-discovery)",
	"nonResourceURLs [/api/*] [get]":                             "granted to every authenticated user by Kubernetes (system:discovery)",
	"nonResourceURLs [/api] [get]":                               "granted to every authenticated user by Kubernetes (system:discovery)",
	"nonResourceURLs [/apis/*] [get]":                            "granted to every authenticated user by Kubernetes (system:discovery)",
	"nonResourceURLs [/apis] [get]":                              "granted to every authenticated user by Kubernetes (system:discovery)",
	"nonResourceURLs [/healthz] [get]":                           "granted to every authenticated user by Kubernetes (system:public-info-viewer)",
	"nonResourceURLs [/livez] [get]":                             "granted to every authenticated user by Kubernetes (system:public-info-viewer)",
	"nonResourceURLs [/openapi/*] [get]":                         "granted to every authenticated user by Kubernetes (system:discovery)",
	"nonResourceURLs [/openapi] [get]":                           "granted to every authenticated user by Kubernetes (system:discovery)",
	"nonResourceURLs [/openid/v1/jwks/] [get]":                   "granted to every authenticated user by Kubernetes (system:service-account-issuer-discovery)",
	"nonResourceURLs [/openid/v1/jwks] [get]":                    "granted to every authenticated user by Kubernetes (system:service-account-issuer-discovery)",
	"nonResourceURLs [/readyz] [get]":                            "granted to every authenticated user by Kubernetes (system:public-info-viewer)",
	"nonResourceURLs [/version/] [get]":                          "granted to every authenticated user by Kubernetes (system:public-info-viewer)",
	"nonResourceURLs [/version] [get]":                           "granted to every authenticated user by Kubernetes (system:public-info-viewer)",
}

// rbacOnly keeps the RBAC documents of a rendered overlay.
func rbacOnly(rendered string) string {
	var keep []string
	for _, doc := range strings.Split(rendered, "\n---\n") {
		for _, line := range strings.Split(doc, "\n") {
			if k, ok := strings.CutPrefix(line, "kind: "); ok {
				if slices.Contains(rbacKinds, strings.TrimSpace(k)) {
					keep = append(keep, doc)
				}
				break
			}
		}
	}
	return strings.Join(keep, "\n---\n")
}

// auditNamespaces are where each identity's permissions are listed: the
// install's own, the namespaced overlay's, two tenants' and one nobody
// granted anything in.
var auditNamespaces = []string{"kafkalink-system", "kafka", "team-a", "team-b", "unrelated"}

// TestRBACAudit lists, with kubectl auth can-i --list, what each
// ServiceAccount of each overlay may do in each namespace, and compares it
// with testdata/rbac/<overlay>.txt, where every permission carries the
// reason it is needed. A new permission fails the test until it is added
// there with a reason (KAFKALINK_UPDATE_RBAC=1 writes the file; the
// reasons of new lines must then be written by hand).
func TestRBACAudit(t *testing.T) {
	root, err := devenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	h := startHACluster(t)
	for _, ns := range auditNamespaces[1:] {
		h.kubectl("create", "namespace", ns)
	}
	for _, overlay := range []string{"base", "production", "namespaced", "cert-manager", "tenant-namespaces"} {
		t.Run(overlay, func(t *testing.T) {
			dir := filepath.Join(root, "manifests", "overlays", overlay)
			if overlay == "base" {
				dir = filepath.Join(root, "manifests", "base")
			}
			rendered := kubectl(t, "kustomize", dir)
			f := filepath.Join(t.TempDir(), "rbac.yaml")
			if err := os.WriteFile(f, []byte(rbacOnly(rendered)), 0o600); err != nil {
				t.Fatal(err)
			}
			h.kubectl("apply", "-f", f)
			defer h.kubectl("delete", "-f", f, "--ignore-not-found", "--wait=false")
			installNS := "kafkalink-system"
			if overlay == "namespaced" {
				installNS = "kafka"
			}
			var got []string
			for _, sa := range []string{"kafkalink-controller", "kafkalink-webhook"} {
				user := fmt.Sprintf("system:serviceaccount:%s:%s", installNS, sa)
				for _, ns := range auditNamespaces {
					out := h.kubectl("auth", "can-i", "--list", "--as", user, "-n", ns)
					for _, p := range parseCanIList(out) {
						got = append(got, fmt.Sprintf("%s in %s: %s", sa, ns, p))
					}
				}
			}
			slices.Sort(got)
			got = slices.Compact(got)
			golden := filepath.Join(root, "test", "e2e", "testdata", "rbac", overlay+".txt")
			if os.Getenv("KAFKALINK_UPDATE_RBAC") != "" {
				writeRBACGolden(t, golden, got)
			}
			want, reasons := readRBACGolden(t, golden)
			for _, p := range got {
				if !slices.Contains(want, p) {
					t.Errorf("new permission, not justified in %s: %s", golden, p)
				}
			}
			for _, p := range want {
				if !slices.Contains(got, p) {
					t.Errorf("permission in %s no longer granted (remove it): %s", golden, p)
				}
				if strings.TrimSpace(reasons[p]) == "" || strings.Contains(reasons[p], "TODO") {
					t.Errorf("%s: no reason for %s", golden, p)
				}
			}
			// The tenant install reaches no Secret outside its tenants.
			if overlay == "tenant-namespaces" {
				for _, p := range got {
					// Its own certificate Secret, in its own namespace, is the webhook's.
					own := strings.HasPrefix(p, "kafkalink-webhook in kafkalink-system: secrets [kafkalink-webhook-certs]") ||
						p == "kafkalink-webhook in kafkalink-system: secrets [] [create]"
					if strings.Contains(p, "secrets") && !strings.Contains(p, " in team-") && !own {
						t.Errorf("tenant-namespaces grants Secret access outside the tenant namespaces: %s", p)
					}
				}
				for _, sa := range []string{"kafkalink-controller", "kafkalink-webhook"} {
					out, _ := h.kubectlErr("auth", "can-i", "list", "secrets", "-A", "--as", "system:serviceaccount:kafkalink-system:"+sa)
					if answer(out) != "no" {
						t.Errorf("%s may list Secrets in every namespace: %s", sa, out)
					}
				}
			}
		})
	}
}

// parseCanIList turns kubectl auth can-i --list output into
// "resource names verbs" lines, and "nonResourceURLs urls verbs" lines for
// the non-resource URLs, which need a reason as much as resources do.
func parseCanIList(out string) []string {
	var perms []string
	for _, line := range strings.Split(out, "\n")[1:] {
		f := strings.Fields(line)
		// Columns: Resources, Non-Resource URLs, Resource Names, Verbs (a
		// non-resource line has no first column, and a resource line's
		// second column is "[]").
		if len(f) < 3 {
			continue
		}
		if strings.HasPrefix(f[0], "[") {
			// Non-resource URLs, resource names "[]", verbs.
			perms = append(perms, "nonResourceURLs "+f[0]+" "+strings.Join(f[2:], " "))
			continue
		}
		perms = append(perms, f[0]+" "+strings.Join(f[2:], " "))
	}
	return perms
}

func writeRBACGolden(t *testing.T, path string, perms []string) {
	_, old := readRBACGoldenIfAny(path)
	var b strings.Builder
	b.WriteString("# kubectl auth can-i --list for each ServiceAccount and namespace, each with why it is needed.\n")
	for _, p := range perms {
		reason := old[p]
		if reason == "" {
			_, perm, _ := strings.Cut(p, ": ")
			reason = rbacReasons[perm]
		}
		if reason == "" {
			reason = "TODO: why is this needed?"
		}
		fmt.Fprintf(&b, "%s  # %s\n", p, reason)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readRBACGolden(t *testing.T, path string) ([]string, map[string]string) {
	perms, reasons := readRBACGoldenIfAny(path)
	if perms == nil {
		t.Fatalf("no %s (KAFKALINK_UPDATE_RBAC=1 writes it)", path)
	}
	return perms, reasons
}

func readRBACGoldenIfAny(path string) ([]string, map[string]string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, map[string]string{}
	}
	var perms []string
	reasons := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, reason, _ := strings.Cut(line, "  # ")
		perms = append(perms, p)
		reasons[p] = reason
	}
	return perms, reasons
}

// The tenant-namespaces install, run as its ServiceAccount with exactly the
// overlay's RBAC: links in the watched namespaces converge; a ClusterLink
// in a namespace it does not watch is never touched; and the controller
// cannot list Secrets across the cluster.
func TestTenantNamespacesInstall(t *testing.T) {
	root, err := devenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	h := startHACluster(t)
	for _, ns := range []string{"team-a", "team-b", "unrelated"} {
		h.kubectl("create", "namespace", ns)
		// The examples' Secrets and classes, in each namespace.
		for _, f := range []string{"00-namespace-and-secrets.yaml", "01-kafkarestclasses.yaml"} {
			b, err := os.ReadFile(filepath.Join(env.Dir, "examples", f))
			if err != nil {
				t.Fatal(err)
			}
			m := strings.ReplaceAll(string(b), "namespace: operator", "namespace: "+ns)
			m = strings.ReplaceAll(m, "name: operator\n", "name: "+ns+"\n")
			h.apply(m)
		}
	}
	rendered := kubectl(t, "kustomize", filepath.Join(root, "manifests", "overlays", "tenant-namespaces"))
	f := filepath.Join(t.TempDir(), "rbac.yaml")
	if err := os.WriteFile(f, []byte(rbacOnly(rendered)), 0o600); err != nil {
		t.Fatal(err)
	}
	h.kubectl("apply", "-f", f)
	out, _ := h.kubectlErr("auth", "can-i", "list", "secrets", "-A", "--as", "system:serviceaccount:kafkalink-system:kafkalink-controller")
	if answer(out) != "no" {
		t.Errorf("kubectl auth can-i list secrets -A for the controller: %s", out)
	}

	cfg, err := clientcmd.LoadFromFile(h.c.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate = "system:serviceaccount:kafkalink-system:kafkalink-controller"
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		t.Fatal(err)
	}
	port, _ := localcluster.FreePort()
	startProcess(t, filepath.Join(binaries(t), "kafkalink-controller"), "--kubeconfig", kubeconfig,
		"--namespaces", "team-a,team-b", "--leader-elect", "--leader-election-namespace", "kafkalink-system",
		"--leader-election-identity", "tenant", "--metrics-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--transition-poll-interval", "300ms", "--resync-period", "5s")
	waitRole(t, fmt.Sprintf("http://127.0.0.1:%d", port), "leading", 60*time.Second)

	for _, ns := range []string{"team-a", "team-b", "unrelated"} {
		name := "tenant-" + ns
		h.apply(strings.ReplaceAll(haLink(name, "orders"), "namespace: operator", "namespace: "+ns))
	}
	for _, ns := range []string{"team-a", "team-b"} {
		if out, err := h.kubectlErr("-n", ns, "wait", "--for=condition=Ready", "clusterlink/tenant-"+ns, "--timeout=90s"); err != nil {
			t.Fatalf("link in watched namespace %s not Ready: %v\n%s", ns, err, out)
		}
	}
	// The controller never saw the third: no finalizer, no status.
	time.Sleep(2 * time.Second)
	got := h.kubectl("-n", "unrelated", "get", "clusterlink", "tenant-unrelated", "-o", "jsonpath={.metadata.finalizers}{.status}")
	if got != "" {
		t.Errorf("a ClusterLink in a namespace the install does not watch was touched: %s", got)
	}
	for _, r := range env.Emulator.Requests() {
		if strings.Contains(r.Path, "tenant-unrelated") {
			t.Errorf("REST request for the unwatched link: %s %s", r.Method, r.Path)
		}
	}
}
