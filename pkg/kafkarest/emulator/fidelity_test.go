package emulator

// Contract tests for the differences from Confluent Server that driving the
// emulator with Confluent's CLI and Go SDK found (issue 14). Each answer is
// checked against the vendored REST v3 spec: as the operation's documented
// response when the spec lists that status, else as the spec's Error schema.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// specClient sends requests to a served cluster and checks every answer
// against the spec.
type specClient struct {
	t      *testing.T
	base   string
	router routers.Router
	errs   *openapi3.Schema
	user   string
	pass   string
}

func newSpecClient(t *testing.T, e *Emulator, clusterID string) *specClient {
	t.Helper()
	base := serve(t, e, clusterID)
	doc, router := loadSpec(t, base)
	return &specClient{t: t, base: base, router: router, errs: doc.Components.Schemas["Error"].Value}
}

type specAnswer struct {
	status int
	obj    map[string]any
	raw    string
}

func (a specAnswer) code() float64 {
	f, _ := a.obj["error_code"].(float64)
	return f
}

func (a specAnswer) message() string {
	s, _ := a.obj["message"].(string)
	return s
}

// do sends the request and validates the answer; nullSensitive allows the
// documented deviation that sensitive config values are null.
func (s *specClient) do(method, path string, body any, nullSensitive bool) specAnswer {
	t := s.t
	t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	req, err := http.NewRequest(method, s.base+pfx+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.user != "" {
		req.SetBasicAuth(s.user, s.pass)
	}
	route, pathParams, ferr := s.router.FindRoute(req)
	if ferr != nil {
		t.Fatalf("%s %s is not a spec operation: %v", method, path, ferr)
	}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := specAnswer{status: resp.StatusCode, raw: string(b)}
	if len(b) > 0 {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, path, b)
		}
		a.obj, _ = v.(map[string]any)
		if resp.StatusCode >= 400 {
			// Every error answer is the spec's Error, listed or not.
			if err := s.errs.VisitJSON(v); err != nil {
				t.Fatalf("%s %s: error body is not the spec's Error: %v: %s", method, path, err, b)
			}
		}
	}
	if route.Operation.Responses.Status(resp.StatusCode) == nil ||
		resp.StatusCode == http.StatusTooManyRequests && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		// An allowlisted deviation (see contract_test.go); the body was checked above.
		return a
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(b)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	if err != nil && !(nullSensitive && onlySensitiveNullErrors(t, err, b)) {
		t.Fatalf("%s %s: answer does not follow the spec: %v\n%s", method, path, err, b)
	}
	return a
}

func TestContractSensitiveLocalConfigsMasked(t *testing.T) {
	e, _, _, _ := newFixture(t)
	s := newSpecClient(t, e, srcID)
	// A source-initiated link carries the destination's credentials under local.*.
	a := s.do("POST", "/clusters/"+srcID+"/links?link_name=out", map[string]any{
		"destination_cluster_id": dstID,
		"configs": cfgs("link.mode", "SOURCE", "bootstrap.servers", "pkc-dst.example:9092",
			"sasl.jaas.config", "remote-jaas", "local.sasl.jaas.config", "local-jaas secret=\"s3cret\""),
	}, false)
	if a.status != 201 {
		t.Fatalf("create: %d %s", a.status, a.raw)
	}
	for _, p := range []string{"/configs", "/configs/local.sasl.jaas.config", "/configs/sasl.jaas.config"} {
		a := s.do("GET", "/clusters/"+srcID+"/links/out"+p, nil, true)
		if a.status != 200 || strings.Contains(a.raw, "s3cret") || strings.Contains(a.raw, "remote-jaas") {
			t.Fatalf("GET %s: %d %s", p, a.status, a.raw)
		}
	}
	a = s.do("GET", "/clusters/"+srcID+"/links/out/configs/local.sasl.jaas.config", nil, true)
	if a.obj["is_sensitive"] != true || a.obj["value"] != nil {
		t.Errorf("local.sasl.jaas.config not masked: %s", a.raw)
	}
}

func TestContractMirrorTopicName(t *testing.T) {
	tests := map[string]struct {
		prefix        string // cluster.link.prefix of the link, "" for none
		source, asked string
		status        int
		code          float64
		created       string // the topic that must exist afterwards
		msg           string
	}{
		"no prefix, name omitted":         {source: "inventory", status: 201, created: "inventory"},
		"no prefix, same name":            {source: "inventory", asked: "inventory", status: 201, created: "inventory"},
		"no prefix, renamed (issue 14)":   {source: "inventory", asked: "pre_inventory", status: 400, code: CodeBadRequest, msg: "Mirror topic name 'pre_inventory' must be the same as its source topic name 'inventory'"},
		"prefix, name omitted":            {prefix: "pre_", source: "inventory", status: 201, created: "pre_inventory"},
		"prefix, prefixed name":           {prefix: "pre_", source: "inventory", asked: "pre_inventory", status: 201, created: "pre_inventory"},
		"prefix, unprefixed name":         {prefix: "pre_", source: "inventory", asked: "inventory", status: 400, code: CodeBadRequest, msg: "prefixed with the cluster.link.prefix 'pre_' of cluster link 'l', that is 'pre_inventory'"},
		"prefix, other prefix":            {prefix: "pre_", source: "inventory", asked: "dc1.inventory", status: 400, code: CodeBadRequest, msg: "'pre_inventory'"},
		"prefix, name omitted, no source": {prefix: "pre_", source: "ghost", status: 404, code: CodeUnknownTopic, msg: "Topic 'ghost' not found on source"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, src, dst, _ := newFixture(t)
			src.CreateTopic("inventory", 2)
			extra := []string{}
			if tc.prefix != "" {
				extra = []string{ConfigPrefix, tc.prefix}
			}
			createLink(t, dst, "l", extra...)
			s := newSpecClient(t, e, dstID)
			body := map[string]any{"source_topic_name": tc.source}
			if tc.asked != "" {
				body["mirror_topic_name"] = tc.asked
			}
			a := s.do("POST", "/clusters/"+dstID+"/links/l/mirrors", body, false)
			if a.status != tc.status || a.code() != tc.code || !strings.Contains(a.message(), tc.msg) {
				t.Fatalf("answer %d %s, want %d error_code %v message ~%q", a.status, a.raw, tc.status, tc.code, tc.msg)
			}
			topics := strings.Join(dst.Topics(), ",")
			if tc.created != "" && topics != tc.created {
				t.Errorf("topics %q, want %q", topics, tc.created)
			}
			if tc.created == "" && topics != "" {
				t.Errorf("a refused mirror created topics %q", topics)
			}
		})
	}
}

func TestContractErrorCodes(t *testing.T) {
	tests := map[string]struct {
		setup        func(e *Emulator, s *specClient)
		method, path string
		body         any
		status       int
		code         float64
	}{
		// Framework answers carry the HTTP status (spec examples
		// endpoint_not_found, cluster_not_found, bad_request_cannot_deserialize).
		"unknown cluster":   {method: "GET", path: "/clusters/nope/links", status: 404, code: 404},
		"undecodable body":  {method: "POST", path: "/clusters/" + dstID + "/links?link_name=x", body: "not an object", status: 400, code: 400},
		"bad query boolean": {method: "GET", path: "/clusters/" + dstID + "/links/l?include_tasks=maybe", status: 400, code: 400},
		// Kafka answers carry five-digit codes.
		"unknown link":         {method: "GET", path: "/clusters/" + dstID + "/links/nope", status: 404, code: CodeLinkNotFound},
		"unknown mirror topic": {method: "GET", path: "/clusters/" + dstID + "/links/l/mirrors/nope", status: 404, code: CodeUnknownTopic},
		"unknown topic":        {method: "GET", path: "/clusters/" + dstID + "/topics/nope", status: 404, code: CodeUnknownTopic},
		"delete unknown topic": {method: "DELETE", path: "/clusters/" + dstID + "/topics/nope", status: 404, code: CodeUnknownTopic},
		"topic already exists": {method: "POST", path: "/clusters/" + dstID + "/links/l/mirrors", body: map[string]any{"source_topic_name": "orders"},
			setup: func(e *Emulator, _ *specClient) { e.Cluster(dstID).CreateTopic("orders", 1) }, status: 400, code: CodeBadRequest},
		"link to itself": {method: "POST", path: "/clusters/" + dstID + "/links?link_name=self", body: map[string]any{"source_cluster_id": dstID}, status: 400, code: CodeBadRequest},
		"read-only config": {method: "PUT", path: "/clusters/" + dstID + "/links/l/configs/link.mode", body: map[string]any{"value": "SOURCE"},
			status: 400, code: CodeBadRequest},
		"link already exists": {method: "POST", path: "/clusters/" + dstID + "/links?link_name=l", body: map[string]any{"source_cluster_id": srcID}, status: 409, code: CodeLinkExists},
		"authentication failed": {method: "GET", path: "/clusters/" + dstID + "/links",
			setup: func(e *Emulator, _ *specClient) { e.SetFaults(dstID, Faults{AuthFailure: true}) }, status: 401, code: CodeUnauthorized},
		"rate limited": {method: "GET", path: "/clusters/" + dstID + "/links",
			setup: func(e *Emulator, _ *specClient) { e.SetFaults(dstID, Faults{TooManyRequests: 1}) }, status: 429, code: CodeTooManyRequests},
		"retriable server error": {method: "GET", path: "/clusters/" + dstID + "/links",
			setup: func(e *Emulator, _ *specClient) { e.SetFaults(dstID, Faults{ErrorRate: 1}) }, status: 500, code: CodeRetriable},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, _, dst, _ := newFixture(t)
			createLink(t, dst, "l")
			s := newSpecClient(t, e, dstID)
			if tc.setup != nil {
				tc.setup(e, s)
			}
			var a specAnswer
			if str, ok := tc.body.(string); ok {
				// Not JSON: sent raw, outside the spec's request schema.
				req, _ := http.NewRequest(tc.method, s.base+pfx+tc.path, strings.NewReader(str))
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				a = specAnswer{status: resp.StatusCode, raw: string(b)}
				_ = json.Unmarshal(b, &a.obj)
			} else {
				a = s.do(tc.method, tc.path, tc.body, false)
			}
			if a.status != tc.status || a.code() != tc.code || a.message() == "" {
				t.Fatalf("answer %d %s, want %d with error_code %v and a message", a.status, a.raw, tc.status, tc.code)
			}
			// The HTTP status is the code's first three digits (five-digit
			// codes) or the code itself: clients classify by HTTP status.
			if c := int(a.code()); c != a.status && c/100 != a.status {
				t.Errorf("error_code %d does not belong to HTTP status %d", c, a.status)
			}
		})
	}
}

func TestContractSourceLinkWaitsForDestination(t *testing.T) {
	e, src, dst, _ := newFixture(t)
	s := newSpecClient(t, e, srcID)
	a := s.do("POST", "/clusters/"+srcID+"/links?link_name=ho", map[string]any{
		"destination_cluster_id": dstID,
		"configs":                cfgs("link.mode", "SOURCE", "bootstrap.servers", "pkc-dst.example:9092"),
	}, false)
	if a.status != 201 {
		t.Fatalf("create: %d %s", a.status, a.raw)
	}
	a = s.do("GET", "/clusters/"+srcID+"/links/ho", nil, false)
	msg, _ := a.obj["link_error_message"].(string)
	if a.obj["link_state"] != LinkUnavailable || a.obj["link_error"] != "TIMEOUT_ERROR" ||
		!strings.Contains(msg, "Waiting for the destination cluster 'lkc-dst' to create its side of cluster link 'ho'") {
		t.Fatalf("source link without destination side: %s", a.raw)
	}
	// A destination link of that name that is not INBOUND is not its other side.
	createLink(t, dst, "ho")
	if st, _ := src.LinkState("ho"); st != LinkUnavailable {
		t.Fatalf("source link with an OUTBOUND destination link of the same name: %s", st)
	}
	mustCode(t, do(t, dst.Handler(), "DELETE", pfx+"/clusters/"+dstID+"/links/ho", nil), 200)
	mustCode(t, do(t, dst.Handler(), "POST", pfx+"/clusters/"+dstID+"/links?link_name=ho", map[string]any{
		"source_cluster_id": srcID, "configs": cfgs("connection.mode", "INBOUND")}), 201)
	a = s.do("GET", "/clusters/"+srcID+"/links/ho", nil, false)
	if a.obj["link_state"] != LinkActive || a.obj["link_error"] != "NO_ERROR" || a.obj["link_error_message"] != nil {
		t.Fatalf("source link with its destination side: %s", a.raw)
	}
	if st, _ := dst.LinkState("ho"); st != LinkActive {
		t.Errorf("destination side: %s", st)
	}
	// Deleting the destination side makes the source side wait again.
	mustCode(t, do(t, dst.Handler(), "DELETE", pfx+"/clusters/"+dstID+"/links/ho?force=true", nil), 200)
	if st, _ := src.LinkState("ho"); st != LinkUnavailable {
		t.Errorf("source link after its destination side was deleted: %s", st)
	}
}
