package webhook

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// Fields CFK has that do nothing in kafkalink are accepted, so a CFK
// manifest applies unchanged, and each one set produces a warning naming
// it and saying why: nothing is ignored silently.

// ClusterLinkFieldWarnings warns about the ClusterLink fields set in cl that
// have no effect in kafkalink.
func ClusterLinkFieldWarnings(cl *kafkalinkv1alpha1.ClusterLink) []string {
	var w []string
	spec := field.NewPath("spec")
	for i := range cl.Spec.ACLFilters {
		if len(cl.Spec.ACLFilters[i].ClusterLinkIDs) > 0 {
			w = append(w, fmt.Sprintf("%s has no effect: the link's acl.filters config selects ACLs by resource and principal only, so kafkalink does not pass cluster link ids on",
				spec.Child("aclFilters").Index(i).Child("clusterLinkIds")))
			break
		}
	}
	mode := cl.Spec.LinkMode()
	// The side the link lives on authenticates to its own cluster only in
	// a source-initiated or bidirectional link (the local.* configs).
	localSide := "destinationKafkaCluster"
	if mode == kafkalinkv1alpha1.LinkModeSource {
		localSide = "sourceKafkaCluster"
	}
	for _, side := range []struct {
		name string
		c    *kafkalinkv1alpha1.KafkaClusterSpec
	}{{"sourceKafkaCluster", &cl.Spec.SourceKafkaCluster}, {"destinationKafkaCluster", &cl.Spec.DestinationKafkaCluster}} {
		p := spec.Child(side.name)
		if side.name == localSide && cl.Spec.SourceInitiatedLink == nil && (side.c.Authentication != nil || side.c.TLS != nil) {
			w = append(w, fmt.Sprintf("%s.authentication and %s.tls have no effect on a destination-initiated link: the link connects to the source only (they become local.* configs on source-initiated and bidirectional links)", p, p))
			continue
		}
		w = append(w, kafkaAuthWarnings(p, side.c)...)
	}
	return w
}

func kafkaAuthWarnings(p *field.Path, c *kafkalinkv1alpha1.KafkaClusterSpec) []string {
	var w []string
	if c.TLS != nil && c.TLS.KeyPassword != nil {
		w = append(w, fmt.Sprintf("%s has no effect: kafkalink passes privkey.pem to the link as a PEM key, which must not be encrypted", p.Child("tls", "keyPassword")))
	}
	a := c.Authentication
	if a == nil {
		return w
	}
	ap := p.Child("authentication")
	if a.Type == kafkalinkv1alpha1.KafkaAuthenticationDigest {
		w = append(w, fmt.Sprintf("%s digest has no effect: it is not a Kafka client SASL mechanism, so the link connects without SASL", ap.Child("type")))
	}
	s := a.OAuthSettings
	if s == nil {
		return w
	}
	sp := ap.Child("oauthSettings")
	if a.Type != kafkalinkv1alpha1.KafkaAuthenticationOAuth && a.Type != kafkalinkv1alpha1.KafkaAuthenticationOAuthBearer {
		return append(w, fmt.Sprintf("%s has no effect with authentication type %s (only with oauth or oauthbearer)", sp, a.Type))
	}
	if s.Audience != "" {
		w = append(w, fmt.Sprintf("%s has no effect: the Kafka client's OAUTHBEARER login has no audience parameter", sp.Child("audience")))
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"groupsClaimName", s.GroupsClaimName != ""}, {"jwksEndpointUri", s.JwksEndpointURI != ""}, {"expectedIssuer", s.ExpectedIssuer != ""}} {
		if f.set {
			w = append(w, fmt.Sprintf("%s has no effect: it configures token validation on a broker; a cluster link is a client", sp.Child(f.name)))
		}
	}
	if s.ClientAssertion != nil && (s.ClientAssertion.JwtTokenFile != nil || s.ClientAssertion.LocalClientAssertion != nil) {
		w = append(w, fmt.Sprintf("%s has no effect: a cluster link reads an assertion or its signing key from a file on the brokers that run it, which kafkalink cannot place there; use client credentials (%s)",
			sp.Child("clientAssertion"), ap.Child("oauthbearer")))
	}
	return w
}

// restFieldWarnings warns about the fields of one REST spec (kafkaRest)
// that have no effect in kafkalink.
func restFieldWarnings(p *field.Path, r *kafkalinkv1alpha1.KafkaRestSpec) []string {
	var w []string
	if t := r.TLS; t != nil && t.JksPassword != nil {
		w = append(w, fmt.Sprintf("%s is ignored: kafkalink reads PEM files (cacerts.pem, fullchain.pem, privkey.pem)", p.Child("tls", "jksPassword")))
	}
	a := r.Authentication
	if a == nil {
		return w
	}
	ap := p.Child("authentication")
	if b := a.Basic; b != nil && (b.Debug || len(b.Roles) > 0 || len(b.RestrictedRoles) > 0 || b.IgnoreRoles) {
		w = append(w, fmt.Sprintf("%s: debug, roles, restrictedRoles and ignoreRoles are ignored by kafkalink: they configure a REST server, and kafkalink is its client", ap.Child("basic")))
	}
	o := a.OAuth
	if o == nil {
		return w
	}
	op := ap.Child("oauth")
	if a.Type != kafkalinkv1alpha1.RestAuthenticationOAuth {
		return append(w, fmt.Sprintf("%s has no effect with authentication type %s (only with oauth)", op, a.Type))
	}
	c := o.Configuration
	if c == nil {
		return w
	}
	cp := op.Child("configuration")
	for _, f := range []struct {
		name string
		set  bool
	}{{"expectedIssuer", c.ExpectedIssuer != ""}, {"jwksEndpointUri", c.JwksEndpointURI != ""}, {"subClaimName", c.SubClaimName != ""}, {"groupsClaimName", c.GroupsClaimName != ""}} {
		if f.set {
			w = append(w, fmt.Sprintf("%s has no effect: it configures token validation on a server; kafkalink only gets tokens", cp.Child(f.name)))
		}
	}
	if ca := c.ClientAssertion; ca != nil && ca.LocalClientAssertion != nil && ca.LocalClientAssertion.PrivateKeyFile != nil {
		kp := cp.Child("clientAssertion", "localClientAssertion", "privateKeyFile")
		if ca.LocalClientAssertion.PrivateKeyFile.EncryptedPrivateKey {
			w = append(w, fmt.Sprintf("%s.encryptedPrivateKey is not supported: store the key unencrypted in the Secret (ClusterLinks using this class report CredentialsError until then)", kp))
		}
		if ca.LocalClientAssertion.PrivateKeyFile.IncludeAssertionTemplate {
			w = append(w, fmt.Sprintf("%s.includeAssertionTemplate has no effect: kafkalink builds the assertion's claims from localClientAssertion", kp))
		}
	}
	return w
}
