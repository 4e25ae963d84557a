package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=clink,categories=kafkalink
// +kubebuilder:printcolumn:name="Link",type=string,JSONPath=`.status.linkName`
// +kubebuilder:printcolumn:name="Source",type=string,JSONPath=`.status.sourceKafkaClusterID`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`,description="The link's state on the destination, or DELETING / DELETION_BLOCKED while the ClusterLink is being deleted"
// +kubebuilder:printcolumn:name="Mirrors",type=string,JSONPath=`.status.mirrorTopicsReady`,description="Mirror topics in their desired state / managed mirror topics"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Destination",type=string,JSONPath=`.status.destinationKafkaClusterID`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="(has(oldSelf.spec.name) ? oldSelf.spec.name : oldSelf.metadata.name) == (has(self.spec.name) ? self.spec.name : self.metadata.name)",message="spec.name (the link name on the destination, default metadata.name) is immutable; create a new ClusterLink for a new link"

// ClusterLink is a Kafka cluster link from a source cluster to a destination
// cluster, and the mirror topics it carries. The controller creates the link
// on the destination through its Kafka REST API v3, creates each mirror topic
// and moves it to its desired state.
type ClusterLink struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired link and its mirror topics.
	// +required
	Spec ClusterLinkSpec `json:"spec"`

	// status is the link and mirror topics as last observed on the destination.
	// +optional
	Status ClusterLinkStatus `json:"status,omitempty"`
}

// DeletionPolicy says what deleting a ClusterLink does on the destination.
// +kubebuilder:validation:Enum=Failover;Retain
type DeletionPolicy string

const (
	// DeletionPolicyFailover fails over every mirror topic still mirroring (one
	// batch call), waits until none is PENDING_STOPPED, then deletes the link.
	DeletionPolicyFailover DeletionPolicy = "Failover"
	// DeletionPolicyRetain deletes only the Kubernetes object: the link and its
	// mirror topics stay on the destination as they are.
	DeletionPolicyRetain DeletionPolicy = "Retain"
)

// MirrorTopicState is the desired state of a mirror topic.
// +kubebuilder:validation:Enum=ACTIVE;PAUSE;PROMOTE;FAILOVER
type MirrorTopicState string

const (
	// MirrorTopicStateActive mirrors records from the source topic.
	MirrorTopicStateActive MirrorTopicState = "ACTIVE"
	// MirrorTopicStatePause pauses mirroring; it can be resumed.
	MirrorTopicStatePause MirrorTopicState = "PAUSE"
	// MirrorTopicStatePromote stops mirroring after the topic has caught up
	// (lag 0, source reachable) and makes it a normal writable topic. One-way.
	MirrorTopicStatePromote MirrorTopicState = "PROMOTE"
	// MirrorTopicStateFailover stops mirroring at once, even if the source is
	// unreachable, and makes it a normal writable topic. One-way; records not
	// yet mirrored are not copied.
	MirrorTopicStateFailover MirrorTopicState = "FAILOVER"
)

// MirrorTopicDirection says which cluster of a bidirectional link a mirror
// topic lives on.
// +kubebuilder:validation:Enum=toDestination;toSource
type MirrorTopicDirection string

const (
	// DirectionToDestination: the mirror topic is created on the
	// destination cluster and mirrors the source cluster's topic.
	DirectionToDestination MirrorTopicDirection = "toDestination"
	// DirectionToSource: the mirror topic is created on the source cluster
	// (through sourceKafkaCluster.kafkaRestClassRef), under the same link
	// there, and mirrors the destination cluster's topic. Bidirectional
	// links only.
	DirectionToSource MirrorTopicDirection = "toSource"
)

// MirrorTopicStates lists every desired state, in documentation order.
var MirrorTopicStates = []MirrorTopicState{MirrorTopicStateActive, MirrorTopicStatePause, MirrorTopicStatePromote, MirrorTopicStateFailover}

// LinkMode is the role of a ClusterLink in a source-initiated or bidirectional link.
// +kubebuilder:validation:Enum=Source;Destination;Bidirectional
type LinkMode string

const (
	// LinkModeDestination is the ordinary, destination-initiated side.
	LinkModeDestination LinkMode = "Destination"
	// LinkModeSource is the source side of a source-initiated link.
	LinkModeSource LinkMode = "Source"
	// LinkModeBidirectional is one side of a bidirectional link.
	LinkModeBidirectional LinkMode = "Bidirectional"
)

// ConnectionMode says which side opens the network connection.
// +kubebuilder:validation:Enum=Inbound;Outbound
type ConnectionMode string

const (
	// ConnectionModeOutbound: this cluster opens the connection.
	ConnectionModeOutbound ConnectionMode = "Outbound"
	// ConnectionModeInbound: this cluster waits for the other side to connect.
	ConnectionModeInbound ConnectionMode = "Inbound"
)

// +kubebuilder:validation:XValidation:rule="!has(self.mirrorTopicOptions) || !has(self.mirrorTopicOptions.prefix) || !has(self.mirrorTopics) || self.mirrorTopics.all(t, (has(t.direction) && t.direction == 'toSource') || (has(t.sourceTopicName) && t.name == self.mirrorTopicOptions.prefix + t.sourceTopicName))",message="with mirrorTopicOptions.prefix set, every toDestination mirror topic needs sourceTopicName and its name must be the prefix followed by sourceTopicName"
// +kubebuilder:validation:XValidation:rule="!has(self.mirrorTopics) || !self.mirrorTopics.exists(t, has(t.direction) && t.direction == 'toSource') || (has(self.sourceInitiatedLink) && self.sourceInitiatedLink.linkMode == 'Bidirectional')",message="direction: toSource needs a bidirectional link (sourceInitiatedLink.linkMode: Bidirectional)"
// +kubebuilder:validation:XValidation:rule="!has(self.sourceInitiatedLink) || self.sourceInitiatedLink.linkMode != 'Source' || !has(self.mirrorTopics) || size(self.mirrorTopics) == 0",message="mirrorTopics are not allowed on a linkMode: Source ClusterLink; list them on the destination's ClusterLink"
// +kubebuilder:validation:XValidation:rule="(has(self.sourceInitiatedLink) ? self.sourceInitiatedLink.linkMode : 'Destination') == (has(oldSelf.sourceInitiatedLink) ? oldSelf.sourceInitiatedLink.linkMode : 'Destination')",message="sourceInitiatedLink.linkMode is immutable; create a new ClusterLink for a link of another mode"
// +kubebuilder:validation:XValidation:rule="!has(self.sourceInitiatedLink) || !has(self.sourceInitiatedLink.connectionMode) || self.sourceInitiatedLink.connectionMode != 'Inbound' || has(self.sourceKafkaCluster.clusterID) || has(self.sourceKafkaCluster.kafkaRestClassRef)",message="an Inbound link needs the source cluster's id: sourceKafkaCluster.clusterID, or sourceKafkaCluster.kafkaRestClassRef to read it from"

// ClusterLinkSpec is the desired state of a cluster link.
type ClusterLinkSpec struct {
	// name is the link name on the destination cluster. Defaults to
	// metadata.name. Immutable. Paired source-initiated or bidirectional links
	// are two ClusterLinks, one per cluster, sharing this name.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9._-]*$`
	Name string `json:"name,omitempty"`

	// destinationKafkaCluster is the local side, where the link object lives
	// and mirror topics are created. Its kafkaRestClassRef is required (except
	// for linkMode: Source, where sourceKafkaCluster's is).
	// +required
	DestinationKafkaCluster KafkaClusterSpec `json:"destinationKafkaCluster"`

	// sourceKafkaCluster is the remote side that records are mirrored from.
	// bootstrapEndpoint is required (except for linkMode: Source). The source
	// cluster identity (clusterID) is immutable once set.
	// +required
	// +kubebuilder:validation:XValidation:rule="!has(oldSelf.clusterID) || (has(self.clusterID) && self.clusterID == oldSelf.clusterID)",message="sourceKafkaCluster.clusterID is immutable once set: a link cannot be moved to another source cluster"
	SourceKafkaCluster KafkaClusterSpec `json:"sourceKafkaCluster"`

	// sourceInitiatedLink makes this one side of a source-initiated or
	// bidirectional link. Absent: an ordinary destination-initiated link.
	// +optional
	SourceInitiatedLink *SourceInitiatedLink `json:"sourceInitiatedLink,omitempty"`

	// configs are raw cluster link configs (for example
	// consumer.offset.sync.enable), merged over the configs kafkalink
	// generates from the source's endpoint, authentication and TLS.
	// +optional
	Configs map[string]string `json:"configs,omitempty"`

	// consumerGroupFilters select the consumer groups whose offsets are
	// synced (link config consumer.offset.group.filters).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1000
	ConsumerGroupFilters []ResourceFilter `json:"consumerGroupFilters,omitempty"`

	// aclFilters select the ACLs that are synced from the source (link
	// config acl.filters).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1000
	ACLFilters []ACLFilter `json:"aclFilters,omitempty"`

	// deletionPolicy says what deleting this ClusterLink does on the
	// destination. Failover (the default, as in CFK) fails over every mirror
	// topic still mirroring and then deletes the link; Retain deletes only the
	// Kubernetes object and leaves the link and its mirror topics as they are.
	// Switching a terminating ClusterLink to Retain is the way out when its
	// destination is gone for good.
	// +optional
	// +kubebuilder:default=Failover
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// deletionProtection, when true, makes the admission webhook deny every
	// DELETE of this ClusterLink (a guard against accidental GitOps prunes).
	// Set it to false first to delete the ClusterLink.
	// +optional
	DeletionProtection bool `json:"deletionProtection,omitempty"`

	// mirrorTopicOptions configure auto-created mirror topics and the
	// mirror topic name prefix.
	// +optional
	MirrorTopicOptions *MirrorTopicOptions `json:"mirrorTopicOptions,omitempty"`

	// mirrorTopics are the mirror topics this ClusterLink manages. A topic
	// removed from this list is deleted on the destination, unless it was
	// already promoted or failed over (then it is only no longer managed).
	// At most 1000: every topic costs about 600 bytes of the stored object
	// (spec, status, managedFields, kubectl's last-applied annotation), and
	// the whole object must stay well under etcd's 1.5 MiB request limit.
	// More topics between the same two clusters go into further
	// ClusterLinks, each its own link (a different spec.name).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=1000
	MirrorTopics []MirrorTopic `json:"mirrorTopics,omitempty"`
}

// KafkaClusterSpec is one side of a cluster link.
type KafkaClusterSpec struct {
	// bootstrapEndpoint is the cluster's Kafka bootstrap address, host:port
	// (a comma-separated list is allowed). Required on the source side,
	// except for linkMode: Source where it is required on the destination.
	// +optional
	// +kubebuilder:validation:Pattern=`.+:[0-9]+`
	// +kubebuilder:validation:MaxLength=4096
	BootstrapEndpoint string `json:"bootstrapEndpoint,omitempty"`

	// clusterID is the Kafka cluster id. Optional when kafkaRestClassRef is
	// given (it is then read through the REST API).
	// +optional
	// +kubebuilder:validation:MaxLength=255
	ClusterID string `json:"clusterID,omitempty"`

	// kafkaRestClassRef names the KafkaRestClass used to reach this cluster's
	// REST API v3. Required on the destination side.
	// +optional
	KafkaRestClassRef *KafkaRestClassRef `json:"kafkaRestClassRef,omitempty"`

	// authentication is how the link authenticates to this cluster's Kafka
	// listener.
	// +optional
	Authentication *KafkaAuthentication `json:"authentication,omitempty"`

	// tls is the TLS configuration for this cluster's Kafka listener.
	// +optional
	TLS *ClusterTLS `json:"tls,omitempty"`
}

// KafkaRestClassRef names a KafkaRestClass.
type KafkaRestClassRef struct {
	// name of the KafkaRestClass.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// namespace of the KafkaRestClass; defaults to the ClusterLink's own. A
	// KafkaRestClass in another namespace must list this ClusterLink's
	// namespace in its spec.allowedNamespaces.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}

// KafkaAuthenticationType is a Kafka client authentication mechanism.
// +kubebuilder:validation:Enum=plain;scram;digest;mtls;oauth;oauthbearer;plain-passthrough;none
type KafkaAuthenticationType string

const (
	// KafkaAuthenticationPlain is SASL/PLAIN with username and password from jaasConfig.
	KafkaAuthenticationPlain KafkaAuthenticationType = "plain"
	// KafkaAuthenticationSCRAM is SASL/SCRAM-SHA-512 with username and password from jaasConfig.
	KafkaAuthenticationSCRAM KafkaAuthenticationType = "scram"
	// KafkaAuthenticationDigest is accepted for CFK compatibility and ignored.
	KafkaAuthenticationDigest KafkaAuthenticationType = "digest"
	// KafkaAuthenticationMTLS is TLS client certificate authentication.
	KafkaAuthenticationMTLS KafkaAuthenticationType = "mtls"
	// KafkaAuthenticationOAuth is SASL/OAUTHBEARER with oauthSettings.
	KafkaAuthenticationOAuth KafkaAuthenticationType = "oauth"
	// KafkaAuthenticationOAuthBearer is SASL/OAUTHBEARER with credentials from oauthbearer.
	KafkaAuthenticationOAuthBearer KafkaAuthenticationType = "oauthbearer"
	// KafkaAuthenticationPlainPassthrough is SASL/PLAIN with a whole JAAS config from jaasConfigPassThrough.
	KafkaAuthenticationPlainPassthrough KafkaAuthenticationType = "plain-passthrough"
	// KafkaAuthenticationNone is no SASL authentication (TLS, if enabled,
	// still applies; with sslClientAuthentication, a client certificate).
	KafkaAuthenticationNone KafkaAuthenticationType = "none"
)

// KafkaAuthentication is how a cluster link authenticates to a Kafka listener.
// +kubebuilder:validation:XValidation:rule="!(self.type in ['plain', 'scram']) || has(self.jaasConfig) || has(self.jaasConfigPassThrough)",message="authentication types plain and scram need jaasConfig (or jaasConfigPassThrough)"
// +kubebuilder:validation:XValidation:rule="self.type != 'plain-passthrough' || has(self.jaasConfigPassThrough)",message="authentication type plain-passthrough needs jaasConfigPassThrough"
type KafkaAuthentication struct {
	// type is the authentication mechanism.
	// +required
	Type KafkaAuthenticationType `json:"type"`
	// jaasConfig names a Secret whose key plain.txt holds username= and
	// password= lines.
	// +optional
	JaasConfig *JaasConfig `json:"jaasConfig,omitempty"`
	// jaasConfigPassThrough provides a complete JAAS config (key
	// plain-jaas.conf) from a Secret or a directory in the controller's container.
	// +optional
	JaasConfigPassThrough *SecretOrDirectory `json:"jaasConfigPassThrough,omitempty"`
	// oauthbearer provides OAuth bearer credentials from a Secret or a directory.
	// +optional
	OAuthBearer *SecretOrDirectory `json:"oauthbearer,omitempty"`
	// oauthSettings configure SASL/OAUTHBEARER token retrieval.
	// +optional
	OAuthSettings *OAuthSettings `json:"oauthSettings,omitempty"`
	// sslClientAuthentication adds a TLS client certificate (fullchain.pem
	// and privkey.pem from tls) to the authentication type, as mtls does on
	// its own: for listeners that require both SASL and a client certificate.
	// +optional
	SSLClientAuthentication bool `json:"sslClientAuthentication,omitempty"`
}

// JaasConfig names a Secret with SASL credentials.
type JaasConfig struct {
	// secretRef is the name of a Secret in the ClusterLink's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SecretRef string `json:"secretRef"`
}

// SecretOrDirectory is a Secret in the referencing object's namespace, or a
// directory mounted into the controller's container (e.g. by a Vault agent).
type SecretOrDirectory struct {
	// secretRef is the name of a Secret in the referencing object's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	SecretRef string `json:"secretRef,omitempty"`
	// directoryPathInContainer is a directory in the controller's container
	// holding the same keys as the Secret would.
	// +optional
	DirectoryPathInContainer string `json:"directoryPathInContainer,omitempty"`
}

// OAuthSettings configure SASL/OAUTHBEARER.
type OAuthSettings struct {
	// audience requested from the token endpoint.
	// +optional
	Audience string `json:"audience,omitempty"`
	// scope requested in the token (sasl.oauthbearer.scope).
	// +optional
	Scope string `json:"scope,omitempty"`
	// subClaimName is the JWT claim that holds the principal
	// (sasl.oauthbearer.sub.claim.name).
	// +optional
	SubClaimName string `json:"subClaimName,omitempty"`
	// loginConnectTimeoutMs is the token endpoint's connect timeout
	// (sasl.login.connect.timeout.ms).
	// +optional
	// +kubebuilder:validation:Minimum=0
	LoginConnectTimeoutMs *int32 `json:"loginConnectTimeoutMs,omitempty"`
	// loginReadTimeoutMs is the token endpoint's read timeout
	// (sasl.login.read.timeout.ms).
	// +optional
	// +kubebuilder:validation:Minimum=0
	LoginReadTimeoutMs *int32 `json:"loginReadTimeoutMs,omitempty"`
	// loginRetryBackoffMs is the first wait between token requests
	// (sasl.login.retry.backoff.ms).
	// +optional
	// +kubebuilder:validation:Minimum=0
	LoginRetryBackoffMs *int32 `json:"loginRetryBackoffMs,omitempty"`
	// loginRetryBackoffMaxMs is the longest wait between token requests
	// (sasl.login.retry.backoff.max.ms).
	// +optional
	// +kubebuilder:validation:Minimum=0
	LoginRetryBackoffMaxMs *int32 `json:"loginRetryBackoffMaxMs,omitempty"`
	// groupsClaimName is the JWT claim that holds groups.
	// +optional
	GroupsClaimName string `json:"groupsClaimName,omitempty"`
	// jwksEndpointUri is the JWKS endpoint of the identity provider.
	// +optional
	JwksEndpointURI string `json:"jwksEndpointUri,omitempty"`
	// tokenEndpointUri is the token endpoint of the identity provider.
	// +optional
	TokenEndpointURI string `json:"tokenEndpointUri,omitempty"`
	// expectedIssuer is the expected token issuer.
	// +optional
	ExpectedIssuer string `json:"expectedIssuer,omitempty"`
	// clientAssertion configures client assertion (private key JWT) authentication.
	// +optional
	ClientAssertion *ClientAssertion `json:"clientAssertion,omitempty"`
}

// ClientAssertion configures OAuth client assertion (RFC 7523): the client
// authenticates to the token endpoint with a signed JWT instead of a secret.
type ClientAssertion struct {
	// clientId is the OAuth client id.
	// +optional
	ClientID string `json:"clientId,omitempty"`
	// jwtTokenFile supplies a ready-made assertion instead of building one:
	// a Secret or a directory holding it.
	// +optional
	JwtTokenFile *SecretOrDirectory `json:"jwtTokenFile,omitempty"`
	// localClientAssertion builds the assertion locally from a private key.
	// +optional
	LocalClientAssertion *LocalClientAssertion `json:"localClientAssertion,omitempty"`
}

// LocalClientAssertion builds an OAuth client assertion from a private key.
type LocalClientAssertion struct {
	// issuer of the assertion.
	// +optional
	Issuer string `json:"issuer,omitempty"`
	// subject of the assertion.
	// +optional
	Subject string `json:"subject,omitempty"`
	// audience of the assertion.
	// +optional
	Audience string `json:"audience,omitempty"`
	// privateKeyFile is the key the assertion is signed with.
	// +optional
	PrivateKeyFile *PrivateKeyFile `json:"privateKeyFile,omitempty"`
	// includeJtiClaim adds a unique jti claim to the assertion.
	// +optional
	IncludeJtiClaim bool `json:"includeJtiClaim,omitempty"`
	// includeNbfClaim adds a not-before (nbf) claim to the assertion.
	// +optional
	IncludeNbfClaim bool `json:"includeNbfClaim,omitempty"`
	// tokenLifetime is how long the assertion is valid, in seconds.
	// +optional
	// +kubebuilder:validation:Minimum=1
	TokenLifetime *int32 `json:"tokenLifetime,omitempty"`
}

// PrivateKeyFile is a PEM private key in a Secret or a directory.
type PrivateKeyFile struct {
	// secretRef names a Secret in the referencing object's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	SecretRef string `json:"secretRef,omitempty"`
	// directoryPathInContainer is a directory in the controller's container
	// holding the same keys as the Secret would.
	// +optional
	DirectoryPathInContainer string `json:"directoryPathInContainer,omitempty"`
	// encryptedPrivateKey says the key is encrypted with a passphrase.
	// +optional
	EncryptedPrivateKey bool `json:"encryptedPrivateKey,omitempty"`
	// includeAssertionTemplate says the Secret or directory also holds a
	// template of the assertion's claims.
	// +optional
	IncludeAssertionTemplate bool `json:"includeAssertionTemplate,omitempty"`
}

// SecretKeyRef names a Secret in the referencing object's namespace.
type SecretKeyRef struct {
	// secretRef is the name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SecretRef string `json:"secretRef"`
}

// ClusterTLS is the TLS configuration of a Kafka listener. Secrets hold
// fullchain.pem, privkey.pem and cacerts.pem.
type ClusterTLS struct {
	// enabled turns TLS on for this listener.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// secretRef names a Secret in the ClusterLink's namespace with
	// fullchain.pem, privkey.pem (for mTLS) and cacerts.pem.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	SecretRef string `json:"secretRef,omitempty"`
	// directoryPathInContainer is a directory in the controller's container
	// holding the same files.
	// +optional
	DirectoryPathInContainer string `json:"directoryPathInContainer,omitempty"`
	// keyPassword names a Secret with the private key's password.
	// +optional
	KeyPassword *SecretKeyRef `json:"keyPassword,omitempty"`
}

// SourceInitiatedLink configures one side of a source-initiated or bidirectional link.
type SourceInitiatedLink struct {
	// linkMode is this ClusterLink's role. Immutable.
	// +required
	LinkMode LinkMode `json:"linkMode"`
	// connectionMode says whether this side opens the connection (Outbound)
	// or waits for it (Inbound; needs the source cluster's id, from
	// sourceKafkaCluster.clusterID or its kafkaRestClassRef). Default:
	// Inbound for linkMode Destination (the source side connects to it),
	// Outbound otherwise.
	// +optional
	ConnectionMode ConnectionMode `json:"connectionMode,omitempty"`
}

// PatternType says how a filter name matches.
// +kubebuilder:validation:Enum=PREFIXED;LITERAL
type PatternType string

const (
	// PatternTypePrefixed matches names starting with the filter name.
	PatternTypePrefixed PatternType = "PREFIXED"
	// PatternTypeLiteral matches the name exactly ("*" matches every name).
	PatternTypeLiteral PatternType = "LITERAL"
)

// FilterType says whether matching names are included or excluded.
// +kubebuilder:validation:Enum=INCLUDE;EXCLUDE
type FilterType string

const (
	// FilterTypeInclude includes matching names.
	FilterTypeInclude FilterType = "INCLUDE"
	// FilterTypeExclude excludes matching names.
	FilterTypeExclude FilterType = "EXCLUDE"
)

// ResourceFilter selects consumer groups or topics by name.
type ResourceFilter struct {
	// name to match; "*" with LITERAL matches everything.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name"`
	// patternType says how name matches.
	// +required
	PatternType PatternType `json:"patternType"`
	// filterType says whether matches are included or excluded.
	// +required
	FilterType FilterType `json:"filterType"`
}

// ACLFilter selects ACLs to sync from the source.
type ACLFilter struct {
	// clusterLinkIds limit the filter to the ACLs of these cluster link ids
	// (for bidirectional links, whose ACLs can be synced both ways).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	ClusterLinkIDs []string `json:"clusterLinkIds,omitempty"`
	// resourceFilter selects the ACLs' resources.
	// +required
	ResourceFilter ACLResourceFilter `json:"resourceFilter"`
	// accessFilter selects the ACLs' principals and operations.
	// +required
	AccessFilter ACLAccessFilter `json:"accessFilter"`
}

// ACLResourceFilter selects ACL resources.
type ACLResourceFilter struct {
	// resourceType of the ACLs (CFK spells transactional id "transcationId").
	// +required
	// +kubebuilder:validation:Enum=any;cluster;group;topic;transcationId;delegationToken
	ResourceType string `json:"resourceType"`
	// name of the resource.
	// +optional
	Name string `json:"name,omitempty"`
	// patternType of the resource name.
	// +required
	// +kubebuilder:validation:Enum=prefixed;literal;any;match
	PatternType string `json:"patternType"`
}

// ACLAccessFilter selects ACL principals and operations.
type ACLAccessFilter struct {
	// principal, e.g. User:alice.
	// +optional
	Principal string `json:"principal,omitempty"`
	// host the ACL applies to.
	// +optional
	Host string `json:"host,omitempty"`
	// operation, e.g. any, read, write, all.
	// +required
	// +kubebuilder:validation:MinLength=1
	Operation string `json:"operation"`
	// permissionType of the ACL.
	// +required
	// +kubebuilder:validation:Enum=any;allow;deny
	PermissionType string `json:"permissionType"`
}

// MirrorTopicOptions configure auto-created mirror topics and the name prefix.
type MirrorTopicOptions struct {
	// autoCreateTopics makes the destination create mirror topics for source
	// topics matching the filters. Auto-created mirrors are not managed: spec
	// changes never pause, promote, fail over or delete them.
	// +optional
	AutoCreateTopics *AutoCreateTopics `json:"autoCreateTopics,omitempty"`
	// prefix (link config cluster.link.prefix) is prepended to source topic
	// names; every mirror topic name must then be prefix + sourceTopicName.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Prefix string `json:"prefix,omitempty"`
	// deleteRemovedMirrorTopics says what happens to a mirror topic removed
	// from spec.mirrorTopics. true (the default): it is deleted on its
	// cluster, unless it was already promoted or failed over (then it is
	// only no longer managed). false: it is never deleted, only no longer
	// managed; it stays a mirror topic in whatever state it was.
	// +optional
	DeleteRemovedMirrorTopics *bool `json:"deleteRemovedMirrorTopics,omitempty"`
}

// AutoCreateTopics configures auto-created mirror topics.
type AutoCreateTopics struct {
	// enabled turns auto-creation on (auto.create.mirror.topics.enable).
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// topicFilters select the source topics (auto.create.mirror.topics.filters).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1000
	TopicFilters []ResourceFilter `json:"topicFilters,omitempty"`
}

// +kubebuilder:validation:XValidation:rule="(has(self.sourceTopicName) ? self.sourceTopicName : self.name) == (has(oldSelf.sourceTopicName) ? oldSelf.sourceTopicName : oldSelf.name)",message="sourceTopicName is immutable: remove the mirror topic and add a new one instead"
// +kubebuilder:validation:XValidation:rule="(has(self.direction) ? self.direction : 'toDestination') == (has(oldSelf.direction) ? oldSelf.direction : 'toDestination') || (has(self.reverse) && self.reverse)",message="direction changes only with reverse: true (reverse-and-start or reverse-and-pause the mirror on a bidirectional link); otherwise remove the topic and add a new one for the other direction"

// MirrorTopic is a mirror topic on the destination and its desired state.
type MirrorTopic struct {
	// name of the mirror topic on the destination.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9._-]*$`
	Name string `json:"name"`
	// sourceTopicName is the topic on the source. Defaults to name (without
	// mirrorTopicOptions.prefix, which then requires it). Immutable.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9._-]*$`
	SourceTopicName string `json:"sourceTopicName,omitempty"`
	// replicationFactor of the mirror topic; the destination's default when
	// unset. Immutable once the topic is created.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=32767
	ReplicationFactor *int32 `json:"replicationFactor,omitempty"`
	// configs are topic configs of the mirror topic, set at creation.
	// +optional
	Configs map[string]string `json:"configs,omitempty"`
	// state is the desired state: ACTIVE (default), PAUSE, PROMOTE or
	// FAILOVER. A new mirror topic must start ACTIVE or PAUSE. PROMOTE and
	// FAILOVER are one-way; PROMOTE may be escalated to FAILOVER.
	// +optional
	// +kubebuilder:default=ACTIVE
	State MirrorTopicState `json:"state,omitempty"`
	// direction is where the mirror topic lives on a linkMode: Bidirectional
	// link: toDestination (the default) on the destination cluster,
	// mirroring from the source; toSource on the source cluster, mirroring
	// from the destination. Immutable.
	// +optional
	Direction MirrorTopicDirection `json:"direction,omitempty"`
	// restore makes a topic that was promoted or failed over (observed
	// STOPPED) a mirror of its source again: with acceptTruncation true,
	// setting state back to ACTIVE or PAUSE calls truncate-and-restore,
	// which DELETES the records written to the topic since it stopped that
	// the source does not have. It has no other effect; without it, PROMOTE
	// and FAILOVER stay one-way.
	// +optional
	Restore *MirrorTopicRestore `json:"restore,omitempty"`
	// reverse, on a bidirectional link, lets direction change: the mirror
	// is reversed where it lives (reverse-and-start-mirror with state
	// ACTIVE, reverse-and-pause-mirror with PAUSE). Its topic there becomes
	// a normal writable topic and the same-named topic on the other cluster
	// becomes its mirror. One-way; it needs the mirror ACTIVE or PAUSED
	// with no lag. Without it, direction is immutable.
	// +optional
	Reverse bool `json:"reverse,omitempty"`
}

// MirrorTopicRestore acknowledges what truncate-and-restore deletes.
type MirrorTopicRestore struct {
	// acceptTruncation must be true: the records written to the topic
	// since it was promoted or failed over, which its source does not
	// have, are deleted when it becomes a mirror again.
	// +required
	AcceptTruncation bool `json:"acceptTruncation"`
}

// RestoreAccepted reports whether the topic carries restore.acceptTruncation: true.
func (m *MirrorTopic) RestoreAccepted() bool {
	return m.Restore != nil && m.Restore.AcceptTruncation
}

// EffectiveDirection returns direction, toDestination when empty.
func (m *MirrorTopic) EffectiveDirection() MirrorTopicDirection {
	if m.Direction == "" {
		return DirectionToDestination
	}
	return m.Direction
}

// SourceName returns the source topic name: sourceTopicName, else name.
func (m *MirrorTopic) SourceName() string {
	if m.SourceTopicName != "" {
		return m.SourceTopicName
	}
	return m.Name
}

// SourceName returns the source topic a status entry records: its
// sourceTopicName, or its name when that is omitted.
func (s *MirrorTopicStatus) SourceName() string {
	if s.SourceTopicName != "" {
		return s.SourceTopicName
	}
	return s.Name
}

// DesiredState returns state, ACTIVE when empty (the CRD default).
func (m *MirrorTopic) DesiredState() MirrorTopicState {
	if m.State == "" {
		return MirrorTopicStateActive
	}
	return m.State
}

// ClusterLinkStatus is the link and its mirror topics as last observed.
type ClusterLinkStatus struct {
	// observedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// conditions: Ready, LinkAvailable, MirrorsSynced, TransitionStuck, and
	// kstatus' Reconciling and Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// clusterLinkID is the link's id on the destination.
	// +optional
	ClusterLinkID string `json:"clusterLinkID,omitempty"`
	// linkName is the link's name on the destination.
	// +optional
	LinkName string `json:"linkName,omitempty"`
	// linkState is the link_state reported by the destination (ACTIVE,
	// PAUSED, FAILED, UNAVAILABLE, ...).
	// +optional
	LinkState string `json:"linkState,omitempty"`
	// linkError is the link_error reported by the destination, if any.
	// +optional
	LinkError string `json:"linkError,omitempty"`
	// state is what the STATE column of `kubectl get clink` shows: linkState
	// while the ClusterLink is in use; DELETING while its deletion fails
	// over the mirror topics and deletes the link; DELETION_BLOCKED while the
	// deletion cannot go on (the Ready condition says why and how to get
	// out). linkState keeps reporting the destination's own value.
	// +optional
	State string `json:"state,omitempty"`
	// appliedLinkConfigs is a digest of the link configs last applied on the
	// destination; the configs are read and altered again only when it
	// changes (spec, referenced Secrets or classes changed).
	// +optional
	AppliedLinkConfigs string `json:"appliedLinkConfigs,omitempty"`
	// sourceKafkaClusterID is the source cluster's id.
	// +optional
	SourceKafkaClusterID string `json:"sourceKafkaClusterID,omitempty"`
	// destinationKafkaClusterID is the destination cluster's id.
	// +optional
	DestinationKafkaClusterID string `json:"destinationKafkaClusterID,omitempty"`
	// mirrorTopicsReady is "ready/total" over managed mirror topics, where
	// ready means in the desired state.
	// +optional
	MirrorTopicsReady string `json:"mirrorTopicsReady,omitempty"`
	// unmanagedMirrorTopics counts mirror topics under the link that were
	// never listed in spec.mirrorTopics (auto-created or made by hand). They
	// are never changed by spec reconciliation.
	// +optional
	UnmanagedMirrorTopics int32 `json:"unmanagedMirrorTopics,omitempty"`
	// mirrorTopics are the managed mirror topics: every topic that has been
	// listed in spec.mirrorTopics and not yet deleted or released.
	// +optional
	// +listType=map
	// +listMapKey=name
	MirrorTopics []MirrorTopicStatus `json:"mirrorTopics,omitempty"`
}

// MirrorTopicStatus is the observed state of one managed mirror topic.
type MirrorTopicStatus struct {
	// name of the mirror topic.
	// +required
	Name string `json:"name"`
	// sourceTopicName is the topic on the source; omitted when it is the
	// same as name (status stays compact for links with many topics).
	// +optional
	SourceTopicName string `json:"sourceTopicName,omitempty"`
	// status is the mirror_status observed on the destination (ACTIVE,
	// PAUSED, PENDING_STOPPED, STOPPED, ...), or ABSENT.
	// +optional
	Status string `json:"status,omitempty"`
	// direction is toSource for a mirror topic on the source cluster of a
	// bidirectional link; omitted for toDestination.
	// +optional
	Direction MirrorTopicDirection `json:"direction,omitempty"`
	// desiredState is the state from spec this status was planned against.
	// +optional
	DesiredState MirrorTopicState `json:"desiredState,omitempty"`
	// created is true once the controller has seen the mirror topic exist.
	// +optional
	Created bool `json:"created,omitempty"`
	// maxLag is the largest partition lag (messages behind the source).
	// +optional
	MaxLag int64 `json:"maxLag,omitempty"`
	// lastAction is the last action the controller issued for this topic.
	// +optional
	LastAction string `json:"lastAction,omitempty"`
	// lastActionTime is when lastAction was issued.
	// +optional
	LastActionTime *metav1.Time `json:"lastActionTime,omitempty"`
	// lastOneWayAction is the last action that cannot be undone
	// (PROMOTE, FAILOVER, TRUNCATE_AND_RESTORE), kept while later
	// reversible actions happen: the topic's DR history.
	// +optional
	LastOneWayAction string `json:"lastOneWayAction,omitempty"`
	// lastOneWayActionTime is when lastOneWayAction was issued.
	// +optional
	LastOneWayActionTime *metav1.Time `json:"lastOneWayActionTime,omitempty"`
	// messagesTruncated is what truncate-and-restore deleted from the topic
	// (the validate_only answer until the restore has run).
	// +optional
	MessagesTruncated *int64 `json:"messagesTruncated,omitempty"`
	// validation is the destination's answer to the validate_only call
	// made before the last one-way action: "accepted", or its refusal.
	// +optional
	Validation string `json:"validation,omitempty"`
	// message is the last error or explanation for this topic.
	// +optional
	Message string `json:"message,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true

// ClusterLinkList is a list of ClusterLinks.
type ClusterLinkList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the ClusterLinks.
	Items []ClusterLink `json:"items"`
}

// LinkName is the link's name on the destination: spec.name, else metadata.name.
func (c *ClusterLink) LinkName() string {
	if c.Spec.Name != "" {
		return c.Spec.Name
	}
	return c.Name
}

// EffectiveDeletionPolicy returns spec.deletionPolicy, Failover when empty.
func (c *ClusterLink) EffectiveDeletionPolicy() DeletionPolicy {
	if c.Spec.DeletionPolicy == "" {
		return DeletionPolicyFailover
	}
	return c.Spec.DeletionPolicy
}

// LinkMode returns the link mode, Destination when sourceInitiatedLink is absent.
func (s *ClusterLinkSpec) LinkMode() LinkMode {
	if s.SourceInitiatedLink == nil || s.SourceInitiatedLink.LinkMode == "" {
		return LinkModeDestination
	}
	return s.SourceInitiatedLink.LinkMode
}

// ConnectionMode returns the effective connection mode: sourceInitiatedLink's
// connectionMode when set; otherwise Inbound for the destination side of a
// source-initiated link (linkMode Destination: the source connects to it),
// and Outbound for everything else.
func (s *ClusterLinkSpec) ConnectionMode() ConnectionMode {
	sil := s.SourceInitiatedLink
	switch {
	case sil == nil:
		return ConnectionModeOutbound
	case sil.ConnectionMode != "":
		return sil.ConnectionMode
	case sil.LinkMode == LinkModeDestination:
		return ConnectionModeInbound
	}
	return ConnectionModeOutbound
}

// HasToSourceTopics reports whether any mirror topic has direction toSource.
func (s *ClusterLinkSpec) HasToSourceTopics() bool {
	for i := range s.MirrorTopics {
		if s.MirrorTopics[i].Direction == DirectionToSource {
			return true
		}
	}
	return false
}
