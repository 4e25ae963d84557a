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
		if s := a.OAuthSettings; s != nil {
			refs = append(refs, clientAssertionSecretRefs(ap.Child("oauthSettings", "clientAssertion"), s.ClientAssertion)...)
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

// clientAssertionSecretRefs lists the Secrets of an OAuth client assertion.
func clientAssertionSecretRefs(p *field.Path, ca *kafkalinkv1alpha1.ClientAssertion) []SecretRef {
	if ca == nil {
		return nil
	}
	var refs []SecretRef
	if f := ca.JwtTokenFile; f != nil && f.SecretRef != "" {
		refs = append(refs, SecretRef{p.Child("jwtTokenFile", "secretRef"), f.SecretRef})
	}
	if l := ca.LocalClientAssertion; l != nil && l.PrivateKeyFile != nil && l.PrivateKeyFile.SecretRef != "" {
		refs = append(refs, SecretRef{p.Child("localClientAssertion", "privateKeyFile", "secretRef"), l.PrivateKeyFile.SecretRef})
	}
	return refs
}

// KafkaRestClassSecretRefs lists every Secret a KafkaRestClass refers to,
// under kafkaRest and secondaryKafkaRest.
func KafkaRestClassSecretRefs(k *kafkalinkv1alpha1.KafkaRestClass) []SecretRef {
	refs := restSecretRefs(field.NewPath("spec", "kafkaRest"), &k.Spec.KafkaRest)
	if k.Spec.SecondaryKafkaRest != nil {
		refs = append(refs, restSecretRefs(field.NewPath("spec", "secondaryKafkaRest"), k.Spec.SecondaryKafkaRest)...)
	}
	return refs
}

func restSecretRefs(p *field.Path, r *kafkalinkv1alpha1.KafkaRestSpec) []SecretRef {
	var refs []SecretRef
	add := func(path *field.Path, name string) {
		if name != "" {
			refs = append(refs, SecretRef{path, name})
		}
	}
	if a := r.Authentication; a != nil {
		ap := p.Child("authentication")
		if a.Basic != nil {
			add(ap.Child("basic", "secretRef"), a.Basic.SecretRef)
		}
		if a.Bearer != nil {
			add(ap.Child("bearer", "secretRef"), a.Bearer.SecretRef)
		}
		if a.OAuth != nil {
			add(ap.Child("oauth", "secretRef"), a.OAuth.SecretRef)
			if c := a.OAuth.Configuration; c != nil {
				refs = append(refs, clientAssertionSecretRefs(ap.Child("oauth", "configuration", "clientAssertion"), c.ClientAssertion)...)
			}
		}
	}
	if t := r.TLS; t != nil {
		add(p.Child("tls", "secretRef"), t.SecretRef)
		if t.JksPassword != nil {
			add(p.Child("tls", "jksPassword", "secretRef"), t.JksPassword.SecretRef)
		}
	}
	return refs
}
