package credentials

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// SecretRef is one Secret a resource refers to, with the field naming it.
// The Secret is always in the referencing object's namespace.
type SecretRef struct {
	Path *field.Path
	Name string
}

// ClusterLinkSecretRefs lists every Secret a ClusterLink refers to.
func ClusterLinkSecretRefs(cl *kafkalinkv1alpha1.ClusterLink) []SecretRef {
	spec := field.NewPath("spec")
	refs := clusterSecretRefs(spec.Child("sourceKafkaCluster"), &cl.Spec.SourceKafkaCluster)
	return append(refs, clusterSecretRefs(spec.Child("destinationKafkaCluster"), &cl.Spec.DestinationKafkaCluster)...)
}

func clusterSecretRefs(p *field.Path, c *kafkalinkv1alpha1.KafkaClusterSpec) []SecretRef {
	var refs []SecretRef
	add := func(path *field.Path, name string) {
		if name != "" {
			refs = append(refs, SecretRef{path, name})
		}
	}
	if a := c.Authentication; a != nil {
		ap := p.Child("authentication")
		if a.JaasConfig != nil {
			add(ap.Child("jaasConfig", "secretRef"), a.JaasConfig.SecretRef)
		}
		if a.JaasConfigPassThrough != nil {
			add(ap.Child("jaasConfigPassThrough", "secretRef"), a.JaasConfigPassThrough.SecretRef)
		}
		if a.OAuthBearer != nil {
			add(ap.Child("oauthbearer", "secretRef"), a.OAuthBearer.SecretRef)
		}
		if s := a.OAuthSettings; s != nil && s.ClientAssertion != nil && s.ClientAssertion.LocalClientAssertion != nil &&
			s.ClientAssertion.LocalClientAssertion.PrivateKeyFile != nil {
			add(ap.Child("oauthSettings", "clientAssertion", "localClientAssertion", "privateKeyFile", "secretRef"),
				s.ClientAssertion.LocalClientAssertion.PrivateKeyFile.SecretRef)
		}
	}
	if t := c.TLS; t != nil {
		add(p.Child("tls", "secretRef"), t.SecretRef)
		if t.KeyPassword != nil {
			add(p.Child("tls", "keyPassword", "secretRef"), t.KeyPassword.SecretRef)
		}
	}
	return refs
}

// KafkaRestClassSecretRefs lists every Secret a KafkaRestClass refers to.
func KafkaRestClassSecretRefs(k *kafkalinkv1alpha1.KafkaRestClass) []SecretRef {
	var refs []SecretRef
	add := func(path *field.Path, name string) {
		if name != "" {
			refs = append(refs, SecretRef{path, name})
		}
	}
	p := field.NewPath("spec", "kafkaRest")
	if a := k.Spec.KafkaRest.Authentication; a != nil {
		if a.Basic != nil {
			add(p.Child("authentication", "basic", "secretRef"), a.Basic.SecretRef)
		}
		if a.Bearer != nil {
			add(p.Child("authentication", "bearer", "secretRef"), a.Bearer.SecretRef)
		}
		if a.OAuth != nil {
			add(p.Child("authentication", "oauth", "secretRef"), a.OAuth.SecretRef)
		}
	}
	if t := k.Spec.KafkaRest.TLS; t != nil {
		add(p.Child("tls", "secretRef"), t.SecretRef)
	}
	return refs
}
