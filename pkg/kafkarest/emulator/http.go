package emulator

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// apiError is an error answered as the spec's Error schema.
type apiError struct {
	Status  int
	Code    int
	Message string
}

func (e *apiError) Error() string { return e.Message }

func errf(status, code int, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error codes of the Error body (error_code). Confluent's REST server maps
// Kafka exceptions to five-digit codes (HTTP status * 100 + a sub-code) and
// answers framework errors (unknown endpoint or cluster, undecodable body,
// wrong method, oversized body) with the bare HTTP status. The HTTP status
// of an answer is always the first three digits. The package documentation
// says which codes are sourced and which are assumed.
const (
	// CodeBadRequest: a Kafka request the server refuses (invalid request,
	// invalid config, topic already exists, policy violation).
	CodeBadRequest = 40002
	// CodeUnauthorized: authentication failed (HTTP 401).
	CodeUnauthorized = 40101
	// CodeForbidden: the caller may not perform the operation (HTTP 403).
	CodeForbidden = 40301
	// CodeUnknownTopic: unknown topic or partition (HTTP 404).
	CodeUnknownTopic = 40403
	// CodeLinkNotFound: unknown cluster link (HTTP 404).
	CodeLinkNotFound = 40404
	// CodeLinkExists: a cluster link of that name already exists (HTTP 409).
	CodeLinkExists = 40902
	// CodeTooManyRequests: rate limited (HTTP 429).
	CodeTooManyRequests = 42901
	// CodeKafkaError: a non-retriable Kafka error (HTTP 500).
	CodeKafkaError = 50002
	// CodeRetriable: a retriable Kafka error (HTTP 500).
	CodeRetriable = 50003
)

// notFound is the framework's 404 (unknown endpoint, cluster or config):
// the error code is the HTTP status.
func notFound(format string, args ...any) *apiError {
	return errf(http.StatusNotFound, http.StatusNotFound, format, args...)
}

// unknownTopic is Kafka's UnknownTopicOrPartition.
func unknownTopic(format string, args ...any) *apiError {
	return errf(http.StatusNotFound, CodeUnknownTopic, format, args...)
}

// linkNotFound is Kafka's ClusterLinkNotFound.
func linkNotFound(format string, args ...any) *apiError {
	return errf(http.StatusNotFound, CodeLinkNotFound, format, args...)
}

// badRequest is a request Kafka refuses (InvalidRequest, InvalidConfiguration,
// TopicExists, ...).
func badRequest(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, CodeBadRequest, format, args...)
}

// malformed is the framework's 400: a body or query parameter that cannot be
// decoded, or a required field missing; the error code is the HTTP status.
func malformed(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, http.StatusBadRequest, format, args...)
}

// errorBody is the spec's Error schema.
type errorBody struct {
	ErrorCode int     `json:"error_code"`
	Message   *string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error_code":50002,"message":"encoding failure"}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeError(w http.ResponseWriter, e *apiError) {
	msg := e.Message
	writeJSON(w, e.Status, errorBody{ErrorCode: e.Code, Message: &msg})
}

// response is what a route handler produces.
type response struct {
	status int
	body   any // nil: no body
}

type handlerFunc func(r *http.Request, p params) (response, *apiError)

type params map[string]string

type route struct {
	method   string
	template string
	segs     []string
	literals int
	h        handlerFunc
}

func (c *Cluster) routes() []*route {
	const (
		cl    = "/clusters/{cluster_id}"
		links = cl + "/links"
		lnk   = links + "/{link_name}"
	)
	rs := []*route{
		{method: http.MethodGet, template: "/clusters", h: c.listClusters},
		{method: http.MethodGet, template: cl, h: c.getCluster},
		{method: http.MethodGet, template: cl + "/topics", h: c.listTopics},
		{method: http.MethodGet, template: cl + "/topics/{topic_name}", h: c.getTopic},
		{method: http.MethodDelete, template: cl + "/topics/{topic_name}", h: c.deleteTopic},
		{method: http.MethodGet, template: links, h: c.listLinks},
		{method: http.MethodPost, template: links, h: c.createLink},
		{method: http.MethodGet, template: lnk, h: c.getLink},
		{method: http.MethodDelete, template: lnk, h: c.deleteLink},
		{method: http.MethodGet, template: lnk + "/configs", h: c.listLinkConfigs},
		{method: http.MethodGet, template: lnk + "/configs/{config_name}", h: c.getLinkConfig},
		{method: http.MethodPut, template: lnk + "/configs/{config_name}", h: c.putLinkConfig},
		{method: http.MethodDelete, template: lnk + "/configs/{config_name}", h: c.deleteLinkConfig},
		{method: http.MethodPut, template: lnk + "/configs:alter", h: c.alterLinkConfigs},
		{method: http.MethodPost, template: lnk + "/configs:alter", h: c.alterLinkConfigs},
		{method: http.MethodGet, template: links + "/-/mirrors", h: c.listMirrors(true)},
		{method: http.MethodGet, template: lnk + "/mirrors", h: c.listMirrors(false)},
		{method: http.MethodPost, template: lnk + "/mirrors", h: c.createMirror},
		{method: http.MethodGet, template: lnk + "/mirrors/{mirror_topic_name}", h: c.getMirror},
	}
	for _, a := range mirrorActions {
		rs = append(rs, &route{method: http.MethodPost, template: lnk + "/mirrors:" + a, h: c.alterMirrors(a)})
	}
	for _, r := range rs {
		r.segs = strings.Split(strings.TrimPrefix(r.template, "/"), "/")
		for _, s := range r.segs {
			if !strings.HasPrefix(s, "{") {
				r.literals++
			}
		}
	}
	return rs
}

func (rt *route) match(segs []string) (params, bool) {
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	p := params{}
	for i, s := range rt.segs {
		if strings.HasPrefix(s, "{") {
			if segs[i] == "" {
				return nil, false
			}
			p[strings.Trim(s, "{}")] = segs[i]
		} else if s != segs[i] {
			return nil, false
		}
	}
	return p, true
}

// find returns the best route for the path, the allowed methods when only
// the method did not match, and the matched template.
func findRoute(rs []*route, method, path string) (*route, params, []string, string) {
	var segs []string
	for _, s := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, nil, nil, ""
		}
		segs = append(segs, u)
	}
	var best *route
	var bestP params
	var allowed []string
	template := ""
	bestLit := -1
	for _, rt := range rs {
		p, ok := rt.match(segs)
		if !ok {
			continue
		}
		if rt.literals > bestLit {
			bestLit, template, allowed, best, bestP = rt.literals, rt.template, nil, nil, nil
		}
		if rt.literals < bestLit {
			continue
		}
		allowed = append(allowed, rt.method)
		if rt.method == method {
			best, bestP = rt, p
		}
	}
	return best, bestP, allowed, template
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

type clusterHandler struct {
	c      *Cluster
	routes []*route
}

func (c *Cluster) newHandler() http.Handler {
	return &clusterHandler{c: c, routes: c.routes()}
}

func (h *clusterHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, e := h.c, h.c.e
	if r.URL.Path == "/admin" || strings.HasPrefix(r.URL.Path, "/admin/") {
		if _, ok := c.authorized(r); !ok {
			c.unauthorized(w)
			return
		}
		c.serveAdmin(w, r)
		return
	}
	path := r.URL.EscapedPath()
	var rt *route
	var p params
	var allowed []string
	template := ""
	inPrefix := e.opts.prefix == "" || path == e.opts.prefix || strings.HasPrefix(path, e.opts.prefix+"/")
	if inPrefix {
		rt, p, allowed, template = findRoute(h.routes, r.Method, strings.TrimPrefix(path, e.opts.prefix))
	}
	req := Request{Cluster: c.cfg.ID, Method: r.Method, Path: r.URL.Path, Endpoint: template, Time: e.now(), UserAgent: r.UserAgent(),
		Query: r.URL.RawQuery}
	req.ValidateOnly, _ = strconv.ParseBool(r.URL.Query().Get("validate_only"))
	req.Username, _, _ = r.BasicAuth()

	// Faults.
	e.mu.Lock()
	var f Faults
	if ff := e.faults[c.cfg.ID]; ff != nil {
		f = *ff
		switch {
		case ff.DropConnections > 0:
			ff.DropConnections--
			f.TooManyRequests, f.ErrorRate = 0, 0
		case ff.TooManyRequests > 0:
			ff.TooManyRequests--
			f.DropConnections, f.ErrorRate = 0, 0
		default:
			f.DropConnections, f.TooManyRequests = 0, 0
			if f.ErrorRate > 0 && e.rnd.Float64() >= f.ErrorRate {
				f.ErrorRate = 0
			}
		}
	}
	e.mu.Unlock()
	if d := e.opts.latency + f.Latency; d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
	}
	if f.DropConnections > 0 {
		e.record(req)
		dropConnection(w)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		req.Code = sw.code
		e.record(req)
	}()
	switch {
	case f.TooManyRequests > 0:
		sw.Header().Set("Retry-After", "1")
		if f.HTML429 {
			sw.Header().Set("Content-Type", "text/html; charset=utf-8")
			sw.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(sw, "<html> <head> <meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/> <title>Error 429 Too Many Requests</title> </head> <body> <h2>HTTP ERROR 429 Too Many Requests</h2> <table> <tr> <th>URI:</th> <td>"+html.EscapeString(r.URL.Path)+"</td> </tr> <tr> <th>STATUS:</th> <td>429</td> </tr> <tr> <th>MESSAGE:</th> <td>Too Many Requests</td> </tr> </table> </body> </html>\n")
			return
		}
		writeError(sw, errf(http.StatusTooManyRequests, CodeTooManyRequests, "Too many requests"))
		return
	case f.ErrorRate > 0:
		writeError(sw, errf(http.StatusInternalServerError, CodeRetriable, "Internal server error (injected retriable fault)"))
		return
	}
	clientID, authOK := c.authorized(r)
	req.ClientID = clientID
	if f.AuthFailure || !authOK {
		c.unauthorized(sw)
		return
	}
	if rt == nil {
		if len(allowed) > 0 {
			sw.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(sw, errf(http.StatusMethodNotAllowed, 405, "HTTP %s is not supported on %s", r.Method, template))
			return
		}
		writeError(sw, notFound("No such endpoint: %s %s", r.Method, r.URL.Path))
		return
	}
	if id, ok := p["cluster_id"]; ok && id != c.cfg.ID {
		writeError(sw, notFound("Cluster '%s' not found", id))
		return
	}
	resp, aerr := rt.h(r, p)
	if aerr != nil {
		writeError(sw, aerr)
		return
	}
	if resp.body == nil {
		sw.WriteHeader(resp.status)
		return
	}
	writeJSON(sw, resp.status, resp.body)
}

func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// authorized checks the request's credentials and returns the OAuth client
// of its bearer token, if any.
func (c *Cluster) authorized(r *http.Request) (clientID string, ok bool) {
	cfg := c.cfg
	a := r.Header.Get("Authorization")
	bearer, isBearer := "", len(a) > 7 && strings.EqualFold(a[:7], "Bearer ")
	if isBearer {
		bearer = strings.TrimSpace(a[7:])
	}
	if cfg.RequireOAuth {
		if !isBearer {
			return "", false
		}
		c.e.mu.Lock()
		defer c.e.mu.Unlock()
		return c.e.tokenClient(bearer)
	}
	if cfg.Username == "" && cfg.BearerToken == "" {
		return "", true
	}
	if cfg.Username != "" {
		if u, pw, ok := r.BasicAuth(); ok &&
			subtle.ConstantTimeCompare([]byte(u), []byte(cfg.Username)) == 1 &&
			subtle.ConstantTimeCompare([]byte(pw), []byte(cfg.Password)) == 1 {
			return "", true
		}
	}
	if cfg.BearerToken != "" && isBearer &&
		subtle.ConstantTimeCompare([]byte(bearer), []byte(cfg.BearerToken)) == 1 {
		return "", true
	}
	return "", false
}

// unauthorized answers 401 with the challenge of the cluster's scheme.
func (c *Cluster) unauthorized(w http.ResponseWriter) {
	msg := "Authentication failed"
	if c.cfg.RequireOAuth {
		// RFC 6750 §3: a missing, unknown or expired token.
		w.Header().Set("WWW-Authenticate", `Bearer realm="kafka-rest", error="invalid_token"`)
		msg = "Authentication failed: an unexpired OAuth bearer token issued by the token endpoint is required"
	} else {
		w.Header().Set("WWW-Authenticate", `Basic realm="kafka-rest"`)
	}
	writeError(w, errf(http.StatusUnauthorized, CodeUnauthorized, "%s", msg))
}

// ---- request helpers ----

// MaxRequestBody is the largest request body the emulator accepts; larger
// bodies get 413 with the spec's Error body.
const MaxRequestBody = 1 << 20

func decodeBody(r *http.Request, v any) *apiError {
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody+1))
	if err != nil {
		return malformed("cannot read request body: %v", err)
	}
	if len(b) > MaxRequestBody {
		return errf(http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge,
			"Request body is larger than %d bytes", MaxRequestBody)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return malformed("Malformed JSON request body: %v", err)
	}
	return nil
}

func queryBool(r *http.Request, name string, def bool) (bool, *apiError) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, malformed("Invalid value '%s' for query parameter '%s'", v, name)
	}
	return b, nil
}

// queryBools parses boolean query parameters that default to false, in order.
func queryBools(r *http.Request, names ...string) ([]bool, *apiError) {
	out := make([]bool, len(names))
	for i, n := range names {
		b, aerr := queryBool(r, n, false)
		if aerr != nil {
			return nil, aerr
		}
		out[i] = b
	}
	return out, nil
}

func (c *Cluster) baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host + c.e.opts.prefix
}

func esc(s string) string { return url.PathEscape(s) }

// ---- JSON shapes (spec schemas) ----

type resourceMetadata struct {
	Self         string  `json:"self"`
	ResourceName *string `json:"resource_name,omitempty"`
}

type collectionMetadata struct {
	Self string  `json:"self"`
	Next *string `json:"next"`
}

type collection struct {
	Kind     string             `json:"kind"`
	Metadata collectionMetadata `json:"metadata"`
	Data     any                `json:"data"`
}

func newCollection(kind, self string, data any) collection {
	return collection{Kind: kind, Metadata: collectionMetadata{Self: self}, Data: data}
}

type relationship struct {
	Related string `json:"related"`
}

func strp(s string) *string { return &s }

func (c *Cluster) crn(parts ...string) *string {
	return strp("crn:///kafka=" + c.cfg.ID + strings.Join(parts, ""))
}

// ---- clusters & topics ----

func (c *Cluster) clusterData(base string) map[string]any {
	self := base + "/clusters/" + esc(c.cfg.ID)
	return map[string]any{
		"kind":                    "KafkaCluster",
		"metadata":                resourceMetadata{Self: self, ResourceName: c.crn()},
		"cluster_id":              c.cfg.ID,
		"controller":              relationship{self + "/brokers/1"},
		"acls":                    relationship{self + "/acls"},
		"brokers":                 relationship{self + "/brokers"},
		"broker_configs":          relationship{self + "/broker-configs"},
		"consumer_groups":         relationship{self + "/consumer-groups"},
		"topics":                  relationship{self + "/topics"},
		"partition_reassignments": relationship{self + "/topics/-/partitions/-/reassignment"},
	}
}

func (c *Cluster) listClusters(r *http.Request, _ params) (response, *apiError) {
	base := c.baseURL(r)
	return response{200, newCollection("KafkaClusterList", base+"/clusters", []any{c.clusterData(base)})}, nil
}

func (c *Cluster) getCluster(r *http.Request, _ params) (response, *apiError) {
	return response{200, c.clusterData(c.baseURL(r))}, nil
}

func (c *Cluster) getTopic(r *http.Request, p params) (response, *apiError) {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	t := c.topics[p["topic_name"]]
	if t == nil {
		return response{}, unknownTopic("Topic '%s' not found", p["topic_name"])
	}
	return response{200, c.topicData(c.baseURL(r), t)}, nil
}

// listTopics answers GET /clusters/{cluster_id}/topics (Confluent's CLI
// lists topics this way).
func (c *Cluster) listTopics(r *http.Request, _ params) (response, *apiError) {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	base := c.baseURL(r)
	data := []any{}
	for _, name := range sortedKeys(c.topics) {
		data = append(data, c.topicData(base, c.topics[name]))
	}
	return response{200, newCollection("KafkaTopicList", base+"/clusters/"+esc(c.cfg.ID)+"/topics", data)}, nil
}

func (c *Cluster) topicData(base string, t *topic) map[string]any {
	self := base + "/clusters/" + esc(c.cfg.ID) + "/topics/" + esc(t.name)
	return map[string]any{
		"kind":                    "KafkaTopic",
		"metadata":                resourceMetadata{Self: self, ResourceName: c.crn("/topic=", t.name)},
		"cluster_id":              c.cfg.ID,
		"topic_name":              t.name,
		"is_internal":             false,
		"replication_factor":      3,
		"partitions_count":        t.partitions,
		"partitions":              relationship{self + "/partitions"},
		"configs":                 relationship{self + "/configs"},
		"partition_reassignments": relationship{self + "/partitions/-/reassignment"},
	}
}

func (c *Cluster) deleteTopic(_ *http.Request, p params) (response, *apiError) {
	c.e.lockSynced()
	defer c.e.mu.Unlock()
	name := p["topic_name"]
	link := ""
	for _, l := range c.links {
		if l.mirrors[name] != nil {
			link = l.name
		}
	}
	if !c.deleteTopicLocked(name) {
		return response{}, unknownTopic("Topic '%s' not found", name)
	}
	c.audit(link, name, "delete", true)
	return response{status: http.StatusNoContent}, nil
}
