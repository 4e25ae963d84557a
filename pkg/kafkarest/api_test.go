package kafkarest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	prefix    = "/kafka/v3"
	clusterID = "lkc-abc"
)

// Canned bodies modelled on the spec's examples.
const (
	clustersBody = `{"kind":"KafkaClusterList","metadata":{"self":"x","next":null},"data":[{"kind":"KafkaCluster","cluster_id":"lkc-abc"}]}`

	listLinksBody = `{
  "kind": "KafkaLinkDataList",
  "metadata": {"self": "https://pkc/kafka/v3/clusters/lkc-abc/links", "next": null},
  "data": [
    {"kind": "KafkaLinkData", "metadata": {"self": "x", "resource_name": null},
     "source_cluster_id": "src-cluster-id", "link_name": "my-new-link-1",
     "link_id": "7840644d-f7d8-4844-a577-a10ef3df31df", "cluster_link_id": "eEBkTffYSESld6EO898x3w",
     "topic_names": ["topic-sb-1", "topic-sb-2"], "link_state": "ACTIVE"},
    {"kind": "KafkaLinkData", "metadata": {"self": "x", "resource_name": null},
     "remote_cluster_id": "src-cluster-id", "link_name": "my-new-link-2",
     "link_id": "f749116e-f847-4bd2-b1f6-5c4e518a0678",
     "topic_names": [], "link_state": "UNAVAILABLE", "link_error": "AUTHENTICATION_ERROR",
     "link_error_message": "Please check your api key and secret"}
  ]
}`

	getLinkBody = `{
  "kind": "KafkaLinkData", "metadata": {"self": "x", "resource_name": null},
  "source_cluster_id": "src-cluster-id", "destination_cluster_id": null,
  "link_name": "my-new-link-1", "cluster_link_id": "eEBkTffYSESld6EO898x3w",
  "topic_names": ["topic-db-1"], "link_state": "ACTIVE", "link_error": "NO_ERROR", "link_error_message": null,
  "tasks": [
    {"task_name": "ConsumerOffsetSync", "state": "ACTIVE", "errors": []},
    {"task_name": "AclSync", "state": "IN_ERROR", "errors": [{"error_code": "AUTHORIZATION_ERROR", "error_message": "denied"}, {"error_code": 7, "error_message": "numeric"}]}
  ]
}`

	linkConfigsBody = `{
  "kind": "KafkaLinkConfigDataList", "metadata": {"self": "x", "next": null},
  "data": [
    {"kind": "KafkaLinkConfigData", "cluster_id": "lkc-abc", "name": "consumer.offset.sync.ms", "value": "3825940",
     "is_default": false, "is_read_only": false, "is_sensitive": false, "source": "DYNAMIC_CLUSTER_LINK_CONFIG", "synonyms": ["cosm"], "link_name": "link-db-1"},
    {"kind": "KafkaLinkConfigData", "cluster_id": "lkc-abc", "name": "sasl.jaas.config", "value": null,
     "is_default": true, "is_read_only": true, "is_sensitive": true, "source": "DEFAULT_CONFIG", "synonyms": [], "link_name": "link-db-1"}
  ]
}`

	mirrorsBody = `{
  "kind": "KafkaMirrorDataList", "metadata": {"self": "x", "next": null},
  "data": [
    {"kind": "KafkaMirrorData", "link_name": "link-sb-1", "mirror_topic_name": "topic-1", "source_topic_name": "topic-1",
     "num_partitions": 3, "mirror_lags": [
       {"partition": 0, "lag": 0, "last_source_fetch_offset": 0},
       {"partition": 1, "lag": 10000, "last_source_fetch_offset": 1000},
       {"partition": 2, "lag": 40000, "last_source_fetch_offset": 12030}],
     "mirror_status": "ACTIVE", "state_time_ms": 1612550939300},
    {"kind": "KafkaMirrorData", "link_name": "link-sb-1", "mirror_topic_name": "topic-2", "source_topic_name": "topic-2",
     "num_partitions": 1, "mirror_lags": [], "mirror_status": "FAILED", "mirror_topic_error": "SOURCE_TOPIC_ID_CHANGED",
     "state_time_ms": 1612551353640,
     "mirror_state_transition_errors": [{"error_code": "UNKNOWN_TOPIC_OR_PARTITION_ERROR", "error_message": "gone"}]}
  ]
}`

	getMirrorBody = `{"kind": "KafkaMirrorData", "link_name": "link-sb-1", "mirror_topic_name": "topic-1", "source_topic_name": "topic-1",
  "num_partitions": 1, "mirror_lags": [{"partition": 0, "lag": 5, "last_source_fetch_offset": 99}],
  "mirror_status": "PAUSED", "state_time_ms": 1612550939300}`

	alterMirrorsBody = `{
  "kind": "KafkaPromoteMirror", "metadata": {"self": "x", "resource_name": "crn:///kafka=cluster-1"},
  "data": [
    {"kind": "AlterMirrorsData", "mirror_topic_name": "topic-sb", "error_code": null, "error_message": null,
     "mirror_lags": [{"partition": 0, "lag": 0, "last_source_fetch_offset": 0}], "messages_truncated": null, "partition_level_truncation_data": []},
    {"kind": "AlterMirrorsData", "mirror_topic_name": "topic-2", "error_code": 400,
     "error_message": "Topic 'topic-2' has already stopped its mirror from 'my-new-link-1'",
     "mirror_lags": [], "messages_truncated": null, "partition_level_truncation_data": []},
    {"kind": "AlterMirrorsData", "mirror_topic_name": "topic-3", "error_code": 40403,
     "error_message": "This server does not host this topic-partition."},
    {"kind": "AlterMirrorsData", "mirror_topic_name": "topic-4", "error_code": "7", "error_message": ""}
  ]
}`
)

func TestReadCalls(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{
		"GET " + prefix + "/clusters":                                            reply(200, clustersBody),
		"GET " + prefix + "/clusters/lkc-abc/links":                              reply(200, listLinksBody),
		"GET " + prefix + "/clusters/lkc-abc/links/my-new-link-1":                reply(200, getLinkBody),
		"GET " + prefix + "/clusters/lkc-abc/links/link-db-1/configs":            reply(200, linkConfigsBody),
		"GET " + prefix + "/clusters/lkc-abc/links/link-sb-1/mirrors":            reply(200, mirrorsBody),
		"GET " + prefix + "/clusters/lkc-abc/links/-/mirrors":                    reply(200, mirrorsBody),
		"GET " + prefix + "/clusters/lkc-abc/links/link-sb-1/mirrors/topic-1":    reply(200, getMirrorBody),
		"GET " + prefix + "/clusters/empty/links":                                reply(200, `{"data":[]}`),
		"GET " + prefix + "/clusters/lkc-abc/links/link-sb-1/mirrors/bad%20json": reply(200, `{"mirror_status": 5`),
	})
	c, _ := newClient(t, testConfig(f.URL+prefix))
	ctx := context.Background()

	id, err := c.ClusterID(ctx)
	if err != nil || id != clusterID {
		t.Fatalf("ClusterID = %q, %v", id, err)
	}

	links, err := c.ListLinks(ctx, clusterID)
	if err != nil {
		t.Fatal(err)
	}
	wantLinks := []Link{
		{LinkName: "my-new-link-1", ClusterLinkID: "eEBkTffYSESld6EO898x3w", SourceClusterID: "src-cluster-id", LinkState: "ACTIVE", TopicNames: []string{"topic-sb-1", "topic-sb-2"}},
		{LinkName: "my-new-link-2", ClusterLinkID: "f749116e-f847-4bd2-b1f6-5c4e518a0678", RemoteClusterID: "src-cluster-id", LinkState: "UNAVAILABLE", LinkError: "AUTHENTICATION_ERROR", LinkErrorMessage: "Please check your api key and secret", TopicNames: []string{}},
	}
	if !reflect.DeepEqual(links, wantLinks) {
		t.Errorf("ListLinks =\n%+v\nwant\n%+v", links, wantLinks)
	}
	if empty, err := c.ListLinks(ctx, "empty"); err != nil || len(empty) != 0 || empty == nil {
		t.Errorf("ListLinks(empty) = %#v, %v; want empty non-nil slice", empty, err)
	}

	link, err := c.GetLink(ctx, clusterID, "my-new-link-1")
	if err != nil {
		t.Fatal(err)
	}
	wantLink := &Link{
		LinkName: "my-new-link-1", ClusterLinkID: "eEBkTffYSESld6EO898x3w", SourceClusterID: "src-cluster-id",
		LinkState: "ACTIVE", LinkError: "NO_ERROR", TopicNames: []string{"topic-db-1"},
		Tasks: []LinkTask{
			{TaskName: "ConsumerOffsetSync", State: "ACTIVE"},
			{TaskName: "AclSync", State: "IN_ERROR", Errors: []TaskError{{ErrorCode: "AUTHORIZATION_ERROR", ErrorMessage: "denied"}, {ErrorCode: "7", ErrorMessage: "numeric"}}},
		},
	}
	if !reflect.DeepEqual(link, wantLink) {
		t.Errorf("GetLink =\n%+v\nwant\n%+v", link, wantLink)
	}

	cfgs, err := c.ListLinkConfigs(ctx, clusterID, "link-db-1")
	if err != nil {
		t.Fatal(err)
	}
	wantCfgs := []LinkConfig{
		{Name: "consumer.offset.sync.ms", Value: "3825940", Source: "DYNAMIC_CLUSTER_LINK_CONFIG"},
		{Name: "sasl.jaas.config", Sensitive: true, ReadOnly: true, Default: true, Source: "DEFAULT_CONFIG"},
	}
	if !reflect.DeepEqual(cfgs, wantCfgs) {
		t.Errorf("ListLinkConfigs = %+v, want %+v", cfgs, wantCfgs)
	}

	wantMirrors := []MirrorTopic{
		{LinkName: "link-sb-1", MirrorTopicName: "topic-1", SourceTopicName: "topic-1", NumPartitions: 3,
			MirrorLags:   []MirrorLag{{0, 0, 0}, {1, 10000, 1000}, {2, 40000, 12030}},
			MirrorStatus: "ACTIVE", StateTimeMs: 1612550939300},
		{LinkName: "link-sb-1", MirrorTopicName: "topic-2", SourceTopicName: "topic-2", NumPartitions: 1,
			MirrorStatus: "FAILED", MirrorTopicError: "SOURCE_TOPIC_ID_CHANGED", StateTimeMs: 1612551353640,
			StateTransitionErrors: []TaskError{{ErrorCode: "UNKNOWN_TOPIC_OR_PARTITION_ERROR", ErrorMessage: "gone"}}},
	}
	ms, err := c.ListMirrors(ctx, clusterID, "link-sb-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ms, wantMirrors) {
		t.Errorf("ListMirrors =\n%+v\nwant\n%+v", ms, wantMirrors)
	}
	if ms[0].MaxLag() != 40000 || ms[1].MaxLag() != 0 {
		t.Errorf("MaxLag = %d, %d", ms[0].MaxLag(), ms[1].MaxLag())
	}
	all, err := c.ListAllMirrors(ctx, clusterID)
	if err != nil || !reflect.DeepEqual(all, wantMirrors) {
		t.Errorf("ListAllMirrors = %+v, %v", all, err)
	}

	m, err := c.GetMirror(ctx, clusterID, "link-sb-1", "topic-1")
	if err != nil {
		t.Fatal(err)
	}
	wantM := &MirrorTopic{LinkName: "link-sb-1", MirrorTopicName: "topic-1", SourceTopicName: "topic-1", NumPartitions: 1,
		MirrorLags: []MirrorLag{{Partition: 0, Lag: 5, LastSourceFetchOffset: 99}}, MirrorStatus: "PAUSED", StateTimeMs: 1612550939300}
	if !reflect.DeepEqual(m, wantM) {
		t.Errorf("GetMirror = %+v, want %+v", m, wantM)
	}
	if _, err := c.GetMirror(ctx, clusterID, "link-sb-1", "bad json"); err == nil || !strings.Contains(err.Error(), "decode") {
		t.Errorf("GetMirror(bad json) err = %v, want a decode error", err)
	}

	// Query strings.
	for _, r := range f.requests() {
		switch r.Path {
		case prefix + "/clusters/lkc-abc/links/my-new-link-1":
			if r.Query != "include_tasks=true" {
				t.Errorf("GetLink query = %q", r.Query)
			}
		case prefix + "/clusters/lkc-abc/links/link-sb-1/mirrors", prefix + "/clusters/lkc-abc/links/-/mirrors", prefix + "/clusters/lkc-abc/links/link-sb-1/mirrors/topic-1":
			if r.Query != "include_state_transition_errors=true" {
				t.Errorf("%s query = %q", r.Path, r.Query)
			}
		}
		if r.Header.Get("Accept") != "application/json" || r.Header.Get("User-Agent") != defaultUserAgent {
			t.Errorf("headers = %v", r.Header)
		}
		if r.Header.Get("Content-Type") != "" {
			t.Errorf("GET with Content-Type %q", r.Header.Get("Content-Type"))
		}
	}
}

func TestClusterIDNone(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{"GET /v3/clusters": reply(200, `{"data":[]}`)})
	c, _ := newClient(t, testConfig(f.URL+"/v3"))
	if _, err := c.ClusterID(context.Background()); err == nil || !strings.Contains(err.Error(), "no Kafka cluster") {
		t.Fatalf("err = %v", err)
	}
}

func TestPagination(t *testing.T) {
	var srvURL string
	f := newFake(t, map[string]http.HandlerFunc{
		"GET /v3/clusters/c/links": func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Query().Get("page_token") {
			case "":
				writeJSON(w, 200, `{"metadata":{"next":"`+srvURL+`/v3/clusters/c/links?page_token=2"},"data":[{"link_name":"a"}]}`)
			case "2":
				// relative next link, then a loop back to page 2
				writeJSON(w, 200, `{"metadata":{"next":"/v3/clusters/c/links?page_token=3"},"data":[{"link_name":"b"}]}`)
			case "3":
				writeJSON(w, 200, `{"metadata":{"next":"`+srvURL+`/v3/clusters/c/links?page_token=2"},"data":[{"link_name":"c"}]}`)
			}
		},
		"GET /v3/clusters/foreign/links": reply(200, `{"metadata":{"next":"https://evil.example.com/v3/clusters/c/links"},"data":[{"link_name":"x"}]}`),
	})
	srvURL = f.URL
	c, _ := newClient(t, testConfig(f.URL+"/v3"))
	links, err := c.ListLinks(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.LinkName)
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Errorf("links = %v, want a,b,c", names)
	}
	links, err = c.ListLinks(context.Background(), "foreign")
	if err != nil || len(links) != 1 {
		t.Errorf("foreign next: %v, %v", links, err)
	}
	if n := f.count("GET", "/v3/clusters/foreign/links"); n != 1 {
		t.Errorf("foreign: %d requests", n)
	}
}

func TestRequestBodies(t *testing.T) {
	base := prefix + "/clusters/lkc-abc"
	tests := []struct {
		name      string
		call      func(c *Client) error
		method    string
		path      string
		query     string
		body      string // exact JSON; "" means no body
		noRequest bool
	}{
		{
			name: "create link",
			call: func(c *Client) error {
				return c.CreateLink(context.Background(), clusterID, "my-link", CreateLinkRequest{
					SourceClusterID: "src-1",
					Configs:         map[string]string{"security.protocol": "SASL_SSL", "bootstrap.servers": "src:9092", "acl.sync.enable": "false"},
				}, CreateLinkOptions{})
			},
			method: "POST", path: base + "/links", query: "link_name=my-link",
			body: `{"source_cluster_id":"src-1","configs":[{"name":"acl.sync.enable","value":"false"},{"name":"bootstrap.servers","value":"src:9092"},{"name":"security.protocol","value":"SASL_SSL"}]}`,
		},
		{
			name: "create bidirectional link validate",
			call: func(c *Client) error {
				return c.CreateLink(context.Background(), clusterID, "east west", CreateLinkRequest{
					RemoteClusterID: "cluster-east", ClusterLinkID: "eEBk", DestinationClusterID: "d",
				}, CreateLinkOptions{ValidateOnly: true, ValidateLink: true})
			},
			method: "POST", path: base + "/links", query: "link_name=east+west&validate_link=true&validate_only=true",
			body: `{"destination_cluster_id":"d","remote_cluster_id":"cluster-east","cluster_link_id":"eEBk"}`,
		},
		{
			name: "create mirror",
			call: func(c *Client) error {
				return c.CreateMirror(context.Background(), clusterID, "my-link", CreateMirrorRequest{
					SourceTopicName: "topic-1", MirrorTopicName: "link1_topic-1", ReplicationFactor: 3,
					Configs: map[string]string{"unclean.leader.election.enable": "true"},
				})
			},
			method: "POST", path: base + "/links/my-link/mirrors",
			body: `{"source_topic_name":"topic-1","mirror_topic_name":"link1_topic-1","replication_factor":3,"configs":[{"name":"unclean.leader.election.enable","value":"true"}]}`,
		},
		{
			name: "create mirror minimal",
			call: func(c *Client) error {
				return c.CreateMirror(context.Background(), clusterID, "my-link", CreateMirrorRequest{SourceTopicName: "t"})
			},
			method: "POST", path: base + "/links/my-link/mirrors", body: `{"source_topic_name":"t"}`,
		},
		{
			name: "alter link configs",
			call: func(c *Client) error {
				return c.AlterLinkConfigs(context.Background(), clusterID, "my-link",
					map[string]string{"consumer.offset.sync.ms": "30000", "acl.sync.enable": "", "z": "1"},
					[]string{"topic.config.sync.include", "cleanup.policy", "z", "cleanup.policy", ""})
			},
			method: "PUT", path: base + "/links/my-link/configs:alter",
			body: `{"data":[{"name":"acl.sync.enable","value":""},{"name":"consumer.offset.sync.ms","value":"30000"},{"name":"z","value":"1"},{"name":"cleanup.policy","operation":"DELETE"},{"name":"topic.config.sync.include","operation":"DELETE"}]}`,
		},
		{
			name: "alter link configs nothing to do",
			call: func(c *Client) error {
				return c.AlterLinkConfigs(context.Background(), clusterID, "my-link", nil, nil)
			},
			noRequest: true,
		},
		{
			name: "delete link",
			call: func(c *Client) error {
				return c.DeleteLink(context.Background(), clusterID, "my-link", true, true)
			},
			method: "DELETE", path: base + "/links/my-link", query: "force=true&validate_only=true",
		},
		{
			name: "delete link plain",
			call: func(c *Client) error {
				return c.DeleteLink(context.Background(), clusterID, "my-link", false, false)
			},
			method: "DELETE", path: base + "/links/my-link",
		},
		{
			name: "delete topic escaped",
			call: func(c *Client) error {
				return c.DeleteTopic(context.Background(), clusterID, "a/b?c")
			},
			method: "DELETE", path: base + "/topics/a%2Fb%3Fc",
		},
		{
			name: "pause mirrors",
			call: func(c *Client) error {
				_, err := c.AlterMirrors(context.Background(), clusterID, "my-link", MirrorPause, []string{"topic-1", "topic-2"}, true)
				return err
			},
			method: "POST", path: base + "/links/my-link/mirrors:pause", query: "validate_only=true",
			body: `{"mirror_topic_names":["topic-1","topic-2"]}`,
		},
		{
			name: "alter mirrors empty",
			call: func(c *Client) error {
				_, err := c.AlterMirrors(context.Background(), clusterID, "my-link", MirrorPromote, nil, false)
				return err
			},
			noRequest: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok := func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/links") {
					w.WriteHeader(201) // real servers answer 201, the spec says 204
					return
				}
				if strings.Contains(r.URL.Path, "mirrors:") {
					writeJSON(w, 200, `{"data":[]}`)
					return
				}
				w.WriteHeader(204)
			}
			routes := map[string]http.HandlerFunc{}
			if tt.method != "" {
				routes[tt.method+" "+tt.path] = ok
			}
			f := newFake(t, routes)
			c, _ := newClient(t, testConfig(f.URL+prefix))
			if err := tt.call(c); err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := f.requests()
			if tt.noRequest {
				if len(reqs) != 0 {
					t.Fatalf("requests = %+v, want none", reqs)
				}
				return
			}
			if len(reqs) != 1 {
				t.Fatalf("requests = %+v, want one", reqs)
			}
			r := reqs[0]
			if r.Method != tt.method || r.Path != tt.path || r.Query != tt.query {
				t.Errorf("request = %s %s?%s, want %s %s?%s", r.Method, r.Path, r.Query, tt.method, tt.path, tt.query)
			}
			if r.Body != tt.body {
				t.Errorf("body =\n%s\nwant\n%s", r.Body, tt.body)
			}
			wantCT := ""
			if tt.body != "" {
				wantCT = "application/json"
			}
			if got := r.Header.Get("Content-Type"); got != wantCT {
				t.Errorf("Content-Type = %q, want %q", got, wantCT)
			}
		})
	}
}

func TestInvalidArguments(t *testing.T) {
	f := newFake(t, nil)
	c, _ := newClient(t, testConfig(f.URL+prefix))
	ctx := context.Background()
	calls := map[string]func() error{
		"empty cluster":     func() error { _, err := c.ListLinks(ctx, ""); return err },
		"empty link":        func() error { _, err := c.GetLink(ctx, clusterID, ""); return err },
		"dot-dot":           func() error { return c.DeleteTopic(ctx, clusterID, "..") },
		"create empty link": func() error { return c.CreateLink(ctx, clusterID, "", CreateLinkRequest{}, CreateLinkOptions{}) },
		"mirror no source":  func() error { return c.CreateMirror(ctx, clusterID, "l", CreateMirrorRequest{}) },
		"bad action": func() error {
			_, err := c.AlterMirrors(ctx, clusterID, "l", MirrorAction("../x"), []string{"t"}, false)
			return err
		},
		"empty action": func() error { _, err := c.AlterMirrors(ctx, clusterID, "l", "", []string{"t"}, false); return err },
	}
	for name, call := range calls {
		if err := call(); err == nil || IsNotFound(err) {
			t.Errorf("%s: err = %v, want a validation error", name, err)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent for invalid arguments", n)
	}
}

func TestBuildPath(t *testing.T) {
	if _, err := buildPath("/a/{x", []string{"1"}); err == nil {
		t.Error("unterminated placeholder accepted")
	}
	if _, err := buildPath("/a/{x}", nil); err == nil {
		t.Error("missing value accepted")
	}
	if _, err := buildPath("/a", []string{"1"}); err == nil {
		t.Error("extra value accepted")
	}
	got, err := buildPath(pathMirror, []string{"c 1", "l%", "t.x"})
	if err != nil || got != "/clusters/c%201/links/l%25/mirrors/t.x" {
		t.Errorf("buildPath = %q, %v", got, err)
	}
}

func TestAlterMirrorsPerTopicResults(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{
		"POST " + prefix + "/clusters/lkc-abc/links/my-new-link-1/mirrors:promote": reply(200, alterMirrorsBody),
	})
	c, _ := newClient(t, testConfig(f.URL+prefix))
	res, err := c.AlterMirrors(context.Background(), clusterID, "my-new-link-1", MirrorPromote, []string{"topic-sb", "topic-2", "topic-3", "topic-4"}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []AlterMirrorResult{
		{MirrorTopicName: "topic-sb"},
		{MirrorTopicName: "topic-2", ErrorCode: 400, ErrorMessage: "Topic 'topic-2' has already stopped its mirror from 'my-new-link-1'"},
		{MirrorTopicName: "topic-3", ErrorCode: 40403, ErrorMessage: "This server does not host this topic-partition."},
		{MirrorTopicName: "topic-4", ErrorCode: 7},
	}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("results =\n%+v\nwant\n%+v", res, want)
	}
	if err := res[0].Err(); err != nil {
		t.Errorf("topic-sb Err = %v", err)
	}
	e2 := res[1].Err()
	if !IsAlreadyStopped(e2) || IsNotFound(e2) || IsRetryable(e2) {
		t.Errorf("topic-2: %v: already stopped=%v", e2, IsAlreadyStopped(e2))
	}
	var re *Error
	if !errors.As(e2, &re) || re.StatusCode != 400 || re.ErrorCode != 400 {
		t.Errorf("topic-2 Err = %#v", e2)
	}
	if got := e2.Error(); got != `mirror topic "topic-2": 400: Topic 'topic-2' has already stopped its mirror from 'my-new-link-1'` {
		t.Errorf("topic-2 Error() = %q", got)
	}
	e3 := res[2].Err()
	if !errors.As(e3, &re) || re.StatusCode != 404 || re.ErrorCode != 40403 || IsAlreadyStopped(e3) {
		t.Errorf("topic-3 Err = %#v", e3)
	}
	e4 := res[3].Err()
	if !errors.As(e4, &re) || re.StatusCode != 400 || re.ErrorCode != 7 {
		t.Errorf("topic-4 Err = %#v", e4)
	}
	if e := (AlterMirrorResult{MirrorTopicName: "x", ErrorCode: 404, ErrorMessage: "nope"}).Err(); !IsNotFound(e) {
		t.Errorf("404 result not IsNotFound: %v", e)
	}
	// Confluent's five-digit codes carry their HTTP status.
	if e := (AlterMirrorResult{MirrorTopicName: "x", ErrorCode: 40403, ErrorMessage: "unknown topic"}).Err(); !IsNotFound(e) {
		t.Errorf("40403 result not IsNotFound: %v", e)
	}
	if e := (AlterMirrorResult{MirrorTopicName: "x", ErrorCode: 50003, ErrorMessage: "retriable"}).Err(); !IsRetryable(e) {
		t.Errorf("50003 result not retryable: %v", e)
	}

	var body map[string][]string
	if err := json.Unmarshal([]byte(f.requests()[0].Body), &body); err != nil || len(body["mirror_topic_names"]) != 4 {
		t.Errorf("body = %s", f.requests()[0].Body)
	}
}

func TestMirrorActionsPaths(t *testing.T) {
	actions := []MirrorAction{MirrorPause, MirrorResume, MirrorPromote, MirrorFailover, MirrorReverseAndStart, MirrorReverseAndPause, MirrorTruncateAndRestore}
	routes := map[string]http.HandlerFunc{}
	for _, a := range actions {
		routes["POST /v3/clusters/c/links/l/mirrors:"+string(a)] = reply(200, `{"data":[{"mirror_topic_name":"t","error_code":null,"error_message":null}]}`)
	}
	f := newFake(t, routes)
	var observed []string
	cfg := testConfig(f.URL + "/v3")
	cfg.Observe = func(ep, method string, code int, _ time.Duration) { observed = append(observed, ep) }
	c, _ := newClient(t, cfg)
	for _, a := range actions {
		res, err := c.AlterMirrors(context.Background(), "c", "l", a, []string{"t"}, false)
		if err != nil || len(res) != 1 || res[0].Err() != nil {
			t.Errorf("%s: %v %v", a, res, err)
		}
	}
	if len(observed) != len(actions) || observed[len(observed)-1] != "/clusters/{cluster_id}/links/{link_name}/mirrors:truncate-and-restore" {
		t.Errorf("observed = %v", observed)
	}
}
