package webhook

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/credentials"
)

// Lookup reads the objects a ClusterLink or KafkaRestClass refers to, from
// caches (CacheLookup): the admission path makes no API call. A NotFound
// class or a missing Secret is an answer (a warning: GitOps tools apply in
// any order); any other error means the webhook cannot answer, and the
// request is denied with a retryable status. It never admits unchecked.
// namespaceWatcher is implemented by a Lookup that caches only some
// namespaces (a least-privilege install): it returns the namespaces it
// watches and whether namespace is one of them.
type namespaceWatcher interface {
	Watches(namespace string) ([]string, bool)
}

// unwatched returns a Forbidden error at path when the lookup does not
// watch namespace: nothing there is reconciled by this install, and the
// caches cannot answer for it.
func (h *Handler) unwatched(path *field.Path, namespace, what string) *field.Error {
	w, ok := h.lookup.(namespaceWatcher)
	if !ok {
		return nil
	}
	watched, ok := w.Watches(namespace)
	if ok {
		return nil
	}
	return field.Forbidden(path, fmt.Sprintf("%s: namespace %q is not watched by this kafkalink installation (it watches %s, --watch-namespaces); nothing there would be reconciled",
		what, namespace, strings.Join(watched, ", ")))
}

type Lookup interface {
	// KafkaRestClass returns the class, or an error IsNotFound recognises.
	KafkaRestClass(ctx context.Context, namespace, name string) (*kafkalinkv1alpha1.KafkaRestClass, error)
	// SecretExists reports whether the Secret exists. Implementations must
	// not read Secret data.
	SecretExists(ctx context.Context, namespace, name string) (bool, error)
}

// validateSecretNames denies Secret references that are not plain names:
// Secrets are always read from the referencing object's own namespace, so
// "other-namespace/name" is a mistake (or an attempt to read another team's
// credentials) and must fail loudly.
func validateSecretNames(refs []credentials.SecretRef) field.ErrorList {
	var errs field.ErrorList
	for _, r := range refs {
		if strings.Contains(r.Name, "/") {
			errs = append(errs, field.Invalid(r.Path, r.Name,
				"Secrets are read from the referencing object's own namespace; give a Secret name without a namespace"))
			continue
		}
		for _, msg := range validation.IsDNS1123Subdomain(r.Name) {
			errs = append(errs, field.Invalid(r.Path, r.Name, msg))
		}
	}
	return errs
}

// missingSecretWarnings warns about Secrets that do not exist yet. They are
// warnings, not errors: GitOps tools apply Secrets and ClusterLinks in any
// order, and the controller waits for the Secret. A lookup that fails is an
// error: the caller denies the request.
func (h *Handler) missingSecretWarnings(ctx context.Context, namespace string, refs []credentials.SecretRef) ([]string, error) {
	if h.lookup == nil {
		return nil, nil
	}
	var warnings []string
	seen := map[string]bool{}
	for _, r := range refs {
		if seen[r.Name] || strings.Contains(r.Name, "/") {
			continue
		}
		seen[r.Name] = true
		ok, err := h.lookup.SecretExists(ctx, namespace, r.Name)
		if err != nil {
			return nil, fmt.Errorf("check that Secret %s/%s (%s) exists: %w", namespace, r.Name, r.Path, err)
		}
		if !ok {
			warnings = append(warnings, fmt.Sprintf("%s: Secret %s/%s does not exist yet", r.Path, namespace, r.Name))
		}
	}
	return warnings, nil
}

// checkClusterLinkReferences applies the reference policy: Secrets by name
// in the ClusterLink's own namespace, and KafkaRestClasses in other
// namespaces only when their spec.allowedNamespaces admits this one. err is
// set when a lookup could not be answered: the request must then be denied.
func (h *Handler) checkClusterLinkReferences(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink) (errs field.ErrorList, warnings []string, err error) {
	spec := field.NewPath("spec")
	if fe := h.unwatched(field.NewPath("metadata", "namespace"), cl.Namespace, "ClusterLink "+cl.Name); fe != nil {
		return field.ErrorList{fe}, nil, nil
	}
	refs := credentials.ClusterLinkSecretRefs(cl)
	errs = validateSecretNames(refs)
	if warnings, err = h.missingSecretWarnings(ctx, cl.Namespace, refs); err != nil {
		return nil, nil, err
	}
	for _, side := range []struct {
		path *field.Path
		ref  *kafkalinkv1alpha1.KafkaRestClassRef
	}{
		{spec.Child("destinationKafkaCluster", "kafkaRestClassRef"), cl.Spec.DestinationKafkaCluster.KafkaRestClassRef},
		{spec.Child("sourceKafkaCluster", "kafkaRestClassRef"), cl.Spec.SourceKafkaCluster.KafkaRestClassRef},
	} {
		if side.ref == nil || h.lookup == nil {
			continue
		}
		ns := side.ref.Namespace
		if ns == "" {
			ns = cl.Namespace
		}
		if fe := h.unwatched(side.path.Child("namespace"), ns, "KafkaRestClass "+ns+"/"+side.ref.Name); fe != nil {
			errs = append(errs, fe)
			continue
		}
		krc, lerr := h.lookup.KafkaRestClass(ctx, ns, side.ref.Name)
		switch {
		case isNotFound(lerr):
			warnings = append(warnings, fmt.Sprintf("%s: KafkaRestClass %s/%s does not exist yet", side.path, ns, side.ref.Name))
		case lerr != nil:
			return nil, nil, fmt.Errorf("check KafkaRestClass %s/%s (%s): %w", ns, side.ref.Name, side.path, lerr)
		case !krc.AllowsNamespace(cl.Namespace):
			errs = append(errs, field.Forbidden(side.path.Child("namespace"), fmt.Sprintf(
				"KafkaRestClass %s/%s does not allow ClusterLinks from namespace %q: add %q to its spec.allowedNamespaces, or use a KafkaRestClass in namespace %q",
				ns, side.ref.Name, cl.Namespace, cl.Namespace, cl.Namespace)))
		}
	}
	return errs, warnings, nil
}

func (h *Handler) checkKafkaRestClassSecrets(ctx context.Context, k *kafkalinkv1alpha1.KafkaRestClass) (field.ErrorList, []string, error) {
	if fe := h.unwatched(field.NewPath("metadata", "namespace"), k.Namespace, "KafkaRestClass "+k.Name); fe != nil {
		return field.ErrorList{fe}, nil, nil
	}
	warnings, err := h.missingSecretWarnings(ctx, k.Namespace, credentials.KafkaRestClassSecretRefs(k))
	return nil, warnings, err
}

// ValidateKafkaRestClass checks what the CRD schema cannot: the endpoint's
// shape, authentication type against the fields it needs, Secret names, and
// allowedNamespaces entries. Fields kept only for CFK compatibility produce
// warnings.
func ValidateKafkaRestClass(k *kafkalinkv1alpha1.KafkaRestClass) (field.ErrorList, []string) {
	var errs field.ErrorList
	var warnings []string
	rest := field.NewPath("spec", "kafkaRest")

	ep := rest.Child("endpoint")
	var u *url.URL
	var err error
	if k.Spec.KafkaRest.Endpoint != "" {
		u, err = url.Parse(k.Spec.KafkaRest.Endpoint)
	}
	if r := k.Spec.KafkaClusterRef; r != nil && r.Namespace != "" && r.Namespace != k.Namespace {
		// The tenant boundary: a class resolves only a Kafka of its own
		// namespace, or it would learn (and send its credentials to)
		// another team's cluster.
		errs = append(errs, field.Forbidden(field.NewPath("spec", "kafkaClusterRef", "namespace"), fmt.Sprintf(
			"a KafkaRestClass resolves only a Kafka in its own namespace %q; create the KafkaRestClass in namespace %q, or give spec.kafkaRest.endpoint", k.Namespace, r.Namespace)))
	}
	switch {
	case k.Spec.KafkaRest.Endpoint == "":
		if k.Spec.KafkaClusterRef == nil {
			errs = append(errs, field.Required(ep, "give the REST endpoint, or spec.kafkaClusterRef naming a CFK Kafka resource to resolve it from"))
		}
	case err != nil:
		errs = append(errs, field.Invalid(ep, k.Spec.KafkaRest.Endpoint, "not a URL: "+err.Error()))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, field.Invalid(ep, k.Spec.KafkaRest.Endpoint, "scheme must be http or https"))
	case u.Host == "" || u.Hostname() == "":
		errs = append(errs, field.Invalid(ep, k.Spec.KafkaRest.Endpoint, "must name a host, e.g. https://pkc-xxxxx.confluent.cloud:443"))
	case u.User != nil:
		// Never echo the value: it holds credentials.
		errs = append(errs, field.Forbidden(ep, "must not contain credentials; put them in a Secret referenced by spec.kafkaRest.authentication"))
	case u.RawQuery != "" || u.Fragment != "":
		errs = append(errs, field.Invalid(ep, k.Spec.KafkaRest.Endpoint, "must not have a query or fragment"))
	}
	if u != nil && u.Scheme == "http" && k.Spec.KafkaRest.Authentication != nil && k.Spec.KafkaRest.Authentication.Type != kafkalinkv1alpha1.RestAuthenticationMTLS {
		warnings = append(warnings, "spec.kafkaRest.endpoint is plain http: credentials cross the network unencrypted")
	}

	if a := k.Spec.KafkaRest.Authentication; a != nil {
		ap := rest.Child("authentication")
		switch a.Type {
		case kafkalinkv1alpha1.RestAuthenticationBasic:
			if a.Basic == nil || (a.Basic.SecretRef == "" && a.Basic.DirectoryPathInContainer == "") {
				errs = append(errs, field.Required(ap.Child("basic"), "authentication type basic needs basic.secretRef or basic.directoryPathInContainer"))
			}
		case kafkalinkv1alpha1.RestAuthenticationBearer:
			if a.Bearer == nil || (a.Bearer.SecretRef == "" && a.Bearer.DirectoryPathInContainer == "") {
				errs = append(errs, field.Required(ap.Child("bearer"), "authentication type bearer needs bearer.secretRef or bearer.directoryPathInContainer"))
			}
		case kafkalinkv1alpha1.RestAuthenticationOAuth:
			errs = append(errs, validateRestOAuth(ap.Child("oauth"), a.OAuth)...)
		case kafkalinkv1alpha1.RestAuthenticationMTLS:
			if t := k.Spec.KafkaRest.TLS; t == nil || (t.SecretRef == "" && t.DirectoryPathInContainer == "") {
				errs = append(errs, field.Required(rest.Child("tls"), "authentication type mtls needs tls.secretRef or tls.directoryPathInContainer with fullchain.pem and privkey.pem"))
			}
			if u != nil && u.Scheme != "https" {
				errs = append(errs, field.Invalid(ep, k.Spec.KafkaRest.Endpoint, "authentication type mtls needs an https endpoint"))
			}
		}
		if a.SSLClientAuthentication && a.Type != kafkalinkv1alpha1.RestAuthenticationMTLS {
			if t := k.Spec.KafkaRest.TLS; t == nil || (t.SecretRef == "" && t.DirectoryPathInContainer == "") {
				errs = append(errs, field.Required(rest.Child("tls"), "authentication.sslClientAuthentication needs tls.secretRef or tls.directoryPathInContainer with fullchain.pem and privkey.pem"))
			}
		}
	}
	warnings = append(warnings, restFieldWarnings(rest, &k.Spec.KafkaRest)...)
	if k.Spec.SecondaryKafkaClusterRef != nil || k.Spec.SecondaryKafkaRest != nil {
		warnings = append(warnings, "spec.secondaryKafkaClusterRef and spec.secondaryKafkaRest (centralized RBAC) are ignored by kafkalink: it reaches each cluster through its own KafkaRestClass")
	}
	errs = append(errs, validateSecretNames(credentials.KafkaRestClassSecretRefs(k))...)

	an := field.NewPath("spec", "allowedNamespaces")
	for i, ns := range k.Spec.AllowedNamespaces {
		if ns == "*" {
			continue
		}
		for _, msg := range validation.IsDNS1123Label(ns) {
			errs = append(errs, field.Invalid(an.Index(i), ns, msg+` (or "*" for every namespace)`))
		}
	}
	return errs, warnings
}

// validateRestOAuth requires what an OAuth token request needs: the token
// endpoint, and either client credentials (oauth.txt) or a client assertion
// (a JWT, or a key to sign one).
func validateRestOAuth(p *field.Path, o *kafkalinkv1alpha1.OAuthRestAuthentication) field.ErrorList {
	var errs field.ErrorList
	if o == nil {
		return append(errs, field.Required(p, "authentication type oauth needs oauth.configuration.tokenEndpointUri and oauth.secretRef (oauth.txt with clientId= and clientSecret=) or oauth.configuration.clientAssertion"))
	}
	c := o.Configuration
	if c == nil || c.TokenEndpointURI == "" {
		errs = append(errs, field.Required(p.Child("configuration", "tokenEndpointUri"), "the identity provider's token endpoint"))
	} else if u, err := url.Parse(c.TokenEndpointURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, field.Invalid(p.Child("configuration", "tokenEndpointUri"), c.TokenEndpointURI, "must be an http(s) URL"))
	}
	if c == nil || c.ClientAssertion == nil {
		if o.SecretRef == "" && o.DirectoryPathInContainer == "" {
			errs = append(errs, field.Required(p.Child("secretRef"), "client credentials: a Secret (or directoryPathInContainer) with oauth.txt holding clientId= and clientSecret= lines; or configure configuration.clientAssertion"))
		}
		return errs
	}
	ca, cp := c.ClientAssertion, p.Child("configuration", "clientAssertion")
	if ca.ClientID == "" && o.SecretRef == "" && o.DirectoryPathInContainer == "" {
		errs = append(errs, field.Required(cp.Child("clientId"), "the OAuth client id the assertion is for"))
	}
	hasJWT := ca.JwtTokenFile != nil && (ca.JwtTokenFile.SecretRef != "" || ca.JwtTokenFile.DirectoryPathInContainer != "")
	l := ca.LocalClientAssertion
	hasKey := l != nil && l.PrivateKeyFile != nil && (l.PrivateKeyFile.SecretRef != "" || l.PrivateKeyFile.DirectoryPathInContainer != "")
	switch {
	case hasJWT && hasKey:
		errs = append(errs, field.Invalid(cp, "jwtTokenFile and localClientAssertion", "give one: a ready-made assertion (jwtTokenFile) or a key to sign one (localClientAssertion.privateKeyFile)"))
	case !hasJWT && !hasKey:
		errs = append(errs, field.Required(cp, "jwtTokenFile (a Secret with key jwt-token) or localClientAssertion.privateKeyFile (a Secret with key private-key)"))
	}
	return errs
}
