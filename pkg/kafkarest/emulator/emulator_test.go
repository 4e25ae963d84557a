package emulator

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestClustersAndRouting(t *testing.T) {
	e, _, dst, _ := newFixture(t)
	h := dst.Handler()
	tests := []struct {
		name, method, path string
		body               any
		code               int
		errCode            float64
		contains           string
	}{
		{"list clusters", "GET", pfx + "/clusters", nil, 200, 0, `"cluster_id":"lkc-dst"`},
		{"get cluster", "GET", pfx + "/clusters/" + dstID, nil, 200, 0, `"kind":"KafkaCluster"`},
		{"unknown cluster", "GET", pfx + "/clusters/nope", nil, 404, 404, "Cluster 'nope' not found"},
		{"unknown cluster links", "GET", pfx + "/clusters/nope/links", nil, 404, 404, "not found"},
		{"unknown path", "GET", pfx + "/whatever", nil, 404, 404, "No such endpoint"},
		{"outside prefix", "GET", "/v3/clusters", nil, 404, 404, "No such endpoint"},
		{"wrong method", "PATCH", pfx + "/clusters/" + dstID + "/links", nil, 405, 405, "not supported"},
		{"malformed json", "POST", pfx + "/clusters/" + dstID + "/links?link_name=x", "{bad", 400, 400, "Malformed JSON"},
		{"bad bool", "GET", pfx + "/clusters/" + dstID + "/links/x?include_tasks=maybe", nil, 400, 400, "include_tasks"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, h, tc.method, tc.path, tc.body)
			mustCode(t, r, tc.code)
			if tc.errCode != 0 && errCode(r) != tc.errCode {
				t.Errorf("error_code %v, want %v (%s)", r.obj["error_code"], tc.errCode, r.raw)
			}
			if !strings.Contains(r.raw, tc.contains) {
				t.Errorf("body %s does not contain %q", r.raw, tc.contains)
			}
		})
	}
	r := do(t, h, "PATCH", pfx+"/clusters/"+dstID+"/links", nil)
	if r.header.Get("Allow") != "GET, POST" {
		t.Errorf("Allow = %q", r.header.Get("Allow"))
	}
	if e.Prefix() != pfx || len(e.ClusterIDs()) != 2 || e.Cluster("x") != nil {
		t.Error("accessors")
	}
}

func TestPrefixV3(t *testing.T) {
	e := New(WithPrefix("v3/"))
	c := e.AddCluster(ClusterConfig{ID: "c"})
	mustCode(t, do(t, c.Handler(), "GET", "/v3/clusters/c", nil), 200)
	mustCode(t, do(t, c.Handler(), "GET", "/kafka/v3/clusters/c", nil), 404)
	e2 := New(WithPrefix("/"))
	c2 := e2.AddCluster(ClusterConfig{ID: "c"})
	mustCode(t, do(t, c2.Handler(), "GET", "/clusters/c", nil), 200)
}

func TestTopics(t *testing.T) {
	_, src, _, _ := newFixture(t)
	h := src.Handler()
	r := do(t, h, "GET", pfx+"/clusters/"+srcID+"/topics/orders", nil)
	mustCode(t, r, 200)
	if r.obj["partitions_count"].(float64) != 3 {
		t.Errorf("partitions_count: %s", r.raw)
	}
	mustCode(t, do(t, h, "GET", pfx+"/clusters/"+srcID+"/topics/none", nil), 404)
	mustCode(t, do(t, h, "DELETE", pfx+"/clusters/"+srcID+"/topics/orders", nil), 204)
	mustCode(t, do(t, h, "DELETE", pfx+"/clusters/"+srcID+"/topics/orders", nil), 404)
	src.CreateTopic("new", 0)
	if got := strings.Join(src.Topics(), ","); got != "audit,new,payments" {
		t.Errorf("topics %s", got)
	}
	if !src.DeleteTopic("new") || src.DeleteTopic("new") {
		t.Error("DeleteTopic")
	}
}

func TestCreateLink(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		body    any
		code    int
		errCode float64
		msg     string
		state   string
	}{
		{"by bootstrap", "link_name=l1", map[string]any{"configs": cfgs("bootstrap.servers", "onprem-kafka:9092")}, 201, 0, "", LinkActive},
		{"by source id", "link_name=l1", map[string]any{"source_cluster_id": srcID}, 201, 0, "", LinkActive},
		{"bootstrap with scheme and list", "link_name=l1", map[string]any{"configs": cfgs("bootstrap.servers", "x:1, SASL_SSL://onprem-kafka:9092")}, 201, 0, "", LinkActive},
		{"paused", "link_name=l1", map[string]any{"source_cluster_id": srcID, "configs": cfgs("cluster.link.paused", "true")}, 201, 0, "", LinkPaused},
		{"validate only", "link_name=l1&validate_only=true", map[string]any{"source_cluster_id": srcID}, 204, 0, "", ""},
		{"no name", "", map[string]any{"source_cluster_id": srcID}, 400, 400, "link_name", ""},
		{"bad name", "link_name=-", map[string]any{"source_cluster_id": srcID}, 400, CodeBadRequest, "Invalid", ""},
		{"unresolvable", "link_name=l1", map[string]any{"configs": cfgs("bootstrap.servers", "nowhere:9092")}, 400, CodeBadRequest, "unable to connect", ""},
		{"no bootstrap", "link_name=l1", map[string]any{}, 400, CodeBadRequest, "bootstrap.servers", ""},
		{"unresolvable unvalidated", "link_name=l1&validate_link=false", map[string]any{"configs": cfgs("bootstrap.servers", "nowhere:9092")}, 201, 0, "", LinkFailed},
		{"bad link mode", "link_name=l1", map[string]any{"source_cluster_id": srcID, "configs": cfgs("link.mode", "SIDEWAYS")}, 400, CodeBadRequest, "link.mode", ""},
		{"bad conn mode", "link_name=l1", map[string]any{"source_cluster_id": srcID, "configs": cfgs("connection.mode", "X")}, 400, CodeBadRequest, "connection.mode", ""},
		{"empty config name", "link_name=l1", map[string]any{"source_cluster_id": srcID, "configs": cfgs("", "x")}, 400, CodeBadRequest, "empty", ""},
		{"self link", "link_name=l1", map[string]any{"source_cluster_id": dstID}, 400, CodeBadRequest, "itself", ""},
		{"inbound without id", "link_name=l1", map[string]any{"configs": cfgs("connection.mode", "INBOUND")}, 400, CodeBadRequest, "INBOUND", ""},
		{"inbound unknown id", "link_name=l1", map[string]any{"source_cluster_id": "lkc-far", "configs": cfgs("connection.mode", "INBOUND")}, 201, 0, "", LinkUnavailable},
		{"bad validate_only", "link_name=l1&validate_only=x", nil, 400, 400, "validate_only", ""},
		{"bad validate_link", "link_name=l1&validate_link=x", nil, 400, 400, "validate_link", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, dst, _ := newFixture(t)
			r := do(t, dst.Handler(), "POST", pfx+"/clusters/"+dstID+"/links?"+tc.query, tc.body)
			mustCode(t, r, tc.code)
			if tc.code >= 400 {
				if errCode(r) != tc.errCode || !strings.Contains(r.raw, tc.msg) {
					t.Errorf("error body %s, want code %v msg %q", r.raw, tc.errCode, tc.msg)
				}
				return
			}
			if r.raw != "" {
				t.Errorf("create answered a body: %q", r.raw)
			}
			st, ok := dst.LinkState("l1")
			if tc.state == "" {
				if ok {
					t.Error("validate_only created the link")
				}
				return
			}
			if st != tc.state {
				t.Errorf("link_state %s, want %s", st, tc.state)
			}
		})
	}
}

func TestLinkGetListDelete(t *testing.T) {
	_, _, dst, _ := newFixture(t)
	h := dst.Handler()
	base := pfx + "/clusters/" + dstID + "/links"
	mustCode(t, do(t, h, "GET", base, nil), 200)
	createLink(t, dst, "l1")
	r := do(t, h, "POST", base+"?link_name=l1", map[string]any{"source_cluster_id": srcID})
	mustCode(t, r, 409)
	if errCode(r) != 40902 || r.obj["message"] != "Cluster link 'l1' already exists" {
		t.Errorf("dup: %s", r.raw)
	}
	createMirror(t, dst, "l1", "orders")
	r = do(t, h, "GET", base, nil)
	mustCode(t, r, 200)
	if len(r.data()) != 1 || r.obj["kind"] != "KafkaLinkDataList" {
		t.Fatalf("list: %s", r.raw)
	}
	l := r.data()[0].(map[string]any)
	if l["link_name"] != "l1" || l["source_cluster_id"] != srcID || l["link_state"] != "ACTIVE" ||
		l["topic_names"].([]any)[0] != "orders" || l["cluster_link_id"] == "" {
		t.Errorf("link data: %v", l)
	}
	r = do(t, h, "GET", base+"/l1?include_tasks=true", nil)
	mustCode(t, r, 200)
	if len(r.obj["tasks"].([]any)) == 0 || r.obj["metadata"].(map[string]any)["self"] != "http://example.com"+base+"/l1" {
		t.Errorf("get: %s", r.raw)
	}
	r = do(t, h, "GET", base+"/nope", nil)
	mustCode(t, r, 404)
	if errCode(r) != CodeLinkNotFound {
		t.Errorf("404 body %s", r.raw)
	}
	mustCode(t, do(t, h, "DELETE", base+"/nope", nil), 404)
	r = do(t, h, "DELETE", base+"/l1", nil)
	mustCode(t, r, 400)
	if r.obj["message"] == nil || !strings.Contains(r.obj["message"].(string), "Cluster link 'l1' has active mirror topics") {
		t.Errorf("delete with mirrors: %s", r.raw)
	}
	mustCode(t, do(t, h, "DELETE", base+"/l1?force=x", nil), 400)
	mustCode(t, do(t, h, "DELETE", base+"/l1?validate_only=x", nil), 400)
	mustCode(t, do(t, h, "DELETE", base+"/l1?force=true&validate_only=true", nil), 200)
	if len(dst.Links()) != 1 {
		t.Fatal("validate_only deleted")
	}
	mustCode(t, do(t, h, "DELETE", base+"/l1?force=true", nil), 200)
	if len(dst.Links()) != 0 || len(dst.Topics()) != 1 {
		t.Errorf("after delete links=%v topics=%v", dst.Links(), dst.Topics())
	}
	if dst.Mirrors("l1") != nil || dst.LinkConfigs("l1") != nil {
		t.Error("unknown link accessors")
	}
	if _, ok := dst.LinkState("l1"); ok {
		t.Error("LinkState of deleted link")
	}
	// Stopped mirrors do not block deletion; topic remains.
	createLink(t, dst, "l2")
	createMirror(t, dst, "l2", "payments")
	e0, _ := perTopic(t, alter(t, dst, "l2", "failover", "payments"))
	if e0 != nil {
		t.Fatal(e0)
	}
	mustCode(t, do(t, h, "DELETE", base+"/l2", nil), 400) // PENDING_STOPPED
	dst.e.opts.clock = func() time.Time { return time.Now().Add(time.Hour) }
	mustCode(t, do(t, h, "DELETE", base+"/l2", nil), 200)
	if strings.Join(dst.Topics(), ",") != "orders,payments" {
		t.Errorf("topics %v", dst.Topics())
	}
}

func TestLinkConfigs(t *testing.T) {
	_, _, dst, _ := newFixture(t)
	h := dst.Handler()
	createLink(t, dst, "l1", "sasl.jaas.config", "secret-jaas", "ssl.key.password", "pw", "consumer.offset.sync.enable", "true",
		"local.sasl.jaas.config", "local-secret-jaas", "local.ssl.keystore.key", "local-key-pem")
	base := pfx + "/clusters/" + dstID + "/links/l1/configs"
	r := do(t, h, "GET", base, nil)
	mustCode(t, r, 200)
	byName := map[string]map[string]any{}
	for _, d := range r.data() {
		m := d.(map[string]any)
		byName[m["name"].(string)] = m
	}
	// Real servers mask sensitive configs under any prefix (local.* configs
	// of source-initiated links included): is_sensitive true, value null.
	for _, name := range []string{"sasl.jaas.config", "local.sasl.jaas.config", "ssl.key.password", "local.ssl.keystore.key"} {
		if v, ok := byName[name]["value"]; !ok || v != nil || byName[name]["is_sensitive"] != true {
			t.Errorf("sensitive config %s not masked: %v", name, byName[name])
		}
	}
	if byName["consumer.offset.sync.enable"]["is_sensitive"] != false {
		t.Error("a plain config is marked sensitive")
	}
	for _, secret := range []string{"secret-jaas", `"pw"`, "local-key-pem"} {
		if strings.Contains(r.raw, secret) {
			t.Errorf("secret %s leaked", secret)
		}
	}
	if byName["bootstrap.servers"]["value"] != "onprem-kafka:9092" || byName["link.mode"]["value"] != "DESTINATION" ||
		byName["link.mode"]["is_default"] != true || byName["connection.mode"]["is_read_only"] != true {
		t.Errorf("configs: %v", byName)
	}
	tests := []struct {
		name, method, path string
		body               any
		code               int
	}{
		{"get one", "GET", base + "/bootstrap.servers", nil, 200},
		{"get default", "GET", base + "/link.mode", nil, 200},
		{"get unknown", "GET", base + "/nope", nil, 404},
		{"get unknown link", "GET", pfx + "/clusters/" + dstID + "/links/x/configs/a", nil, 404},
		{"list unknown link", "GET", pfx + "/clusters/" + dstID + "/links/x/configs", nil, 404},
		{"put", "PUT", base + "/cluster.link.paused", map[string]any{"value": "true"}, 204},
		{"put no value", "PUT", base + "/a", map[string]any{}, 400},
		{"put read-only", "PUT", base + "/link.mode", map[string]any{"value": "SOURCE"}, 400},
		{"put unknown link", "PUT", pfx + "/clusters/" + dstID + "/links/x/configs/a", map[string]any{"value": "1"}, 404},
		{"put malformed", "PUT", base + "/a", "[", 400},
		{"delete", "DELETE", base + "/consumer.offset.sync.enable", nil, 204},
		{"delete again", "DELETE", base + "/consumer.offset.sync.enable", nil, 404},
		{"delete read-only", "DELETE", base + "/link.mode", nil, 400},
		{"delete unknown link", "DELETE", pfx + "/clusters/" + dstID + "/links/x/configs/a", nil, 404},
		{"alter", "PUT", base + ":alter", map[string]any{"data": []any{
			map[string]any{"name": "a", "value": "1"},
			map[string]any{"name": "b", "value": "2", "operation": "SET"},
			map[string]any{"name": "ssl.key.password", "operation": "DELETE"}}}, 204},
		{"alter post", "POST", base + ":alter", map[string]any{"data": []any{map[string]any{"name": "c", "value": "3"}}}, 204},
		{"alter validate only", "PUT", base + ":alter?validate_only=true", map[string]any{"data": []any{map[string]any{"name": "z", "value": "1"}}}, 204},
		{"alter validate only body", "PUT", base + ":alter", map[string]any{"validate_only": true, "data": []any{map[string]any{"name": "z", "value": "1"}}}, 204},
		{"alter no data", "PUT", base + ":alter", map[string]any{}, 400},
		{"alter bad op", "PUT", base + ":alter", map[string]any{"data": []any{map[string]any{"name": "a", "operation": "APPEND"}}}, 400},
		{"alter set without value", "PUT", base + ":alter", map[string]any{"data": []any{map[string]any{"name": "a"}}}, 400},
		{"alter read-only", "PUT", base + ":alter", map[string]any{"data": []any{map[string]any{"name": "link.mode", "value": "SOURCE"}}}, 400},
		{"alter empty name", "PUT", base + ":alter", map[string]any{"data": []any{map[string]any{"name": "", "value": "1"}}}, 400},
		{"alter bad query", "PUT", base + ":alter?validate_only=x", map[string]any{"data": []any{}}, 400},
		{"alter malformed", "PUT", base + ":alter", "{", 400},
		{"alter unknown link", "PUT", pfx + "/clusters/" + dstID + "/links/x/configs:alter", map[string]any{"data": []any{}}, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, h, tc.method, tc.path, tc.body)
			mustCode(t, r, tc.code)
		})
	}
	got := dst.LinkConfigs("l1")
	if got["a"] != "1" || got["b"] != "2" || got["c"] != "3" || got["cluster.link.paused"] != "true" {
		t.Errorf("configs after alter: %v", got)
	}
	if _, ok := got["ssl.key.password"]; ok {
		t.Error("DELETE op ignored")
	}
	if _, ok := got["z"]; ok {
		t.Error("validate_only applied")
	}
	if st, _ := dst.LinkState("l1"); st != LinkPaused {
		t.Errorf("state %s, want PAUSED", st)
	}
}

func TestMirrorsCreateListGet(t *testing.T) {
	_, src, dst, _ := newFixture(t, WithLagDecay(100, 10))
	h := dst.Handler()
	createLink(t, dst, "l1")
	createLink(t, dst, "pl", "cluster.link.prefix", "src.")
	base := pfx + "/clusters/" + dstID + "/links/l1/mirrors"
	tests := []struct {
		name, path string
		body       any
		code       int
		msg        string
	}{
		{"create", base, map[string]any{"source_topic_name": "orders", "replication_factor": 3}, 201, ""},
		{"create with its own name", base, map[string]any{"source_topic_name": "payments", "mirror_topic_name": "payments"}, 201, ""},
		{"create renamed", base, map[string]any{"source_topic_name": "audit", "mirror_topic_name": "pay2"}, 400, "must be the same as its source topic name 'audit'"},
		{"create prefixed", pfx + "/clusters/" + dstID + "/links/pl/mirrors", map[string]any{"source_topic_name": "orders"}, 201, ""},
		{"duplicate", base, map[string]any{"source_topic_name": "orders"}, 400, "Topic 'orders' already exists"},
		{"missing source on source", base, map[string]any{"source_topic_name": "ghost"}, 404, "Topic 'ghost' not found on source"},
		{"no source name", base, map[string]any{}, 400, "source_topic_name"},
		{"bad rf", base, map[string]any{"source_topic_name": "audit", "replication_factor": -1}, 400, "replication_factor"},
		{"unknown link", pfx + "/clusters/" + dstID + "/links/x/mirrors", map[string]any{"source_topic_name": "orders"}, 404, "Cluster link 'x' not found"},
		{"malformed", base, "nope", 400, "Malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, h, "POST", tc.path, tc.body)
			mustCode(t, r, tc.code)
			if !strings.Contains(r.raw, tc.msg) {
				t.Errorf("body %s, want %q", r.raw, tc.msg)
			}
		})
	}
	r := do(t, h, "GET", base, nil)
	mustCode(t, r, 200)
	if len(r.data()) != 2 {
		t.Fatalf("list: %s", r.raw)
	}
	m := r.data()[0].(map[string]any)
	if m["mirror_topic_name"] != "orders" || m["mirror_status"] != "ACTIVE" || m["num_partitions"].(float64) != 3 ||
		len(m["mirror_lags"].([]any)) != 3 || m["mirror_lags"].([]any)[0].(map[string]any)["lag"].(float64) != 100 {
		t.Errorf("mirror data %v", m)
	}
	if m := r.data()[1].(map[string]any); m["mirror_topic_name"] != "payments" || m["source_topic_name"] != "payments" {
		t.Errorf("named: %v", m)
	}
	if _, ok := dst.Cluster0().topics["src.orders"]; !ok {
		t.Error("prefix not applied")
	}
	r = do(t, h, "GET", pfx+"/clusters/"+dstID+"/links/-/mirrors", nil)
	mustCode(t, r, 200)
	if len(r.data()) != 3 {
		t.Errorf("all mirrors: %s", r.raw)
	}
	r = do(t, h, "GET", base+"/orders?include_state_transition_errors=true", nil)
	mustCode(t, r, 200)
	if _, ok := r.obj["mirror_state_transition_errors"]; !ok {
		t.Errorf("transition errors missing: %s", r.raw)
	}
	for _, p := range []string{base + "/nope", pfx + "/clusters/" + dstID + "/links/x/mirrors/orders", pfx + "/clusters/" + dstID + "/links/x/mirrors"} {
		mustCode(t, do(t, h, "GET", p, nil), 404)
	}
	for _, p := range []string{base + "/orders?include_state_transition_errors=x", base + "?mirror_status=BOGUS", base + "?include_state_transition_errors=x",
		pfx + "/clusters/" + dstID + "/links/-/mirrors?mirror_status=NOPE", pfx + "/clusters/" + dstID + "/links/-/mirrors?include_state_transition_errors=1x"} {
		mustCode(t, do(t, h, "GET", p, nil), 400)
	}
	// mirror_status filter.
	perTopic(t, alter(t, dst, "l1", "pause", "payments"))
	r = do(t, h, "GET", base+"?mirror_status=PAUSED", nil)
	if len(r.data()) != 1 || r.data()[0].(map[string]any)["mirror_topic_name"] != "payments" {
		t.Errorf("filter: %s", r.raw)
	}
	r = do(t, h, "GET", pfx+"/clusters/"+dstID+"/links/-/mirrors?mirror_status=active,paused", nil)
	if len(r.data()) != 3 {
		t.Errorf("filter all: %s", r.raw)
	}
	// Accessors.
	ms := dst.Mirrors("l1")
	if len(ms) != 2 || ms[0].SourceCluster != srcID || ms[1].Status != StatusPaused {
		t.Errorf("Mirrors: %+v", ms)
	}
	if _, _, ok := dst.Mirror("l1", "nope"); ok {
		t.Error("Mirror unknown")
	}
	// Source link mode cannot host mirrors; deleting the topic removes the mirror.
	mustCode(t, do(t, src.Handler(), "POST", pfx+"/clusters/"+srcID+"/links?link_name=s", map[string]any{
		"destination_cluster_id": dstID, "configs": cfgs("link.mode", "SOURCE")}), 201)
	mustCode(t, do(t, src.Handler(), "POST", pfx+"/clusters/"+srcID+"/links/s/mirrors", map[string]any{"source_topic_name": "x"}), 400)
	mustCode(t, do(t, h, "DELETE", pfx+"/clusters/"+dstID+"/topics/orders", nil), 204)
	if _, _, ok := dst.Mirror("l1", "orders"); ok {
		t.Error("mirror survived topic deletion")
	}
}

// Cluster0 exposes internals for tests.
func (c *Cluster) Cluster0() *Cluster { return c }

func TestMirrorOnFailedLink(t *testing.T) {
	_, _, dst, _ := newFixture(t)
	mustCode(t, do(t, dst.Handler(), "POST", pfx+"/clusters/"+dstID+"/links?link_name=f&validate_link=false",
		map[string]any{"configs": cfgs("bootstrap.servers", "nowhere:1")}), 201)
	r := do(t, dst.Handler(), "POST", pfx+"/clusters/"+dstID+"/links/f/mirrors", map[string]any{"source_topic_name": "orders"})
	mustCode(t, r, 400)
	r = do(t, dst.Handler(), "GET", pfx+"/clusters/"+dstID+"/links/f?include_tasks=true", nil)
	if r.obj["link_state"] != "FAILED" || r.obj["link_error"] != "UNRESOLVABLE_BOOTSTRAP_ERROR" || r.obj["source_cluster_id"] != nil {
		t.Errorf("failed link: %s", r.raw)
	}
}

func TestPromoteLagDecayAndStopDelay(t *testing.T) {
	_, _, dst, clk := newFixture(t, WithLagDecay(50, 10))
	createLink(t, dst, "l1")
	createMirror(t, dst, "l1", "orders")

	code, msg := perTopic(t, alter(t, dst, "l1", "promote", "orders"))
	if code != float64(CodeBadRequest) || !strings.Contains(msg.(string), "mirror lag is 50") {
		t.Fatalf("promote with lag: %v %v", code, msg)
	}
	clk.Advance(3 * time.Second)
	if _, lag, _ := dst.Mirror("l1", "orders"); lag != 20 {
		t.Fatalf("lag after 3s = %d, want 20", lag)
	}
	clk.Advance(5 * time.Second)
	// validate_only does not change state.
	r := do(t, dst.Handler(), "POST", pfx+"/clusters/"+dstID+"/links/l1/mirrors:promote?validate_only=true",
		map[string]any{"mirror_topic_names": []string{"orders"}})
	if c, _ := perTopic(t, r); c != nil {
		t.Fatalf("validate promote: %s", r.raw)
	}
	if st, _, _ := dst.Mirror("l1", "orders"); st != StatusActive {
		t.Fatalf("validate_only changed status to %s", st)
	}
	code, msg = perTopic(t, alter(t, dst, "l1", "promote", "orders"))
	if code != nil || msg != nil {
		t.Fatalf("promote after decay: %v %v", code, msg)
	}
	if st, _, _ := dst.Mirror("l1", "orders"); st != StatusPendingStopped {
		t.Fatalf("status %s, want PENDING_STOPPED", st)
	}
	code, msg = perTopic(t, alter(t, dst, "l1", "promote", "orders"))
	if code != float64(CodeBadRequest) || msg != "Topic 'orders' has already stopped its mirror from 'l1'" {
		t.Fatalf("second promote: %v %v", code, msg)
	}
	clk.Advance(1999 * time.Millisecond)
	if st, _, _ := dst.Mirror("l1", "orders"); st != StatusPendingStopped {
		t.Fatalf("status %s before delay", st)
	}
	clk.Advance(time.Millisecond)
	r = do(t, dst.Handler(), "GET", pfx+"/clusters/"+dstID+"/links/l1/mirrors/orders", nil)
	if r.obj["mirror_status"] != "STOPPED" {
		t.Fatalf("after delay: %s", r.raw)
	}
	// A STOPPED topic is still listed and still a topic.
	r = do(t, dst.Handler(), "GET", pfx+"/clusters/"+dstID+"/links/l1/mirrors?mirror_status=STOPPED", nil)
	if len(r.data()) != 1 {
		t.Errorf("stopped listing: %s", r.raw)
	}
}

func TestZeroStopDelayAndConstantLag(t *testing.T) {
	_, _, dst, clk := newFixture(t, WithStopDelay(0), WithLagDecay(7, 0))
	createLink(t, dst, "l1")
	createMirror(t, dst, "l1", "orders")
	clk.Advance(time.Hour)
	if _, lag, _ := dst.Mirror("l1", "orders"); lag != 7 {
		t.Fatalf("constant lag %d", lag)
	}
	perTopic(t, alter(t, dst, "l1", "failover", "orders"))
	if st, lag, _ := dst.Mirror("l1", "orders"); st != StatusStopped || lag != 0 {
		t.Fatalf("status %s lag %d", st, lag)
	}
}

func TestBatchActions(t *testing.T) {
	type step struct {
		action  string
		code    any // nil on success
		msg     string
		status  string // status afterwards
		topic   string
		advance time.Duration
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"pause resume", []step{
			{action: "resume", status: "ACTIVE"}, // no-op
			{action: "pause", status: "PAUSED"},
			{action: "pause", status: "PAUSED"}, // no-op
			{action: "resume", status: "ACTIVE"},
		}},
		{"failover then everything refused", []step{
			{action: "failover", status: "PENDING_STOPPED"},
			{action: "pause", code: float64(CodeBadRequest), msg: "Cannot pause", status: "PENDING_STOPPED"},
			{action: "resume", code: float64(CodeBadRequest), msg: "Cannot resume", status: "PENDING_STOPPED"},
			{action: "failover", code: float64(CodeBadRequest), msg: "has already stopped its mirror from 'l1'", advance: 3 * time.Second, status: "STOPPED"},
			{action: "pause", code: float64(CodeBadRequest), msg: "STOPPED", status: "STOPPED"},
			{action: "reverse-and-start-mirror", code: float64(CodeBadRequest), msg: "not bidirectional", status: "STOPPED"},
		}},
		{"truncate and restore", []step{
			{action: "truncate-and-restore", code: float64(CodeBadRequest), msg: "not STOPPED", status: "ACTIVE"},
			{action: "failover", advance: 3 * time.Second, status: "STOPPED"},
			{action: "truncate-and-restore", status: "PENDING_SETUP_FOR_RESTORE"},
			{action: "pause", code: float64(CodeBadRequest), msg: "being restored", advance: 2 * time.Second, status: "PENDING_RESTORE"},
			{action: "truncate-and-restore", code: float64(CodeBadRequest), msg: "PENDING_RESTORE, not STOPPED", advance: 2 * time.Second, status: "ACTIVE"},
		}},
		{"paused mirror can be promoted", []step{
			{action: "pause", status: "PAUSED"},
			{action: "promote", status: "PENDING_STOPPED"},
		}},
		{"unknown topics", []step{
			{action: "promote", topic: "nope", code: float64(CodeUnknownTopic), msg: "Topic 'nope' not found"},
			{action: "pause", topic: "audit", code: float64(CodeBadRequest), msg: "not a mirror topic"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, dst, clk := newFixture(t)
			dst.CreateTopic("audit", 1)
			createLink(t, dst, "l1")
			createMirror(t, dst, "l1", "orders")
			for i, s := range tc.steps {
				topic := s.topic
				if topic == "" {
					topic = "orders"
				}
				code, msg := perTopic(t, alter(t, dst, "l1", s.action, topic))
				if code != s.code {
					t.Fatalf("step %d %s: code %v (%v), want %v", i, s.action, code, msg, s.code)
				}
				if s.code == nil && msg != nil || s.code != nil && !strings.Contains(msg.(string), s.msg) {
					t.Fatalf("step %d %s: message %v, want %q", i, s.action, msg, s.msg)
				}
				clk.Advance(s.advance)
				if s.status != "" {
					if st, _, _ := dst.Mirror("l1", "orders"); st != s.status {
						t.Fatalf("step %d %s: status %s, want %s", i, s.action, st, s.status)
					}
				}
			}
		})
	}
}

func TestBatchRequestShapes(t *testing.T) {
	_, _, dst, _ := newFixture(t)
	createLink(t, dst, "l1")
	for _, s := range []string{"orders", "payments", "audit"} {
		createMirror(t, dst, "l1", s)
	}
	h := dst.Handler()
	base := pfx + "/clusters/" + dstID + "/links/l1/mirrors:"
	tests := []struct {
		name, action string
		query        string
		body         any
		code, n      int
	}{
		{"glob pattern", "pause", "", map[string]any{"mirror_topic_name_pattern": "p*"}, 200, 1},
		{"regex pattern", "pause", "", map[string]any{"mirror_topic_name_pattern": "(orders|audit)"}, 200, 2},
		{"star", "resume", "", map[string]any{"mirror_topic_name_pattern": "*"}, 200, 3},
		{"bad regex falls back to glob", "resume", "", map[string]any{"mirror_topic_name_pattern": "a[u"}, 200, 0},
		{"empty", "pause", "", map[string]any{}, 400, 0},
		{"malformed", "pause", "", "{", 400, 0},
		{"bad validate_only", "pause", "validate_only=x", map[string]any{"mirror_topic_names": []string{"orders"}}, 400, 0},
		{"bad trunc flag", "truncate-and-restore", "include_partition_level_truncation_data=x", map[string]any{"mirror_topic_names": []string{"orders"}}, 400, 0},
		{"unknown link", "pause", "", map[string]any{"mirror_topic_names": []string{"orders"}}, 404, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := base + tc.action + "?" + tc.query
			if tc.code == 404 {
				p = pfx + "/clusters/" + dstID + "/links/x/mirrors:" + tc.action
			}
			r := do(t, h, "POST", p, tc.body)
			mustCode(t, r, tc.code)
			if tc.code == 200 && len(r.data()) != tc.n {
				t.Errorf("results %d, want %d: %s", len(r.data()), tc.n, r.raw)
			}
		})
	}
	// truncation data.
	perTopic(t, alter(t, dst, "l1", "failover", "audit"))
	dst.e.opts.clock = func() time.Time { return time.Now().Add(time.Hour) }
	r := do(t, h, "POST", base+"truncate-and-restore?include_partition_level_truncation_data=true",
		map[string]any{"mirror_topic_names": []string{"audit"}})
	mustCode(t, r, 200)
	d := r.data()[0].(map[string]any)
	if d["messages_truncated"].(float64) != 0 || len(d["partition_level_truncation_data"].([]any)) != 2 {
		t.Errorf("truncate: %s", r.raw)
	}
	if got := dst.applyAction("bogus", dst.links["l1"], "orders", time.Now(), false); got.code != CodeBadRequest {
		t.Error("unsupported action accepted")
	}
}

func TestSourceOutage(t *testing.T) {
	e, _, dst, _ := newFixture(t)
	createLink(t, dst, "l1")
	createLink(t, dst, "l2")
	createMirror(t, dst, "l1", "orders")
	createMirror(t, dst, "l2", "payments")
	perTopic(t, alter(t, dst, "l2", "pause", "payments"))

	e.SetSourceOutage(srcID, true)
	if st, _ := dst.LinkState("l1"); st != LinkUnavailable {
		t.Fatalf("link_state %s", st)
	}
	r := do(t, dst.Handler(), "GET", pfx+"/clusters/"+dstID+"/links/l1", nil)
	if r.obj["link_error"] != "BOOTSTRAP_TCP_CONNECTION_FAILED_ERROR" {
		t.Errorf("link_error: %s", r.raw)
	}
	for _, m := range [][2]string{{"l1", "orders"}, {"l2", "payments"}} {
		if st, _, _ := dst.Mirror(m[0], m[1]); st != StatusSourceUnavailable {
			t.Errorf("%v: %s", m, st)
		}
	}
	// New mirrors during the outage are SOURCE_UNAVAILABLE (no source check).
	createMirror(t, dst, "l1", "audit")
	if st, _, _ := dst.Mirror("l1", "audit"); st != StatusSourceUnavailable {
		t.Errorf("new mirror during outage: %s", st)
	}
	mustCode(t, do(t, dst.Handler(), "POST", pfx+"/clusters/"+dstID+"/links/l1/mirrors",
		map[string]any{"source_topic_name": "ghost"}), 201)
	code, msg := perTopic(t, alter(t, dst, "l1", "promote", "orders"))
	if code != float64(CodeBadRequest) || !strings.Contains(msg.(string), "unavailable") {
		t.Errorf("promote during outage: %v %v", code, msg)
	}
	if code, _ := perTopic(t, alter(t, dst, "l1", "failover", "audit")); code != nil {
		t.Errorf("failover during outage refused: %v", code)
	}
	if code, _ := perTopic(t, alter(t, dst, "l1", "truncate-and-restore", "audit")); code != float64(CodeBadRequest) {
		t.Errorf("restore during outage: %v", code)
	}
	e.SetSourceOutage(srcID, false)
	if st, _ := dst.LinkState("l1"); st != LinkActive {
		t.Errorf("after recovery link %s", st)
	}
	if st, _, _ := dst.Mirror("l1", "orders"); st != StatusActive {
		t.Errorf("after recovery orders %s", st)
	}
	if st, _, _ := dst.Mirror("l2", "payments"); st != StatusPaused {
		t.Errorf("after recovery payments %s", st)
	}
	// Paused link -> LINK_PAUSED mirrors.
	mustCode(t, do(t, dst.Handler(), "PUT", pfx+"/clusters/"+dstID+"/links/l1/configs/cluster.link.paused", map[string]any{"value": "true"}), 204)
	if st, _, _ := dst.Mirror("l1", "orders"); st != StatusLinkPaused {
		t.Errorf("paused link mirror %s", st)
	}
}

func TestInboundLinkActivation(t *testing.T) {
	_, src, dst, _ := newFixture(t)
	r := do(t, dst.Handler(), "POST", pfx+"/clusters/"+dstID+"/links?link_name=in", map[string]any{
		"source_cluster_id": srcID, "configs": cfgs("connection.mode", "INBOUND")})
	mustCode(t, r, 201)
	if st, _ := dst.LinkState("in"); st != LinkUnavailable {
		t.Fatalf("inbound before source link: %s", st)
	}
	r = do(t, dst.Handler(), "GET", pfx+"/clusters/"+dstID+"/links/in", nil)
	if r.obj["link_error"] != "TIMEOUT_ERROR" {
		t.Errorf("link_error %s", r.raw)
	}
	// Mirror creation is accepted while the link waits; status SOURCE_UNAVAILABLE.
	createMirror(t, dst, "in", "orders")
	if st, _, _ := dst.Mirror("in", "orders"); st != StatusSourceUnavailable {
		t.Errorf("mirror on pending inbound: %s", st)
	}
	// A link with the same name but not SOURCE mode does not activate it.
	mustCode(t, do(t, src.Handler(), "POST", pfx+"/clusters/"+srcID+"/links?link_name=in", map[string]any{
		"destination_cluster_id": dstID, "configs": cfgs("link.mode", "SOURCE", "bootstrap.servers", "pkc-dst.example:9092")}), 201)
	if st, _ := dst.LinkState("in"); st != LinkActive {
		t.Fatalf("inbound after source link: %s", st)
	}
	if st, _, _ := dst.Mirror("in", "orders"); st != StatusActive {
		t.Errorf("mirror after activation: %s", st)
	}
	r = do(t, src.Handler(), "GET", pfx+"/clusters/"+srcID+"/links/in", nil)
	if r.obj["destination_cluster_id"] != dstID || r.obj["source_cluster_id"] != nil {
		t.Errorf("source link: %s", r.raw)
	}
	// Both sides share the link ID.
	r2 := do(t, dst.Handler(), "GET", pfx+"/clusters/"+dstID+"/links/in", nil)
	if r.obj["cluster_link_id"] != r2.obj["cluster_link_id"] {
		t.Errorf("link ids differ: %v %v", r.obj["cluster_link_id"], r2.obj["cluster_link_id"])
	}
}

func TestBidirectionalReverse(t *testing.T) {
	for _, action := range []string{"reverse-and-start-mirror", "reverse-and-pause-mirror"} {
		t.Run(action, func(t *testing.T) {
			_, src, dst, _ := newFixture(t)
			mustCode(t, do(t, dst.Handler(), "POST", pfx+"/clusters/"+dstID+"/links?link_name=bi", map[string]any{
				"remote_cluster_id": srcID, "configs": cfgs("link.mode", "BIDIRECTIONAL")}), 201)
			createMirror(t, dst, "bi", "orders")
			code, msg := perTopic(t, alter(t, dst, "bi", action, "orders"))
			if code != float64(CodeBadRequest) || !strings.Contains(msg.(string), "has no cluster link 'bi'") {
				t.Fatalf("reverse without remote link: %v %v", code, msg)
			}
			mustCode(t, do(t, src.Handler(), "POST", pfx+"/clusters/"+srcID+"/links?link_name=bi", map[string]any{
				"remote_cluster_id": dstID, "configs": cfgs("link.mode", "BIDIRECTIONAL")}), 201)
			r := do(t, dst.Handler(), "POST", pfx+"/clusters/"+dstID+"/links/bi/mirrors:"+action+"?validate_only=true",
				map[string]any{"mirror_topic_names": []string{"orders"}})
			if c, _ := perTopic(t, r); c != nil || len(src.Mirrors("bi")) != 0 {
				t.Fatalf("validate_only reverse: %s", r.raw)
			}
			if code, msg := perTopic(t, alter(t, dst, "bi", action, "orders")); code != nil {
				t.Fatalf("reverse: %v %v", code, msg)
			}
			want := StatusActive
			if action == "reverse-and-pause-mirror" {
				want = StatusPaused
			}
			if st, _, ok := src.Mirror("bi", "orders"); !ok || st != want {
				t.Errorf("reversed mirror on source: %s %v", st, ok)
			}
			if st, _, ok := dst.Mirror("bi", "orders"); !ok || st != StatusPendingStopped {
				t.Errorf("local mirror after reverse: %s %v, want PENDING_STOPPED", st, ok)
			}
			// Reversing back is refused while the remote already mirrors the topic.
			createMirror(t, dst, "bi", "payments")
			src.Cluster0().links["bi"].mirrors["payments"] = &mirror{name: "payments", partitions: 1, status: StatusActive}
			if code, _ := perTopic(t, alter(t, dst, "bi", action, "payments")); code != float64(CodeBadRequest) {
				t.Errorf("double reverse accepted")
			}
		})
	}
}

func TestReverseRefusals(t *testing.T) {
	e, _, dst, _ := newFixture(t, WithLagDecay(10, 0))
	mustCode(t, do(t, dst.Handler(), "POST", pfx+"/clusters/"+dstID+"/links?link_name=bi", map[string]any{
		"source_cluster_id": srcID, "configs": cfgs("link.mode", "BIDIRECTIONAL")}), 201)
	createMirror(t, dst, "bi", "orders")
	if code, msg := perTopic(t, alter(t, dst, "bi", "reverse-and-start-mirror", "orders")); code != float64(CodeBadRequest) || !strings.Contains(msg.(string), "lag") {
		t.Errorf("lag: %v %v", code, msg)
	}
	e.SetSourceOutage(srcID, true)
	if code, msg := perTopic(t, alter(t, dst, "bi", "reverse-and-start-mirror", "orders")); code != float64(CodeBadRequest) || !strings.Contains(msg.(string), "unavailable") {
		t.Errorf("outage: %v %v", code, msg)
	}
	perTopic(t, alter(t, dst, "bi", "failover", "orders"))
	if code, _ := perTopic(t, alter(t, dst, "bi", "reverse-and-start-mirror", "orders")); code != float64(CodeBadRequest) {
		t.Errorf("stopped: %v", code)
	}
}

func TestAuth(t *testing.T) {
	e := New()
	c := e.AddCluster(ClusterConfig{ID: "c", Username: "u", Password: "p", BearerToken: "tok"})
	tests := []struct {
		name string
		set  func(*http.Request)
		code int
	}{
		{"none", func(*http.Request) {}, 401},
		{"basic ok", func(r *http.Request) { r.SetBasicAuth("u", "p") }, 200},
		{"basic wrong", func(r *http.Request) { r.SetBasicAuth("u", "x") }, 401},
		{"bearer ok", func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok") }, 200},
		{"bearer wrong", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range []string{pfx + "/clusters/c", "/admin/state"} {
				req, _ := http.NewRequest("GET", p, nil)
				tc.set(req)
				rec := newRecorder()
				c.Handler().ServeHTTP(rec, req)
				if rec.Code != tc.code {
					t.Errorf("%s: %d, want %d", p, rec.Code, tc.code)
				}
				if rec.Code == 401 && !strings.Contains(rec.Body.String(), `"error_code":401`) {
					t.Errorf("401 body %s", rec.Body.String())
				}
			}
		})
	}
}
