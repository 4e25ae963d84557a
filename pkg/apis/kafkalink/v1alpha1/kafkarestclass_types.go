package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=krc,categories=kafkalink
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.endpoint`,description="The REST endpoint in use: spec.kafkaRest.endpoint, or the one resolved through spec.kafkaClusterRef"
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.status.kafkaClusterID`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// KafkaRestClass says how to reach one Kafka cluster's REST API v3 and with
// which credentials. ClusterLinks reference it.
type KafkaRestClass struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the REST endpoint and credentials.
	// +required
	Spec KafkaRestClassSpec `json:"spec"`

	// status is the endpoint as last observed.
	// +optional
	Status KafkaRestClassStatus `json:"status,omitempty"`
}

// KafkaRestClassSpec is how to reach a Kafka REST API v3.
// +kubebuilder:validation:XValidation:rule="has(self.kafkaClusterRef) || (has(self.kafkaRest) && has(self.kafkaRest.endpoint))",message="give spec.kafkaRest.endpoint, or spec.kafkaClusterRef naming a CFK Kafka resource to resolve it from"
type KafkaRestClassSpec struct {
	// kafkaClusterRef names a CFK Kafka resource (platform.confluent.io/v1beta1)
	// to resolve the REST endpoint, cluster id and TLS from, when
	// kafkaRest.endpoint is not set. Resolved only where the Kafka CRD is
	// installed; status says what is missing otherwise.
	// +optional
	KafkaClusterRef *KafkaClusterRef `json:"kafkaClusterRef,omitempty"`

	// kafkaRest is the REST endpoint and its credentials. The endpoint may be
	// omitted when kafkaClusterRef is given.
	// +optional
	KafkaRest KafkaRestSpec `json:"kafkaRest,omitempty"`

	// secondaryKafkaClusterRef is accepted for CFK compatibility
	// (centralized RBAC) and ignored.
	// +optional
	SecondaryKafkaClusterRef *KafkaClusterRef `json:"secondaryKafkaClusterRef,omitempty"`

	// secondaryKafkaRest is accepted for CFK compatibility (centralized
	// RBAC) and ignored.
	// +optional
	SecondaryKafkaRest *KafkaRestSpec `json:"secondaryKafkaRest,omitempty"`

	// allowedNamespaces lists the namespaces whose ClusterLinks may
	// reference this KafkaRestClass; "*" allows every namespace. Its own
	// namespace is always allowed. Empty: its own namespace only.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	AllowedNamespaces []string `json:"allowedNamespaces,omitempty"`
}

// KafkaClusterRef names a Kafka cluster.
type KafkaClusterRef struct {
	// name of the Kafka cluster.
	// +required
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// namespace of the Kafka cluster.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// KafkaRestSpec is a REST API v3 endpoint and its credentials.
type KafkaRestSpec struct {
	// endpoint is the REST base URL, http(s)://host:port. The API prefix is
	// discovered (/kafka/v3 for Confluent Server and Cloud, /v3 for a
	// standalone REST Proxy) unless the URL ends with it. Required unless
	// spec.kafkaClusterRef is given; it wins over kafkaClusterRef when both are.
	// +optional
	// +kubebuilder:validation:Pattern=`^https?://.*`
	// +kubebuilder:validation:MaxLength=2048
	Endpoint string `json:"endpoint,omitempty"`

	// kafkaClusterID is the cluster id; read with GET /clusters when unset.
	// +optional
	KafkaClusterID string `json:"kafkaClusterID,omitempty"`

	// authentication to the REST API.
	// +optional
	Authentication *RestAuthentication `json:"authentication,omitempty"`

	// tls configures the CA (and client certificate for mtls) for an https endpoint.
	// +optional
	TLS *RestTLS `json:"tls,omitempty"`
}

// RestAuthenticationType is a REST API authentication mechanism.
// +kubebuilder:validation:Enum=basic;bearer;mtls;oauth;none
type RestAuthenticationType string

const (
	// RestAuthenticationBasic is HTTP basic auth from basic.txt.
	RestAuthenticationBasic RestAuthenticationType = "basic"
	// RestAuthenticationBearer is an HTTP bearer token from bearer.txt.
	RestAuthenticationBearer RestAuthenticationType = "bearer"
	// RestAuthenticationMTLS is a TLS client certificate from tls.
	RestAuthenticationMTLS RestAuthenticationType = "mtls"
	// RestAuthenticationOAuth is an OAuth bearer token from oauth.
	RestAuthenticationOAuth RestAuthenticationType = "oauth"
	// RestAuthenticationNone sends no credentials (with
	// sslClientAuthentication, a client certificate).
	RestAuthenticationNone RestAuthenticationType = "none"
)

// RestAuthentication is how to authenticate to a REST API.
// +kubebuilder:validation:XValidation:rule="self.type != 'basic' || has(self.basic)",message="authentication type basic needs basic.secretRef or basic.directoryPathInContainer"
// +kubebuilder:validation:XValidation:rule="self.type != 'bearer' || has(self.bearer)",message="authentication type bearer needs bearer.secretRef or bearer.directoryPathInContainer"
type RestAuthentication struct {
	// type is the authentication mechanism.
	// +required
	Type RestAuthenticationType `json:"type"`
	// basic credentials: a Secret (key basic.txt with username= and
	// password= lines) or a directory holding basic.txt.
	// +optional
	Basic *BasicAuthentication `json:"basic,omitempty"`
	// bearer token: a Secret (key bearer.txt) or a directory holding it.
	// +optional
	Bearer *SecretOrDirectory `json:"bearer,omitempty"`
	// oauth is OAuth client credentials or a client assertion.
	// +optional
	OAuth *OAuthRestAuthentication `json:"oauth,omitempty"`
	// sslClientAuthentication adds a TLS client certificate (fullchain.pem
	// and privkey.pem from tls) to the authentication type.
	// +optional
	SSLClientAuthentication bool `json:"sslClientAuthentication,omitempty"`
}

// BasicAuthentication is HTTP basic credentials.
type BasicAuthentication struct {
	// secretRef names a Secret in the KafkaRestClass's namespace with basic.txt.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	SecretRef string `json:"secretRef,omitempty"`
	// directoryPathInContainer is a directory in the controller's container holding basic.txt.
	// +optional
	DirectoryPathInContainer string `json:"directoryPathInContainer,omitempty"`
	// debug is accepted for CFK compatibility and ignored.
	// +optional
	Debug bool `json:"debug,omitempty"`
	// roles are accepted for CFK compatibility and ignored.
	// +optional
	// +listType=atomic
	Roles []string `json:"roles,omitempty"`
	// restrictedRoles are accepted for CFK compatibility and ignored.
	// +optional
	// +listType=atomic
	RestrictedRoles []string `json:"restrictedRoles,omitempty"`
	// ignoreRoles is accepted for CFK compatibility and ignored (a REST
	// client has no role check to skip).
	// +optional
	IgnoreRoles bool `json:"ignoreRoles,omitempty"`
}

// OAuthRestAuthentication is accepted for CFK compatibility.
type OAuthRestAuthentication struct {
	// secretRef names a Secret with OAuth client credentials.
	// +optional
	SecretRef string `json:"secretRef,omitempty"`
	// directoryPathInContainer is a directory holding the credentials.
	// +optional
	DirectoryPathInContainer string `json:"directoryPathInContainer,omitempty"`
	// configuration of the OAuth client.
	// +optional
	Configuration *OAuthClientConfiguration `json:"configuration,omitempty"`
}

// OAuthClientConfiguration configures an OAuth client.
type OAuthClientConfiguration struct {
	// tokenEndpointUri is the identity provider's token endpoint.
	// +optional
	TokenEndpointURI string `json:"tokenEndpointUri,omitempty"`
	// expectedIssuer is the expected token issuer.
	// +optional
	ExpectedIssuer string `json:"expectedIssuer,omitempty"`
	// jwksEndpointUri is the identity provider's JWKS endpoint.
	// +optional
	JwksEndpointURI string `json:"jwksEndpointUri,omitempty"`
	// subClaimName is the subject claim.
	// +optional
	SubClaimName string `json:"subClaimName,omitempty"`
	// groupsClaimName is the groups claim.
	// +optional
	GroupsClaimName string `json:"groupsClaimName,omitempty"`
	// scope requested.
	// +optional
	Scope string `json:"scope,omitempty"`
	// audience requested.
	// +optional
	Audience string `json:"audience,omitempty"`
	// loginConnectTimeoutMs is the token endpoint's connect timeout.
	// +optional
	// +kubebuilder:validation:Minimum=0
	LoginConnectTimeoutMs *int32 `json:"loginConnectTimeoutMs,omitempty"`
	// loginReadTimeoutMs is the token endpoint's read timeout.
	// +optional
	// +kubebuilder:validation:Minimum=0
	LoginReadTimeoutMs *int32 `json:"loginReadTimeoutMs,omitempty"`
	// loginRetryBackoffMs is the first wait between token requests.
	// +optional
	// +kubebuilder:validation:Minimum=0
	LoginRetryBackoffMs *int32 `json:"loginRetryBackoffMs,omitempty"`
	// loginRetryBackoffMaxMs is the longest wait between token requests.
	// +optional
	// +kubebuilder:validation:Minimum=0
	LoginRetryBackoffMaxMs *int32 `json:"loginRetryBackoffMaxMs,omitempty"`
	// clientAssertion authenticates the client to the token endpoint with a
	// signed JWT instead of a client secret.
	// +optional
	ClientAssertion *ClientAssertion `json:"clientAssertion,omitempty"`
}

// RestTLS is the TLS material for an https REST endpoint.
type RestTLS struct {
	// secretRef names a Secret in the KafkaRestClass's namespace with
	// cacerts.pem (and fullchain.pem + privkey.pem for mtls).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	SecretRef string `json:"secretRef,omitempty"`
	// directoryPathInContainer is a directory in the controller's container
	// holding the same files (e.g. written by a Vault agent).
	// +optional
	DirectoryPathInContainer string `json:"directoryPathInContainer,omitempty"`
	// jksPassword is accepted for CFK compatibility; kafkalink reads PEM files.
	// +optional
	JksPassword *SecretKeyRef `json:"jksPassword,omitempty"`
}

// KafkaRestClassStatus is a REST endpoint as last observed.
type KafkaRestClassStatus struct {
	// observedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// conditions: Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// kafkaClusterID is the cluster id served by the endpoint.
	// +optional
	KafkaClusterID string `json:"kafkaClusterID,omitempty"`
	// apiPrefix is the REST API prefix in use (/kafka/v3 or /v3).
	// +optional
	APIPrefix string `json:"apiPrefix,omitempty"`
	// endpoint is the REST endpoint in use: spec.kafkaRest.endpoint, or the
	// one resolved through spec.kafkaClusterRef.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true

// KafkaRestClassList is a list of KafkaRestClasses.
type KafkaRestClassList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the KafkaRestClasses.
	Items []KafkaRestClass `json:"items"`
}

// AllowsNamespace reports whether a ClusterLink in namespace ns may reference this class.
func (k *KafkaRestClass) AllowsNamespace(ns string) bool {
	if ns == k.Namespace {
		return true
	}
	for _, a := range k.Spec.AllowedNamespaces {
		if a == "*" || a == ns {
			return true
		}
	}
	return false
}
