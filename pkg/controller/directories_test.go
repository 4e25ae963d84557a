package controller

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/credentials"
)

// Credentials an admin placed in the controller's container under
// --credential-directory-root (CFK's Vault injection) work: the class's
// REST credentials and the link's JAAS come from files, and the link
// converges. The same files are refused to a namespace the policy does not
// list, and when directory credentials are off.
func TestDirectoryCredentialsUnderTheRoot(t *testing.T) {
	root := t.TempDir()
	restDir, jaasDir := filepath.Join(root, "operator", "rest"), filepath.Join(root, "operator", "jaas")
	for dir, files := range map[string]map[string]string{
		restDir: {"basic.txt": "username=key\npassword=secret\n"},
		jaasDir: {"plain-jaas.conf": `org.apache.kafka.common.security.plain.PlainLoginModule required username="link-reader" password="pw";`},
	} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tt := range []struct {
		name   string
		policy credentials.DirectoryPolicy
		ready  bool
		reason string
	}{
		{"under the root", credentials.DirectoryPolicy{Root: root}, true, kafkalinkv1alpha1.ReasonReady},
		{"namespace listed", credentials.DirectoryPolicy{Root: root, Namespaces: []string{testNamespace}}, true, kafkalinkv1alpha1.ReasonReady},
		{"namespace not listed", credentials.DirectoryPolicy{Root: root, Namespaces: []string{"team-b"}}, false, kafkalinkv1alpha1.ReasonCredentialsError},
		{"directory credentials off", credentials.DirectoryPolicy{}, false, kafkalinkv1alpha1.ReasonCredentialsError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newREST(t, "orders")
			class := restClass("krc-cloud", r.dst.URL, "lkc-cloud")
			class.Spec.KafkaRest.Authentication.Basic = &kafkalinkv1alpha1.BasicAuthentication{DirectoryPathInContainer: restDir}
			cl := clusterLink("demo", mt("orders", ""))
			cl.Spec.SourceKafkaCluster.Authentication = &kafkalinkv1alpha1.KafkaAuthentication{
				Type: kafkalinkv1alpha1.KafkaAuthenticationPlainPassthrough, JaasConfigPassThrough: &kafkalinkv1alpha1.SecretOrDirectory{DirectoryPathInContainer: jaasDir},
			}
			f := newFixture(t, DefaultRESTClientFactory(nil), class, cl)
			f.c.opts.Directories = tt.policy
			for range 3 {
				if _, err := f.sync("demo"); err != nil {
					t.Fatal(err)
				}
			}
			got := f.get("demo")
			c := condition(got, kafkalinkv1alpha1.ConditionReady)
			if c == nil || (c.Status == metav1.ConditionTrue) != tt.ready || c.Reason != tt.reason {
				t.Fatalf("Ready %+v, want ready=%v %s", c, tt.ready, tt.reason)
			}
			links := r.emu.Cluster("lkc-cloud").Links()
			if !tt.ready {
				if !strings.Contains(c.Message, "directoryPathInContainer") && !strings.Contains(c.Message, "--credential-directory") {
					t.Errorf("message does not say why: %s", c.Message)
				}
				if len(links) != 0 {
					t.Errorf("links created with refused credentials: %v", links)
				}
				return
			}
			if len(links) != 1 {
				t.Fatalf("links %v", links)
			}
			if jaas := r.emu.Cluster("lkc-cloud").LinkConfigs(links[0])["sasl.jaas.config"]; !strings.Contains(jaas, `username="link-reader"`) {
				t.Errorf("the link's JAAS is not from the directory: %q", jaas)
			}
		})
	}
}

// A Secret reference is a name in the referencing object's own namespace:
// "other/x" names no Secret there, and the Secret x of namespace other is
// never read, for a ClusterLink's link credentials or a KafkaRestClass's
// REST credentials.
func TestSecretReferenceStaysInItsNamespace(t *testing.T) {
	other := plainSecret("x", "other-team", "other-password")
	other.Namespace = "other"
	otherBasic := basicSecret("y", "other-team", "other-password")
	otherBasic.Namespace = "other"
	for _, tt := range []struct {
		name  string
		setup func(class *kafkalinkv1alpha1.KafkaRestClass, cl *kafkalinkv1alpha1.ClusterLink)
	}{
		{"ClusterLink JAAS", func(_ *kafkalinkv1alpha1.KafkaRestClass, cl *kafkalinkv1alpha1.ClusterLink) {
			cl.Spec.SourceKafkaCluster.Authentication.JaasConfig.SecretRef = "other/x"
		}},
		{"KafkaRestClass basic", func(class *kafkalinkv1alpha1.KafkaRestClass, _ *kafkalinkv1alpha1.ClusterLink) {
			class.Spec.KafkaRest.Authentication.Basic.SecretRef = "other/y"
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newREST(t, "orders")
			class := restClass("krc-cloud", r.dst.URL, "lkc-cloud")
			cl := clusterLink("demo", mt("orders", ""))
			tt.setup(class, cl)
			f := newFixture(t, DefaultRESTClientFactory(nil), class, basicSecret("restclass-krc-cloud", "key", "secret"),
				plainSecret("plainpassjks", "link-reader", "pw"), other, otherBasic, cl)
			for range 2 {
				if _, err := f.sync("demo"); err != nil {
					t.Fatal(err)
				}
			}
			c := condition(f.get("demo"), kafkalinkv1alpha1.ConditionReady)
			if c == nil || c.Status != metav1.ConditionFalse || c.Reason != kafkalinkv1alpha1.ReasonCredentialsError {
				t.Errorf("Ready %+v, want CredentialsError", c)
			}
			for _, a := range f.kube.Actions() {
				if a.GetResource().Resource == "secrets" && a.GetNamespace() == "other" {
					t.Errorf("read a Secret of namespace other: %s %s", a.GetVerb(), a.GetNamespace())
				}
			}
			for _, q := range r.emu.Requests() {
				if q.Username == "other-team" {
					t.Errorf("the other namespace's credentials reached the REST API: %s %s", q.Method, q.Path)
				}
			}
			if links := r.emu.Cluster("lkc-cloud").Links(); len(links) != 0 {
				t.Errorf("links created: %v", links)
			}
		})
	}
}
