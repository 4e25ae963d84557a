package emulator

import (
	"context"
	"crypto/tls"
	"math/rand"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Mirror topic statuses (MirrorTopicStatus in the spec).
const (
	StatusActive            = "ACTIVE"
	StatusPaused            = "PAUSED"
	StatusPendingStopped    = "PENDING_STOPPED"
	StatusStopped           = "STOPPED"
	StatusSourceUnavailable = "SOURCE_UNAVAILABLE"
	StatusLinkPaused        = "LINK_PAUSED"
	StatusLinkFailed        = "LINK_FAILED"
	StatusFailed            = "FAILED"
	// StatusPendingSetupForRestore and StatusPendingRestore are the first
	// and second phase of truncate-and-restore.
	StatusPendingSetupForRestore = "PENDING_SETUP_FOR_RESTORE"
	StatusPendingRestore         = "PENDING_RESTORE"
)

// Link states (link_state in the spec).
const (
	LinkActive      = "ACTIVE"
	LinkUnavailable = "UNAVAILABLE"
	LinkFailed      = "FAILED"
	LinkPaused      = "PAUSED"
)

// Link config names the emulator interprets.
const (
	ConfigLinkMode       = "link.mode"
	ConfigConnectionMode = "connection.mode"
	ConfigPaused         = "cluster.link.paused"
	ConfigPrefix         = "cluster.link.prefix"
	ConfigBootstrap      = "bootstrap.servers"
)

// DefaultPrefix is the path prefix of Confluent Server's embedded REST API.
const DefaultPrefix = "/kafka/v3"

type options struct {
	stopDelay  time.Duration
	initialLag int64
	lagPerSec  int64
	clock      func() time.Time
	latency    time.Duration
	prefix     string
	tokenTTL   time.Duration
}

// Option configures an Emulator.
type Option func(*options)

// WithStopDelay sets how long a promoted/failed-over mirror stays
// PENDING_STOPPED before it is STOPPED (default 2s).
func WithStopDelay(d time.Duration) Option { return func(o *options) { o.stopDelay = d } }

// WithLagDecay makes new mirrors start with initialLag messages of lag on every
// partition, decreasing by perSecond per second down to 0. perSecond <= 0
// keeps the lag constant.
func WithLagDecay(initialLag, perSecond int64) Option {
	return func(o *options) { o.initialLag, o.lagPerSec = initialLag, perSecond }
}

// WithClock injects the clock (tests).
func WithClock(now func() time.Time) Option { return func(o *options) { o.clock = now } }

// WithLatency adds a fixed latency to every REST request.
func WithLatency(d time.Duration) Option { return func(o *options) { o.latency = d } }

// WithPrefix sets the REST path prefix: "/kafka/v3" (default, Confluent
// Server) or "/v3" (standalone REST Proxy).
func WithPrefix(p string) Option {
	return func(o *options) { o.prefix = "/" + strings.Trim(p, "/") }
}

// ClusterConfig describes an emulated Kafka cluster.
type ClusterConfig struct {
	ID string
	// Bootstrap is the cluster's bootstrap address, e.g. "onprem-kafka:9092";
	// link configs' bootstrap.servers are matched against it.
	Bootstrap string
	// Authentication: when Username or BearerToken is set, REST requests must
	// carry matching Basic or Bearer credentials, else 401.
	Username, Password, BearerToken string
	// RequireOAuth makes the REST and admin APIs accept only
	// "Authorization: Bearer <token>" with an unexpired token issued by the
	// emulator's token endpoint (see AddOAuthClient); Basic credentials and
	// BearerToken are then refused (401, error_code 40101).
	RequireOAuth bool
	// Topics maps topic name to partition count.
	Topics map[string]int
}

// Faults are injected failures for one cluster's REST API.
type Faults struct {
	Latency time.Duration `json:"-"`
	// ErrorRate is the probability (0..1) of answering 500.
	ErrorRate float64 `json:"error_rate"`
	// TooManyRequests: the next N requests get 429 with Retry-After: 1.
	TooManyRequests int `json:"too_many_requests"`
	// HTML429 makes 429 answers text/html instead of JSON.
	HTML429 bool `json:"html_429"`
	// DropConnections: the next N requests get their connection closed
	// without an answer.
	DropConnections int `json:"drop_connections"`
	// AuthFailure makes every request fail with 401.
	AuthFailure bool `json:"auth_failure"`
}

// Request is one recorded REST request.
type Request struct {
	Cluster string `json:"cluster"`
	Method  string `json:"method"`
	Path    string `json:"path"`
	// Endpoint is the path template without prefix, e.g.
	// "/clusters/{cluster_id}/links/{link_name}/mirrors:failover"; empty
	// when no route matched.
	Endpoint string    `json:"endpoint"`
	Code     int       `json:"code"` // 0 when the connection was dropped
	Time     time.Time `json:"time"`
	// UserAgent tells clients (e.g. controller replicas) apart.
	UserAgent string `json:"userAgent,omitempty"`
	// ClientID is the OAuth client of a token request (as claimed, also when
	// refused) or of the bearer token a REST request carried.
	ClientID string `json:"clientId,omitempty"`
	// ClientAuth is how a token request authenticated its client:
	// client_secret_basic, client_secret_post or private_key_jwt.
	ClientAuth string `json:"clientAuth,omitempty"`
	// Query is the raw query string, e.g.
	// "validate_only=true&include_partition_level_truncation_data=true".
	// The REST API takes no credentials in queries.
	Query string `json:"query,omitempty"`
	// ValidateOnly is true when the query had validate_only=true: the
	// request asked whether the call would succeed and changed nothing.
	ValidateOnly bool `json:"validateOnly,omitempty"`
	// Username is the HTTP basic user the request presented (never the
	// password): tests check whose credentials reached the cluster.
	Username string `json:"username,omitempty"`
}

// MirrorState is a snapshot of a mirror topic.
type MirrorState struct {
	Link          string `json:"link"`
	Name          string `json:"mirror_topic_name"`
	SourceTopic   string `json:"source_topic_name"`
	SourceCluster string `json:"source_cluster_id,omitempty"`
	Status        string `json:"mirror_status"`
	Partitions    int    `json:"num_partitions"`
	// Lag is the per-partition lag (all partitions lag equally).
	Lag int64 `json:"lag"`
}

// Emulator holds a set of emulated clusters that can link to each other.
type Emulator struct {
	mu       sync.Mutex
	opts     options
	clusters map[string]*Cluster
	faults   map[string]*Faults
	outage   map[string]bool
	requests []Request
	actions  []TopicAction
	rnd      *rand.Rand
	linkSeq  int
	oauth    oauthState
}

// New creates an empty emulator.
func New(opts ...Option) *Emulator {
	o := options{stopDelay: 2 * time.Second, clock: time.Now, prefix: DefaultPrefix, tokenTTL: DefaultTokenTTL}
	for _, opt := range opts {
		opt(&o)
	}
	if o.prefix == "/" {
		o.prefix = ""
	}
	return &Emulator{
		opts:     o,
		clusters: map[string]*Cluster{},
		faults:   map[string]*Faults{},
		outage:   map[string]bool{},
		rnd:      rand.New(rand.NewSource(1)),
	}
}

// Prefix returns the REST path prefix.
func (e *Emulator) Prefix() string { return e.opts.prefix }

func (e *Emulator) now() time.Time { return e.opts.clock() }

// AddCluster registers (or replaces) a cluster.
func (e *Emulator) AddCluster(cfg ClusterConfig) *Cluster {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := &Cluster{e: e, cfg: cfg, topics: map[string]*topic{}, links: map[string]*link{}}
	for name, p := range cfg.Topics {
		c.topics[name] = newTopic(name, p)
	}
	c.cfg.Topics = nil
	c.handler = c.newHandler()
	e.clusters[cfg.ID] = c
	return c
}

// Cluster returns the cluster with that ID, or nil.
func (e *Emulator) Cluster(id string) *Cluster {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.clusters[id]
}

// ClusterIDs lists the cluster IDs, sorted.
func (e *Emulator) ClusterIDs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return sortedKeys(e.clusters)
}

// SetSourceOutage makes the cluster unreachable as a link source (down=true):
// mirrors of links whose source is that cluster become SOURCE_UNAVAILABLE and
// the links UNAVAILABLE. down=false restores the previous states.
func (e *Emulator) SetSourceOutage(clusterID string, down bool) {
	// Mirrors copy what they could before the outage, nothing during it.
	e.lockSynced()
	defer e.mu.Unlock()
	if down {
		e.outage[clusterID] = true
	} else {
		delete(e.outage, clusterID)
	}
}

// SetFaults replaces the injected faults of a cluster.
func (e *Emulator) SetFaults(clusterID string, f Faults) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults[clusterID] = &f
}

// Requests returns a copy of the request log.
func (e *Emulator) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Request(nil), e.requests...)
}

// Count returns how many recorded requests had that method and endpoint
// template (method "" matches any method).
func (e *Emulator) Count(method, endpoint string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, r := range e.requests {
		if (method == "" || r.Method == method) && r.Endpoint == endpoint && !r.ValidateOnly {
			n++
		}
	}
	return n
}

// CountValidations is Count for the validate_only requests, which Count
// leaves out: they change nothing.
func (e *Emulator) CountValidations(method, endpoint string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, r := range e.requests {
		if (method == "" || r.Method == method) && r.Endpoint == endpoint && r.ValidateOnly {
			n++
		}
	}
	return n
}

// ResetRequests clears the request log.
func (e *Emulator) ResetRequests() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = nil
}

// Serve listens on addr (e.g. "127.0.0.1:0") for the cluster's REST API, with
// TLS when tlsConfig is not nil. It returns the base URL (scheme://host:port,
// without the prefix) and stops serving when ctx is done.
func (e *Emulator) Serve(ctx context.Context, clusterID, addr string, tlsConfig *tls.Config) (string, error) {
	c := e.Cluster(clusterID)
	if c == nil {
		return "", notFound("unknown cluster %s", clusterID)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	scheme := "http"
	if tlsConfig != nil {
		cfg := tlsConfig.Clone()
		// HTTP/1.1 only: connection-drop faults hijack the connection.
		cfg.NextProtos = []string{"http/1.1"}
		ln = tls.NewListener(ln, cfg)
		scheme = "https"
	}
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	return scheme + "://" + ln.Addr().String(), nil
}

// Cluster is one emulated Kafka cluster.
type Cluster struct {
	e       *Emulator
	cfg     ClusterConfig
	topics  map[string]*topic
	links   map[string]*link
	handler http.Handler
}

type topic struct {
	name       string
	partitions int
	ends       []int64 // log-end offset per partition
}

type link struct {
	name     string
	id       string
	mode     string // DESTINATION, SOURCE, BIDIRECTIONAL
	connMode string // OUTBOUND, INBOUND
	remoteID string // resolved remote cluster ("" if unresolvable)
	configs  map[string]string
	created  time.Time
	mirrors  map[string]*mirror
}

type mirror struct {
	name        string
	sourceTopic string
	partitions  int
	// status: ACTIVE, PAUSED, PENDING_STOPPED, STOPPED,
	// PENDING_SETUP_FOR_RESTORE, PENDING_RESTORE.
	status     string
	stopAt     time.Time
	stateTime  time.Time
	lagStart   time.Time
	initialLag int64
	// divergence is the end offset of every partition when the mirror
	// stopped copying (promote, failover, reverse): what it shares with its
	// source. truncate-and-restore truncates to it.
	divergence []int64
	// restoreAt is when truncate-and-restore began.
	restoreAt time.Time
}

// ID returns the cluster ID.
func (c *Cluster) ID() string { return c.cfg.ID }

// Handler serves the REST API under the prefix and the admin API under /admin/.
func (c *Cluster) Handler() http.Handler { return c.handler }

// CreateTopic creates (or resizes) a normal topic.
func (c *Cluster) CreateTopic(name string, partitions int) {
	c.e.lockSynced()
	defer c.e.mu.Unlock()
	if t := c.topics[name]; t != nil {
		t.resize(partitions)
		return
	}
	c.topics[name] = newTopic(name, partitions)
}

// DeleteTopic deletes a topic (and its mirror, if any).
func (c *Cluster) DeleteTopic(name string) bool {
	c.e.lockSynced()
	defer c.e.mu.Unlock()
	return c.deleteTopicLocked(name)
}

func (c *Cluster) deleteTopicLocked(name string) bool {
	if _, ok := c.topics[name]; !ok {
		return false
	}
	delete(c.topics, name)
	for _, l := range c.links {
		delete(l.mirrors, name)
	}
	return true
}

// Topics lists the cluster's topics (mirror topics included), sorted.
func (c *Cluster) Topics() []string {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	return sortedKeys(c.topics)
}

// Links lists the cluster's link names, sorted.
func (c *Cluster) Links() []string {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	return sortedKeys(c.links)
}

// LinkState returns the link_state of a link.
func (c *Cluster) LinkState(name string) (string, bool) {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	l := c.links[name]
	if l == nil {
		return "", false
	}
	return c.linkState(l), true
}

// LinkConfigs returns a copy of the link's configs (nil for unknown links).
func (c *Cluster) LinkConfigs(name string) map[string]string {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	l := c.links[name]
	if l == nil {
		return nil
	}
	out := make(map[string]string, len(l.configs))
	for k, v := range l.configs {
		out[k] = v
	}
	return out
}

// Mirrors returns snapshots of the mirrors of a link, sorted by name.
func (c *Cluster) Mirrors(linkName string) []MirrorState {
	now := c.e.lockSynced()
	defer c.e.mu.Unlock()
	l := c.links[linkName]
	if l == nil {
		return nil
	}
	out := []MirrorState{}
	for _, name := range sortedKeys(l.mirrors) {
		out = append(out, c.mirrorState(l, l.mirrors[name], now))
	}
	return out
}

// Mirror returns the status and per-partition lag of one mirror topic.
func (c *Cluster) Mirror(linkName, name string) (status string, lag int64, ok bool) {
	now := c.e.lockSynced()
	defer c.e.mu.Unlock()
	l := c.links[linkName]
	if l == nil || l.mirrors[name] == nil {
		return "", 0, false
	}
	s := c.mirrorState(l, l.mirrors[name], now)
	return s.Status, s.Lag, true
}

func (c *Cluster) mirrorState(l *link, m *mirror, now time.Time) MirrorState {
	return MirrorState{
		Link: l.name, Name: m.name, SourceTopic: m.sourceTopic, SourceCluster: l.remoteID,
		Status: c.mirrorStatus(l, m, now), Partitions: m.partitions, Lag: c.mirrorLag(l, m, now),
	}
}

// ---- lazily computed state (callers hold e.mu) ----

// settle materialises time-based transitions of a mirror: PENDING_STOPPED
// becomes STOPPED after the stop delay; a restore is
// PENDING_SETUP_FOR_RESTORE for one stop delay, PENDING_RESTORE for another,
// then ACTIVE.
func (e *Emulator) settle(m *mirror, now time.Time) {
	if m.status == StatusPendingStopped && !now.Before(m.stopAt) {
		m.status = StatusStopped
		m.stateTime = m.stopAt
	}
	d := e.opts.stopDelay
	if m.status == StatusPendingSetupForRestore && !now.Before(m.restoreAt.Add(d)) {
		m.status, m.stateTime = StatusPendingRestore, m.restoreAt.Add(d)
	}
	if m.status == StatusPendingRestore && !now.Before(m.restoreAt.Add(2*d)) {
		m.status, m.stateTime = StatusActive, m.restoreAt.Add(2*d)
		m.lagStart = m.stateTime
	}
}

func (e *Emulator) lag(m *mirror, now time.Time) int64 {
	if m.status == StatusStopped || m.status == StatusPendingStopped {
		return 0
	}
	if m.initialLag <= 0 {
		return 0
	}
	if e.opts.lagPerSec <= 0 {
		return m.initialLag
	}
	elapsed := now.Sub(m.lagStart)
	if elapsed < 0 {
		elapsed = 0
	}
	l := m.initialLag - int64(elapsed.Seconds()*float64(e.opts.lagPerSec))
	return max(l, 0)
}

// sourceAvailable reports whether the remote (source) cluster of a link can
// be reached.
func (c *Cluster) sourceAvailable(l *link) bool {
	return c.linkState(l) != LinkFailed && c.remoteReachable(l)
}

func (c *Cluster) remoteReachable(l *link) bool {
	if l.remoteID == "" || c.e.clusters[l.remoteID] == nil || c.e.outage[l.remoteID] {
		return false
	}
	if l.connMode == "INBOUND" && l.mode != "SOURCE" {
		rl := c.e.clusters[l.remoteID].links[l.name]
		if rl == nil || rl.mode != "SOURCE" {
			return false
		}
	}
	if l.mode == "SOURCE" && !c.destinationSideExists(l) {
		return false
	}
	return true
}

// destinationSideExists reports whether the remote cluster of a source link
// (link.mode=SOURCE) has the destination side of it: a link of the same
// name with link.mode=DESTINATION and connection.mode=INBOUND. Until then
// the source side has nothing to connect to.
func (c *Cluster) destinationSideExists(l *link) bool {
	rc := c.e.clusters[l.remoteID]
	if rc == nil {
		return false
	}
	rl := rc.links[l.name]
	return rl != nil && rl.mode == "DESTINATION" && rl.connMode == "INBOUND"
}

func (c *Cluster) linkState(l *link) string {
	if l.remoteID == "" || c.e.clusters[l.remoteID] == nil {
		if l.connMode == "INBOUND" {
			return LinkUnavailable
		}
		return LinkFailed
	}
	if strings.EqualFold(l.configs[ConfigPaused], "true") {
		return LinkPaused
	}
	if !c.remoteReachable(l) {
		return LinkUnavailable
	}
	return LinkActive
}

func (c *Cluster) mirrorStatus(l *link, m *mirror, now time.Time) string {
	c.e.settle(m, now)
	switch m.status {
	case StatusActive:
		switch c.linkState(l) {
		case LinkPaused:
			return StatusLinkPaused
		case LinkFailed:
			return StatusLinkFailed
		case LinkUnavailable:
			return StatusSourceUnavailable
		}
	case StatusPaused:
		if !c.remoteReachable(l) && c.linkState(l) != LinkFailed {
			return StatusSourceUnavailable
		}
	}
	return m.status
}

// resolveRemote finds the remote cluster of a link from explicit IDs or the
// bootstrap.servers config.
func (e *Emulator) resolveRemote(ids []string, bootstrap string) string {
	for _, id := range ids {
		if id != "" && e.clusters[id] != nil {
			return id
		}
	}
	if bootstrap == "" {
		return ""
	}
	for _, b := range strings.Split(bootstrap, ",") {
		b = strings.TrimSpace(b)
		b = strings.TrimPrefix(strings.TrimPrefix(b, "SASL_SSL://"), "PLAINTEXT://")
		for _, id := range sortedKeys(e.clusters) {
			cb := e.clusters[id].cfg.Bootstrap
			for _, x := range strings.Split(cb, ",") {
				if x = strings.TrimSpace(x); x != "" && x == b {
					return id
				}
			}
		}
	}
	return ""
}

// maxRequests bounds the request log of long-running emulators; the oldest
// entries are dropped first.
const maxRequests = 100000

func (e *Emulator) record(r Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.requests) >= maxRequests {
		e.requests = append(e.requests[:0], e.requests[len(e.requests)-maxRequests+1:]...)
	}
	e.requests = append(e.requests, r)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// isSensitive reports whether a link config must be redacted.
func isSensitive(name string) bool {
	// Under any prefix: source-initiated links carry local.* copies.
	n := strings.ToLower(name)
	return n == "sasl.jaas.config" || strings.HasSuffix(n, ".sasl.jaas.config") ||
		strings.Contains(n, "ssl.keystore.") || strings.HasSuffix(n, ".key") ||
		strings.Contains(n, "password") || strings.HasSuffix(n, ".secret")
}
