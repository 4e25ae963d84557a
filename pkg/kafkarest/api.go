package kafkarest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Path templates, relative to the API prefix. They are what Error.Endpoint
// and the Observe hook report.
const (
	pathClusters     = "/clusters"
	pathLinks        = "/clusters/{cluster_id}/links"
	pathLink         = "/clusters/{cluster_id}/links/{link_name}"
	pathLinkConfigs  = "/clusters/{cluster_id}/links/{link_name}/configs"
	pathConfigsAlter = "/clusters/{cluster_id}/links/{link_name}/configs:alter"
	pathMirrors      = "/clusters/{cluster_id}/links/{link_name}/mirrors"
	pathAllMirrors   = "/clusters/{cluster_id}/links/-/mirrors"
	pathMirror       = "/clusters/{cluster_id}/links/{link_name}/mirrors/{mirror_topic_name}"
	pathTopic        = "/clusters/{cluster_id}/topics/{topic_name}"
)

// Cluster is a Kafka cluster served by the endpoint.
type Cluster struct {
	ClusterID string
}

// Link is a cluster link (ListLinksResponseData).
type Link struct {
	LinkName             string
	ClusterLinkID        string
	SourceClusterID      string
	DestinationClusterID string
	RemoteClusterID      string
	LinkState            string // ACTIVE, FAILED, UNAVAILABLE, PAUSED, UNKNOWN
	LinkError            string // NO_ERROR, AUTHENTICATION_ERROR, ...
	LinkErrorMessage     string
	TopicNames           []string
	Tasks                []LinkTask
}

// LinkTask is the state of one link task (LinkTask).
type LinkTask struct {
	TaskName string
	State    string // ACTIVE, IN_ERROR, NOT_CONFIGURED, LINK_FAILED, ...
	Errors   []TaskError
}

// TaskError is a LinkTaskError. The spec types error_code as a string enum
// (e.g. "AUTHENTICATION_ERROR"); numeric codes are rendered in decimal.
type TaskError struct {
	ErrorCode    string
	ErrorMessage string
}

// LinkConfig is one link config (ListLinkConfigsResponseData).
type LinkConfig struct {
	Name      string
	Value     string
	Sensitive bool
	ReadOnly  bool
	Default   bool
	Source    string
}

// CreateLinkRequest is the body of a create-link call (CreateLinkRequestData).
type CreateLinkRequest struct {
	SourceClusterID      string
	DestinationClusterID string
	RemoteClusterID      string
	ClusterLinkID        string
	Configs              map[string]string
}

// CreateLinkOptions are the query flags of a create-link call.
type CreateLinkOptions struct {
	ValidateOnly bool // validate_only: check the request, create nothing
	ValidateLink bool // validate_link: check the remote cluster is reachable
}

// MirrorTopic is a mirror topic (ListMirrorTopicsResponseData).
type MirrorTopic struct {
	LinkName              string
	MirrorTopicName       string
	SourceTopicName       string
	NumPartitions         int
	MirrorLags            []MirrorLag
	MirrorStatus          string // ACTIVE, PAUSED, STOPPED, PENDING_STOPPED, FAILED, ...
	MirrorTopicError      string
	StateTimeMs           int64
	StateTransitionErrors []TaskError
}

// MirrorLag is the lag of one partition.
type MirrorLag struct {
	Partition             int
	Lag                   int64
	LastSourceFetchOffset int64
}

// MaxLag returns the largest partition lag, 0 without partitions.
func (m MirrorTopic) MaxLag() int64 {
	var most int64
	for _, l := range m.MirrorLags {
		most = max(most, l.Lag)
	}
	return most
}

// CreateMirrorRequest is the body of a create-mirror call
// (CreateMirrorTopicRequestData). Zero fields are omitted.
type CreateMirrorRequest struct {
	SourceTopicName   string
	MirrorTopicName   string
	ReplicationFactor int32
	Configs           map[string]string
}

// MirrorAction is a mirror state change, the suffix of .../mirrors:{action}.
type MirrorAction string

// Mirror state changes.
const (
	MirrorPause              MirrorAction = "pause"
	MirrorResume             MirrorAction = "resume"
	MirrorPromote            MirrorAction = "promote"
	MirrorFailover           MirrorAction = "failover"
	MirrorReverseAndStart    MirrorAction = "reverse-and-start-mirror"
	MirrorReverseAndPause    MirrorAction = "reverse-and-pause-mirror"
	MirrorTruncateAndRestore MirrorAction = "truncate-and-restore"
)

func (a MirrorAction) valid() bool {
	if a == "" {
		return false
	}
	for _, r := range a {
		if (r < 'a' || r > 'z') && r != '-' {
			return false
		}
	}
	return true
}

// AlterMirrorResult is the per-topic outcome of AlterMirrors.
type AlterMirrorResult struct {
	MirrorTopicName string
	ErrorCode       int
	ErrorMessage    string
	// MessagesTruncated is what truncate-and-restore deletes (or would,
	// with validate_only), nil when not reported.
	MessagesTruncated *int64
}

// Err returns nil when the topic succeeded, else an *Error whose StatusCode
// is ErrorCode when it looks like an HTTP status, the status a five-digit
// Confluent code starts with (40403 is a 404), else 400.
func (r AlterMirrorResult) Err() error {
	if r.ErrorCode == 0 && r.ErrorMessage == "" {
		return nil
	}
	status := http.StatusBadRequest
	switch {
	case r.ErrorCode >= 100 && r.ErrorCode < 600:
		status = r.ErrorCode
	case r.ErrorCode >= 10000 && r.ErrorCode < 60000:
		status = r.ErrorCode / 100
	}
	return &Error{
		StatusCode: status,
		ErrorCode:  r.ErrorCode,
		Message:    r.ErrorMessage,
		Endpoint:   fmt.Sprintf("mirror topic %q", r.MirrorTopicName),
	}
}

// ---- wire types -----------------------------------------------------------

type configData struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func sortedConfigs(m map[string]string) []configData {
	if len(m) == 0 {
		return nil
	}
	out := make([]configData, 0, len(m))
	for k, v := range m {
		out = append(out, configData{Name: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// flexString decodes a JSON string, number or null.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*f = flexString(n.String())
		return nil
	}
	*f = ""
	return nil
}

// flexInt decodes a JSON number, numeric string or null.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	*f = flexInt(parseCode(b))
	return nil
}

type wireTaskError struct {
	ErrorCode    flexString `json:"error_code"`
	ErrorMessage string     `json:"error_message"`
}

func taskErrors(in []wireTaskError) []TaskError {
	if len(in) == 0 {
		return nil
	}
	out := make([]TaskError, len(in))
	for i, e := range in {
		out[i] = TaskError{ErrorCode: string(e.ErrorCode), ErrorMessage: e.ErrorMessage}
	}
	return out
}

type wireLink struct {
	LinkName             string   `json:"link_name"`
	LinkID               string   `json:"link_id"`
	ClusterLinkID        string   `json:"cluster_link_id"`
	SourceClusterID      string   `json:"source_cluster_id"`
	DestinationClusterID string   `json:"destination_cluster_id"`
	RemoteClusterID      string   `json:"remote_cluster_id"`
	LinkState            string   `json:"link_state"`
	LinkError            string   `json:"link_error"`
	LinkErrorMessage     string   `json:"link_error_message"`
	TopicNames           []string `json:"topic_names"`
	Tasks                []struct {
		TaskName string          `json:"task_name"`
		State    string          `json:"state"`
		Errors   []wireTaskError `json:"errors"`
	} `json:"tasks"`
}

func (w wireLink) link() Link {
	l := Link{
		LinkName:             w.LinkName,
		ClusterLinkID:        w.ClusterLinkID,
		SourceClusterID:      w.SourceClusterID,
		DestinationClusterID: w.DestinationClusterID,
		RemoteClusterID:      w.RemoteClusterID,
		LinkState:            w.LinkState,
		LinkError:            w.LinkError,
		LinkErrorMessage:     w.LinkErrorMessage,
		TopicNames:           w.TopicNames,
	}
	if l.ClusterLinkID == "" {
		l.ClusterLinkID = w.LinkID // deprecated field, older servers
	}
	for _, t := range w.Tasks {
		l.Tasks = append(l.Tasks, LinkTask{TaskName: t.TaskName, State: t.State, Errors: taskErrors(t.Errors)})
	}
	return l
}

type wireMirrorLag struct {
	Partition             int   `json:"partition"`
	Lag                   int64 `json:"lag"`
	LastSourceFetchOffset int64 `json:"last_source_fetch_offset"`
}

type wireMirror struct {
	LinkName              string          `json:"link_name"`
	MirrorTopicName       string          `json:"mirror_topic_name"`
	SourceTopicName       string          `json:"source_topic_name"`
	NumPartitions         int             `json:"num_partitions"`
	MirrorLags            []wireMirrorLag `json:"mirror_lags"`
	MirrorStatus          string          `json:"mirror_status"`
	MirrorTopicError      string          `json:"mirror_topic_error"`
	StateTimeMs           int64           `json:"state_time_ms"`
	StateTransitionErrors []wireTaskError `json:"mirror_state_transition_errors"`
}

func (w wireMirror) mirror() MirrorTopic {
	m := MirrorTopic{
		LinkName:              w.LinkName,
		MirrorTopicName:       w.MirrorTopicName,
		SourceTopicName:       w.SourceTopicName,
		NumPartitions:         w.NumPartitions,
		MirrorStatus:          w.MirrorStatus,
		MirrorTopicError:      w.MirrorTopicError,
		StateTimeMs:           w.StateTimeMs,
		StateTransitionErrors: taskErrors(w.StateTransitionErrors),
	}
	for _, l := range w.MirrorLags {
		m.MirrorLags = append(m.MirrorLags, MirrorLag(l))
	}
	return m
}

func mirrors(in []wireMirror) []MirrorTopic {
	out := make([]MirrorTopic, len(in))
	for i, w := range in {
		out[i] = w.mirror()
	}
	return out
}

func boolQuery(q url.Values, name string, v bool) {
	if v {
		q.Set(name, strconv.FormatBool(v))
	}
}

// ---- calls ----------------------------------------------------------------

// ListClusters lists the Kafka clusters of the endpoint.
func (c *Client) ListClusters(ctx context.Context) ([]Cluster, error) {
	data, err := list[struct {
		ClusterID string `json:"cluster_id"`
	}](ctx, c, request{method: http.MethodGet, tmpl: pathClusters})
	if err != nil {
		return nil, err
	}
	out := make([]Cluster, len(data))
	for i, d := range data {
		out[i] = Cluster{ClusterID: d.ClusterID}
	}
	return out, nil
}

// ClusterID returns the id of the first cluster of the endpoint.
func (c *Client) ClusterID(ctx context.Context) (string, error) {
	clusters, err := c.ListClusters(ctx)
	if err != nil {
		return "", err
	}
	for _, cl := range clusters {
		if cl.ClusterID != "" {
			return cl.ClusterID, nil
		}
	}
	return "", errors.New("kafkarest: GET /clusters: the endpoint serves no Kafka cluster")
}

// ListLinks lists the cluster links of a cluster.
func (c *Client) ListLinks(ctx context.Context, clusterID string) ([]Link, error) {
	data, err := list[wireLink](ctx, c, request{method: http.MethodGet, tmpl: pathLinks, args: []string{clusterID}})
	if err != nil {
		return nil, err
	}
	out := make([]Link, len(data))
	for i, w := range data {
		out[i] = w.link()
	}
	return out, nil
}

// GetLink describes one cluster link, including its tasks.
func (c *Client) GetLink(ctx context.Context, clusterID, link string) (*Link, error) {
	var w wireLink
	err := c.do(ctx, request{
		method: http.MethodGet, tmpl: pathLink, args: []string{clusterID, link},
		query: url.Values{"include_tasks": {"true"}}, out: &w,
	})
	if err != nil {
		return nil, err
	}
	l := w.link()
	return &l, nil
}

// CreateLink creates a cluster link. Any 2xx answer is success (the spec
// says 204, servers answer 201). Callers should treat IsAlreadyExists as
// success: the call is retried on transient failures.
func (c *Client) CreateLink(ctx context.Context, clusterID, link string, req CreateLinkRequest, opts CreateLinkOptions) error {
	if link == "" {
		return errors.New("kafkarest: CreateLink: empty link name")
	}
	body := struct {
		SourceClusterID      string       `json:"source_cluster_id,omitempty"`
		DestinationClusterID string       `json:"destination_cluster_id,omitempty"`
		RemoteClusterID      string       `json:"remote_cluster_id,omitempty"`
		ClusterLinkID        string       `json:"cluster_link_id,omitempty"`
		Configs              []configData `json:"configs,omitempty"`
	}{req.SourceClusterID, req.DestinationClusterID, req.RemoteClusterID, req.ClusterLinkID, sortedConfigs(req.Configs)}
	q := url.Values{"link_name": {link}}
	boolQuery(q, "validate_only", opts.ValidateOnly)
	boolQuery(q, "validate_link", opts.ValidateLink)
	return c.do(ctx, request{method: http.MethodPost, tmpl: pathLinks, args: []string{clusterID}, query: q, body: body})
}

// DeleteLink deletes a cluster link. force deletes it even when it still
// has mirror topics.
func (c *Client) DeleteLink(ctx context.Context, clusterID, link string, force, validateOnly bool) error {
	q := url.Values{}
	boolQuery(q, "force", force)
	boolQuery(q, "validate_only", validateOnly)
	return c.do(ctx, request{method: http.MethodDelete, tmpl: pathLink, args: []string{clusterID, link}, query: q})
}

// ListLinkConfigs lists the configs of a cluster link.
func (c *Client) ListLinkConfigs(ctx context.Context, clusterID, link string) ([]LinkConfig, error) {
	data, err := list[struct {
		Name        string     `json:"name"`
		Value       *string    `json:"value"`
		IsDefault   bool       `json:"is_default"`
		IsReadOnly  bool       `json:"is_read_only"`
		IsSensitive bool       `json:"is_sensitive"`
		Source      flexString `json:"source"`
	}](ctx, c, request{method: http.MethodGet, tmpl: pathLinkConfigs, args: []string{clusterID, link}})
	if err != nil {
		return nil, err
	}
	out := make([]LinkConfig, len(data))
	for i, d := range data {
		out[i] = LinkConfig{Name: d.Name, Sensitive: d.IsSensitive, ReadOnly: d.IsReadOnly, Default: d.IsDefault, Source: string(d.Source)}
		if d.Value != nil {
			out[i].Value = *d.Value
		}
	}
	return out, nil
}

// AlterLinkConfigs sets and resets (DELETE operation) link configs in one
// batch call: PUT .../configs:alter, as the spec defines it. Entries are
// sorted by name; a name both set and unset is only set. Nothing is sent
// when both are empty.
func (c *Client) AlterLinkConfigs(ctx context.Context, clusterID, link string, set map[string]string, unset []string) error {
	type op struct {
		Name      string  `json:"name"`
		Value     *string `json:"value,omitempty"`
		Operation string  `json:"operation,omitempty"`
	}
	var data []op
	for _, cfg := range sortedConfigs(set) {
		v := cfg.Value
		data = append(data, op{Name: cfg.Name, Value: &v})
	}
	del := append([]string(nil), unset...)
	sort.Strings(del)
	for i, name := range del {
		if name == "" || (i > 0 && del[i-1] == name) {
			continue
		}
		if _, ok := set[name]; ok {
			continue
		}
		data = append(data, op{Name: name, Operation: "DELETE"})
	}
	if len(data) == 0 {
		return nil
	}
	body := struct {
		Data []op `json:"data"`
	}{data}
	return c.do(ctx, request{method: http.MethodPut, tmpl: pathConfigsAlter, args: []string{clusterID, link}, body: body})
}

// ListMirrors lists the mirror topics of a link, with their state
// transition errors.
func (c *Client) ListMirrors(ctx context.Context, clusterID, link string) ([]MirrorTopic, error) {
	data, err := list[wireMirror](ctx, c, request{
		method: http.MethodGet, tmpl: pathMirrors, args: []string{clusterID, link},
		query: url.Values{"include_state_transition_errors": {"true"}},
	})
	if err != nil {
		return nil, err
	}
	return mirrors(data), nil
}

// ListAllMirrors lists the mirror topics of all links of a cluster.
func (c *Client) ListAllMirrors(ctx context.Context, clusterID string) ([]MirrorTopic, error) {
	data, err := list[wireMirror](ctx, c, request{
		method: http.MethodGet, tmpl: pathAllMirrors, args: []string{clusterID},
		query: url.Values{"include_state_transition_errors": {"true"}},
	})
	if err != nil {
		return nil, err
	}
	return mirrors(data), nil
}

// GetMirror describes one mirror topic.
func (c *Client) GetMirror(ctx context.Context, clusterID, link, mirror string) (*MirrorTopic, error) {
	var w wireMirror
	err := c.do(ctx, request{
		method: http.MethodGet, tmpl: pathMirror, args: []string{clusterID, link, mirror},
		query: url.Values{"include_state_transition_errors": {"true"}}, out: &w,
	})
	if err != nil {
		return nil, err
	}
	m := w.mirror()
	return &m, nil
}

// CreateMirror creates a mirror topic on a link. Callers should treat
// IsAlreadyExists as success: the call is retried on transient failures.
func (c *Client) CreateMirror(ctx context.Context, clusterID, link string, req CreateMirrorRequest) error {
	if req.SourceTopicName == "" {
		return errors.New("kafkarest: CreateMirror: empty source topic name")
	}
	body := struct {
		SourceTopicName   string       `json:"source_topic_name"`
		MirrorTopicName   string       `json:"mirror_topic_name,omitempty"`
		ReplicationFactor int32        `json:"replication_factor,omitempty"`
		Configs           []configData `json:"configs,omitempty"`
	}{req.SourceTopicName, req.MirrorTopicName, req.ReplicationFactor, sortedConfigs(req.Configs)}
	return c.do(ctx, request{method: http.MethodPost, tmpl: pathMirrors, args: []string{clusterID, link}, body: body})
}

// AlterMirrors applies a state change to mirror topics (POST
// .../mirrors:{action}). A nil error means the call succeeded; each topic's
// own outcome is in the results (see AlterMirrorResult.Err). No call is made
// for an empty name list.
func (c *Client) AlterMirrors(ctx context.Context, clusterID, link string, action MirrorAction, names []string, validateOnly bool) ([]AlterMirrorResult, error) {
	if !action.valid() {
		return nil, fmt.Errorf("kafkarest: AlterMirrors: invalid action %q", action)
	}
	if len(names) == 0 {
		return nil, nil
	}
	q := url.Values{}
	boolQuery(q, "validate_only", validateOnly)
	body := struct {
		MirrorTopicNames []string `json:"mirror_topic_names"`
	}{names}
	var out collection[struct {
		MirrorTopicName   string     `json:"mirror_topic_name"`
		ErrorCode         flexInt    `json:"error_code"`
		ErrorMessage      flexString `json:"error_message"`
		MessagesTruncated *int64     `json:"messages_truncated"`
	}]
	err := c.do(ctx, request{
		method: http.MethodPost, tmpl: pathMirrors + ":" + string(action), args: []string{clusterID, link},
		query: q, body: body, out: &out,
	})
	if err != nil {
		return nil, err
	}
	res := make([]AlterMirrorResult, len(out.Data))
	for i, d := range out.Data {
		res[i] = AlterMirrorResult{MirrorTopicName: d.MirrorTopicName, ErrorCode: int(d.ErrorCode), ErrorMessage: strings.TrimSpace(string(d.ErrorMessage)), MessagesTruncated: d.MessagesTruncated}
	}
	return res, nil
}

// DeleteTopic deletes a topic (for example a promoted or failed mirror).
func (c *Client) DeleteTopic(ctx context.Context, clusterID, topic string) error {
	return c.do(ctx, request{method: http.MethodDelete, tmpl: pathTopic, args: []string{clusterID, topic}})
}
