package controller

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/kafkalink/kafkalink/pkg/credentials"
	"github.com/kafkalink/kafkalink/pkg/kafkarest"
)

// Link is a cluster link as the controller needs it.
type Link struct {
	Name            string
	ID              string
	SourceClusterID string
	State           string
	Error           string
	ErrorMessage    string
	// TaskErrors are "task: message" for link tasks in IN_ERROR.
	TaskErrors []string
}

// Mirror is a mirror topic as listed under a link.
type Mirror struct {
	// Link is the link the mirror is listed under.
	Link            string
	Name            string
	SourceTopicName string
	Status          string
	MaxLag          int64
	// TransitionErrors explain why a promote or failover has not completed.
	TransitionErrors []string
}

// CreateLinkRequest creates a link on the cluster the client talks to.
type CreateLinkRequest struct {
	Name string
	// SourceClusterID is the remote cluster's id (for source-initiated
	// links on the source side: the destination's id).
	SourceClusterID string
	Configs         map[string]string
}

// CreateMirrorRequest creates one mirror topic.
type CreateMirrorRequest struct {
	Name              string
	SourceTopicName   string
	ReplicationFactor int32
	Configs           map[string]string
}

// MirrorAction is a batch action on mirror topics.
type MirrorAction string

// Batch actions.
const (
	ActionPause    MirrorAction = "pause"
	ActionResume   MirrorAction = "resume"
	ActionPromote  MirrorAction = "promote"
	ActionFailover MirrorAction = "failover"
	ActionRestore  MirrorAction = "truncate-and-restore"
	// ActionReverseStart and ActionReversePause reverse a mirror on a
	// bidirectional link.
	ActionReverseStart MirrorAction = "reverse-and-start-mirror"
	ActionReversePause MirrorAction = "reverse-and-pause-mirror"
)

// MirrorCheck is one topic's answer to a batch action.
type MirrorCheck struct {
	// Err is the destination's refusal, nil when the topic succeeded (or
	// was already in the requested state).
	Err error
	// MessagesTruncated is what truncate-and-restore deletes (or would),
	// nil when not reported.
	MessagesTruncated *int64
}

// RESTClient is the part of the Kafka REST API v3 the controller uses. The
// production implementation wraps pkg/kafkarest; errors must be
// recognisable with the Is* functions of that package (via errors.As).
type RESTClient interface {
	ClusterID(ctx context.Context) (string, error)
	// GetLink returns an error IsNotFound recognises when the link is absent.
	GetLink(ctx context.Context, clusterID, link string) (*Link, error)
	// LinkNames lists the links of the cluster; it fails (404) when the
	// cluster id is wrong, which GetLink's 404 cannot tell apart.
	LinkNames(ctx context.Context, clusterID string) ([]string, error)
	// ListLinks lists every link of the cluster in one call (without
	// tasks: the API reports those per link only).
	ListLinks(ctx context.Context, clusterID string) ([]Link, error)
	// ListAllMirrors lists every mirror topic under every link of the
	// cluster in one call.
	ListAllMirrors(ctx context.Context, clusterID string) ([]Mirror, error)
	CreateLink(ctx context.Context, clusterID string, req CreateLinkRequest) error
	DeleteLink(ctx context.Context, clusterID, link string) error
	// ListLinkConfigs returns the link's configs; sensitive values are
	// absent (the API does not return them).
	ListLinkConfigs(ctx context.Context, clusterID, link string) (map[string]string, error)
	// AlterLinkConfigs sets the given configs in one configs:alter call.
	AlterLinkConfigs(ctx context.Context, clusterID, link string, set map[string]string) error
	// ListMirrors lists every mirror topic under the link in one call.
	ListMirrors(ctx context.Context, clusterID, link string) ([]Mirror, error)
	CreateMirror(ctx context.Context, clusterID, link string, req CreateMirrorRequest) error
	// AlterMirrors runs one batch action and returns per-topic answers.
	AlterMirrors(ctx context.Context, clusterID, link string, action MirrorAction, names []string) (map[string]MirrorCheck, error)
	// ValidateMirrors asks for the batch action with validate_only=true:
	// the same per-topic answers, and nothing changes.
	ValidateMirrors(ctx context.Context, clusterID, link string, action MirrorAction, names []string) (map[string]MirrorCheck, error)
	// DeleteTopic deletes a topic (a mirror topic removed from the spec).
	DeleteTopic(ctx context.Context, clusterID, topic string) error
}

// RESTConfig is what a REST client is built from.
type RESTConfig struct {
	Endpoint    string
	Credentials *credentials.RestCredentials
}

// RESTClientFactory builds a REST client.
type RESTClientFactory func(cfg RESTConfig) (RESTClient, error)

// restClientCache keeps one REST client per KafkaRestClass and replaces it
// when the endpoint or credentials change (a rotated Secret). It also
// remembers the discovered cluster id so it is asked for once, and the
// endpoint's last answer to that client: a ClusterLink's reads prove the
// class reachable with its credentials, so the class status check needs
// no call of its own while they go on (classstatus.go).
type restClientCache struct {
	factory RESTClientFactory
	now     func() time.Time
	// lost is called with the class key when a client that was last
	// answered fails to reach its endpoint or is refused: the class
	// status is checked again at once rather than at its next period.
	lost func(key string)

	mu      sync.Mutex
	entries map[string]*restClientEntry // KafkaRestClass namespace/name
}

type restClientEntry struct {
	fingerprint string
	client      RESTClient
	clusterID   string
	discovered  time.Time
	// answer is the endpoint's last answer to this client (nil: none yet).
	answer *restAnswer
}

// restAnswer is one observation of an endpoint through a class's client.
type restAnswer struct {
	at time.Time
	// clusterID the endpoint answered for (a read under a cluster id
	// succeeds only when the endpoint serves that cluster).
	clusterID string
	failed    bool
}

func newRESTClientCache(f RESTClientFactory, now func() time.Time, lost func(key string)) *restClientCache {
	if now == nil {
		now = time.Now
	}
	return &restClientCache{factory: f, now: now, lost: lost, entries: map[string]*restClientEntry{}}
}

// get returns the cached client for key, building a new one when cfg differs.
func (c *restClientCache) get(key string, cfg RESTConfig) (*restClientEntry, error) {
	fp := cfg.Endpoint + "|" + cfg.Credentials.Fingerprint()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && e.fingerprint == fp {
		return e, nil
	}
	client, err := c.factory(cfg)
	if err != nil {
		return nil, err
	}
	e := &restClientEntry{fingerprint: fp}
	e.client = &answeredREST{RESTClient: client, record: func(clusterID string, err error) { c.record(key, e, clusterID, err) }}
	c.entries[key] = e
	return e, nil
}

// record keeps the outcome of a read through e's client. Only what says
// something about the endpoint and the credentials counts: a success, a
// refusal (401/403) or no answer at all; other REST errors (a 404 for a
// link, a 400) leave the last answer as it was.
func (c *restClientCache) record(key string, e *restClientEntry, clusterID string, err error) {
	var re *kafkarest.Error
	if err != nil && errors.As(err, &re) && !kafkarest.IsUnauthorized(err) && re.StatusCode < 500 {
		return
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	c.mu.Lock()
	wasAnswered := e.answer != nil && !e.answer.failed
	e.answer = &restAnswer{at: c.now(), clusterID: clusterID, failed: err != nil}
	current := c.entries[key] == e
	c.mu.Unlock()
	if err != nil && wasAnswered && current && c.lost != nil {
		c.lost(key)
	}
}

// lastAnswer returns the endpoint's last answer to e's client, or nil.
func (c *restClientCache) lastAnswer(e *restClientEntry) *restAnswer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return e.answer
}

// answeredREST records, for the class status, the outcome of the reads a
// reconcile makes anyway.
type answeredREST struct {
	RESTClient
	record func(clusterID string, err error)
}

func (a *answeredREST) ClusterID(ctx context.Context) (string, error) {
	id, err := a.RESTClient.ClusterID(ctx)
	a.record(id, err)
	return id, err
}

func (a *answeredREST) ListLinks(ctx context.Context, clusterID string) ([]Link, error) {
	links, err := a.RESTClient.ListLinks(ctx, clusterID)
	a.record(clusterID, err)
	return links, err
}

func (a *answeredREST) ListAllMirrors(ctx context.Context, clusterID string) ([]Mirror, error) {
	ms, err := a.RESTClient.ListAllMirrors(ctx, clusterID)
	a.record(clusterID, err)
	return ms, err
}

func (a *answeredREST) LinkNames(ctx context.Context, clusterID string) ([]string, error) {
	names, err := a.RESTClient.LinkNames(ctx, clusterID)
	a.record(clusterID, err)
	return names, err
}

func (a *answeredREST) APIPrefix() string { return apiPrefix(a.RESTClient) }

// apiPrefix is the REST API prefix a client discovered ("" when unknown or
// when the client does not say).
func apiPrefix(c RESTClient) string {
	if p, ok := c.(interface{ APIPrefix() string }); ok {
		return p.APIPrefix()
	}
	return ""
}

// clusterID returns the cluster id, asking the endpoint once per client.
func (c *restClientCache) clusterID(ctx context.Context, e *restClientEntry, configured string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	c.mu.Lock()
	id := e.clusterID
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	id, err := e.client.ClusterID(ctx)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	e.clusterID, e.discovered = id, time.Now()
	c.mu.Unlock()
	return id, nil
}
