package webhook

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// TestClusterLinkFieldWarnings: every CFK field that has no effect here is
// named in a warning that says why; fields that work produce none.
func TestClusterLinkFieldWarnings(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*kafkalinkv1alpha1.ClusterLink)
		want   []string // substrings, one warning each, in order
	}{
		{name: "plain link", mutate: func(*kafkalinkv1alpha1.ClusterLink) {}},
		{
			name: "acl filter cluster link ids",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.ACLFilters = []kafkalinkv1alpha1.ACLFilter{{ClusterLinkIDs: []string{"abc"}}}
			},
			want: []string{"spec.aclFilters[0].clusterLinkIds has no effect"},
		},
		{
			name: "destination credentials on a destination-initiated link",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.DestinationKafkaCluster.Authentication = &kafkalinkv1alpha1.KafkaAuthentication{Type: kafkalinkv1alpha1.KafkaAuthenticationPlain}
			},
			want: []string{"spec.destinationKafkaCluster.authentication and spec.destinationKafkaCluster.tls have no effect on a destination-initiated link"},
		},
		{
			name: "local credentials of a bidirectional link are used",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeBidirectional}
				c.Spec.DestinationKafkaCluster.Authentication = &kafkalinkv1alpha1.KafkaAuthentication{Type: kafkalinkv1alpha1.KafkaAuthenticationPlain}
			},
		},
		{
			name: "digest, key password, OAuth settings that only brokers use, client assertion",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.SourceKafkaCluster.TLS = &kafkalinkv1alpha1.ClusterTLS{KeyPassword: &kafkalinkv1alpha1.SecretKeyRef{SecretRef: "pw"}}
				c.Spec.SourceKafkaCluster.Authentication = &kafkalinkv1alpha1.KafkaAuthentication{Type: kafkalinkv1alpha1.KafkaAuthenticationOAuth, OAuthSettings: &kafkalinkv1alpha1.OAuthSettings{
					Audience: "kafka", Scope: "link", SubClaimName: "sub", JwksEndpointURI: "https://idp/jwks",
					ClientAssertion: &kafkalinkv1alpha1.ClientAssertion{LocalClientAssertion: &kafkalinkv1alpha1.LocalClientAssertion{Issuer: "me"}},
				}}
			},
			want: []string{
				"spec.sourceKafkaCluster.tls.keyPassword has no effect",
				"spec.sourceKafkaCluster.authentication.oauthSettings.audience has no effect",
				"spec.sourceKafkaCluster.authentication.oauthSettings.jwksEndpointUri has no effect: it configures token validation on a broker",
				"spec.sourceKafkaCluster.authentication.oauthSettings.clientAssertion has no effect",
			},
		},
		{
			name: "digest",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.SourceKafkaCluster.Authentication = &kafkalinkv1alpha1.KafkaAuthentication{Type: kafkalinkv1alpha1.KafkaAuthenticationDigest}
			},
			want: []string{"spec.sourceKafkaCluster.authentication.type digest has no effect"},
		},
		{
			name: "OAuth settings with another type",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.SourceKafkaCluster.Authentication = &kafkalinkv1alpha1.KafkaAuthentication{Type: kafkalinkv1alpha1.KafkaAuthenticationNone, OAuthSettings: &kafkalinkv1alpha1.OAuthSettings{Scope: "x"}}
			},
			want: []string{"spec.sourceKafkaCluster.authentication.oauthSettings has no effect with authentication type none"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := demoLink()
			tt.mutate(cl)
			got := ClusterLinkFieldWarnings(cl)
			if len(got) != len(tt.want) {
				t.Fatalf("warnings %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %d: %q does not contain %q", i, got[i], w)
				}
			}
		})
	}
}

// TestKafkaRestClassCFKShapes: a class may name a CFK Kafka instead of an
// endpoint (in its own namespace only); sslClientAuthentication needs the
// client certificate; fields that configure a REST server are warned about.
func TestKafkaRestClassCFKShapes(t *testing.T) {
	tests := []struct {
		name     string
		spec     kafkalinkv1alpha1.KafkaRestClassSpec
		errs     []string
		warnings []string
	}{
		{
			name: "kafkaClusterRef instead of an endpoint",
			spec: kafkalinkv1alpha1.KafkaRestClassSpec{KafkaClusterRef: &kafkalinkv1alpha1.KafkaClusterRef{Name: "kafka"}},
		},
		{
			name: "kafkaClusterRef in the class's own namespace, spelled out",
			spec: kafkalinkv1alpha1.KafkaRestClassSpec{KafkaClusterRef: &kafkalinkv1alpha1.KafkaClusterRef{Name: "kafka", Namespace: "team-a"}},
		},
		{
			name: "kafkaClusterRef into another namespace",
			spec: kafkalinkv1alpha1.KafkaRestClassSpec{KafkaClusterRef: &kafkalinkv1alpha1.KafkaClusterRef{Name: "kafka", Namespace: "confluent"}},
			errs: []string{`spec.kafkaClusterRef.namespace: Forbidden: a KafkaRestClass resolves only a Kafka in its own namespace "team-a"`},
		},
		{
			name: "neither endpoint nor kafkaClusterRef",
			spec: kafkalinkv1alpha1.KafkaRestClassSpec{},
			errs: []string{"spec.kafkaRest.endpoint: Required value: give the REST endpoint, or spec.kafkaClusterRef"},
		},
		{
			name: "sslClientAuthentication without a certificate",
			spec: kafkalinkv1alpha1.KafkaRestClassSpec{KafkaRest: kafkalinkv1alpha1.KafkaRestSpec{Endpoint: "https://rest:8090", Authentication: &kafkalinkv1alpha1.RestAuthentication{
				Type: kafkalinkv1alpha1.RestAuthenticationBasic, Basic: &kafkalinkv1alpha1.BasicAuthentication{SecretRef: "basic"}, SSLClientAuthentication: true}}},
			errs: []string{"spec.kafkaRest.tls: Required value: authentication.sslClientAuthentication needs tls.secretRef"},
		},
		{
			name: "server-side basic settings",
			spec: kafkalinkv1alpha1.KafkaRestClassSpec{KafkaRest: kafkalinkv1alpha1.KafkaRestSpec{Endpoint: "https://rest:8090", Authentication: &kafkalinkv1alpha1.RestAuthentication{
				Type: kafkalinkv1alpha1.RestAuthenticationBasic, Basic: &kafkalinkv1alpha1.BasicAuthentication{SecretRef: "basic", IgnoreRoles: true}}}},
			warnings: []string{"spec.kafkaRest.authentication.basic: debug, roles, restrictedRoles and ignoreRoles are ignored"},
		},
		{
			name: "oauth client credentials",
			spec: kafkalinkv1alpha1.KafkaRestClassSpec{KafkaRest: kafkalinkv1alpha1.KafkaRestSpec{Endpoint: "https://rest:8090", Authentication: &kafkalinkv1alpha1.RestAuthentication{
				Type: kafkalinkv1alpha1.RestAuthenticationOAuth, OAuth: &kafkalinkv1alpha1.OAuthRestAuthentication{SecretRef: "oauth",
					Configuration: &kafkalinkv1alpha1.OAuthClientConfiguration{TokenEndpointURI: "https://idp/token", ExpectedIssuer: "https://idp"}}}}},
			warnings: []string{"spec.kafkaRest.authentication.oauth.configuration.expectedIssuer has no effect"},
		},
		{
			name: "oauth without token endpoint or credentials",
			spec: kafkalinkv1alpha1.KafkaRestClassSpec{KafkaRest: kafkalinkv1alpha1.KafkaRestSpec{Endpoint: "https://rest:8090", Authentication: &kafkalinkv1alpha1.RestAuthentication{
				Type: kafkalinkv1alpha1.RestAuthenticationOAuth, OAuth: &kafkalinkv1alpha1.OAuthRestAuthentication{Configuration: &kafkalinkv1alpha1.OAuthClientConfiguration{}}}}},
			errs: []string{"spec.kafkaRest.authentication.oauth.configuration.tokenEndpointUri: Required value", "spec.kafkaRest.authentication.oauth.secretRef: Required value"},
		},
		{
			name: "oauth client assertion with both a JWT and a key, encrypted",
			spec: kafkalinkv1alpha1.KafkaRestClassSpec{KafkaRest: kafkalinkv1alpha1.KafkaRestSpec{Endpoint: "https://rest:8090", Authentication: &kafkalinkv1alpha1.RestAuthentication{
				Type: kafkalinkv1alpha1.RestAuthenticationOAuth, OAuth: &kafkalinkv1alpha1.OAuthRestAuthentication{Configuration: &kafkalinkv1alpha1.OAuthClientConfiguration{
					TokenEndpointURI: "https://idp/token", ClientAssertion: &kafkalinkv1alpha1.ClientAssertion{ClientID: "app",
						JwtTokenFile:         &kafkalinkv1alpha1.SecretOrDirectory{SecretRef: "jwt"},
						LocalClientAssertion: &kafkalinkv1alpha1.LocalClientAssertion{PrivateKeyFile: &kafkalinkv1alpha1.PrivateKeyFile{SecretRef: "key", EncryptedPrivateKey: true}}}}}}}},
			errs:     []string{"spec.kafkaRest.authentication.oauth.configuration.clientAssertion: Invalid value"},
			warnings: []string{"privateKeyFile.encryptedPrivateKey is not supported"},
		},
		{
			name: "type none",
			spec: kafkalinkv1alpha1.KafkaRestClassSpec{KafkaRest: kafkalinkv1alpha1.KafkaRestSpec{Endpoint: "https://rest:8090", Authentication: &kafkalinkv1alpha1.RestAuthentication{Type: kafkalinkv1alpha1.RestAuthenticationNone}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &kafkalinkv1alpha1.KafkaRestClass{ObjectMeta: metav1.ObjectMeta{Name: "krc", Namespace: "team-a"}, Spec: tt.spec}
			errs, warnings := ValidateKafkaRestClass(k)
			if len(errs) != len(tt.errs) {
				t.Fatalf("errors %v, want %d", errs, len(tt.errs))
			}
			for i, e := range tt.errs {
				if !strings.Contains(errs[i].Error(), e) {
					t.Errorf("error %q does not contain %q", errs[i].Error(), e)
				}
			}
			if len(warnings) != len(tt.warnings) {
				t.Fatalf("warnings %q, want %d", warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %q does not contain %q", warnings[i], w)
				}
			}
		})
	}
}
