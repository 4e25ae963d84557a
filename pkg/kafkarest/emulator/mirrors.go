package emulator

import (
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
)

var mirrorActions = []string{
	"promote", "failover", "pause", "resume",
	"reverse-and-start-mirror", "reverse-and-pause-mirror", "truncate-and-restore",
}

var mirrorStatuses = map[string]bool{
	StatusActive: true, StatusFailed: true, StatusLinkFailed: true, StatusLinkPaused: true,
	StatusPaused: true, StatusPendingStopped: true, StatusSourceUnavailable: true, StatusStopped: true,
	"PENDING_MIRROR": true, "PENDING_SYNCHRONIZE": true, "PENDING_SETUP_FOR_RESTORE": true, "PENDING_RESTORE": true,
}

type mirrorLag struct {
	Partition             int   `json:"partition"`
	Lag                   int64 `json:"lag"`
	LastSourceFetchOffset int64 `json:"last_source_fetch_offset"`
}

func (c *Cluster) mirrorLags(m *mirror, now time.Time) []mirrorLag {
	lag := c.e.lag(m, now)
	elapsed := int64(now.Sub(m.lagStart).Seconds())
	out := make([]mirrorLag, 0, m.partitions)
	for p := 0; p < m.partitions; p++ {
		out = append(out, mirrorLag{Partition: p, Lag: lag, LastSourceFetchOffset: 1000 + 10*max(elapsed, 0)})
	}
	return out
}

func (c *Cluster) mirrorData(base string, l *link, m *mirror, now time.Time, includeErrors bool) map[string]any {
	status := c.mirrorStatus(l, m, now)
	d := map[string]any{
		"kind": "KafkaMirrorData",
		"metadata": resourceMetadata{
			Self:         base + "/clusters/" + esc(c.cfg.ID) + "/links/" + esc(l.name) + "/mirrors/" + esc(m.name),
			ResourceName: c.crn("/cluster-link=", l.name, "/topic=", m.name),
		},
		"link_name":          l.name,
		"mirror_topic_name":  m.name,
		"source_topic_name":  m.sourceTopic,
		"num_partitions":     m.partitions,
		"mirror_lags":        c.mirrorLags(m, now),
		"mirror_status":      status,
		"mirror_topic_error": "NO_ERROR",
		"state_time_ms":      m.stateTime.UnixMilli(),
	}
	if includeErrors {
		d["mirror_state_transition_errors"] = []any{}
	}
	return d
}

func parseStatusFilter(r *http.Request) (map[string]bool, *apiError) {
	v := r.URL.Query().Get("mirror_status")
	if v == "" {
		return nil, nil
	}
	f := map[string]bool{}
	for _, s := range strings.Split(v, ",") {
		s = strings.ToUpper(strings.TrimSpace(s))
		if !mirrorStatuses[s] {
			return nil, malformed("Invalid mirror_status '%s'", s)
		}
		f[s] = true
	}
	return f, nil
}

func (c *Cluster) collectMirrors(base string, ls []*link, filter map[string]bool, includeErrors bool) []any {
	now := c.e.now()
	data := []any{}
	for _, l := range ls {
		c.autoCreate(l, now)
		for _, n := range sortedKeys(l.mirrors) {
			m := l.mirrors[n]
			if filter != nil && !filter[c.mirrorStatus(l, m, now)] {
				continue
			}
			data = append(data, c.mirrorData(base, l, m, now, includeErrors))
		}
	}
	return data
}

// listMirrors answers GET .../links/{link_name}/mirrors, and with
// allLinks GET .../links/-/mirrors.
func (c *Cluster) listMirrors(allLinks bool) handlerFunc {
	return func(r *http.Request, p params) (response, *apiError) {
		filter, aerr := parseStatusFilter(r)
		if aerr != nil {
			return response{}, aerr
		}
		includeErrors, aerr := queryBool(r, "include_state_transition_errors", false)
		if aerr != nil {
			return response{}, aerr
		}
		c.e.lockSynced()
		defer c.e.mu.Unlock()
		var ls []*link
		linkSeg := "-"
		if allLinks {
			for _, n := range sortedKeys(c.links) {
				ls = append(ls, c.links[n])
			}
		} else {
			l, aerr := c.lookupLink(p["link_name"])
			if aerr != nil {
				return response{}, aerr
			}
			ls, linkSeg = []*link{l}, esc(l.name)
		}
		base := c.baseURL(r)
		return response{200, newCollection("KafkaMirrorDataList",
			base+"/clusters/"+esc(c.cfg.ID)+"/links/"+linkSeg+"/mirrors",
			c.collectMirrors(base, ls, filter, includeErrors))}, nil
	}
}

func (c *Cluster) getMirror(r *http.Request, p params) (response, *apiError) {
	includeErrors, aerr := queryBool(r, "include_state_transition_errors", false)
	if aerr != nil {
		return response{}, aerr
	}
	return c.withLink(p, func(l *link) (response, *apiError) {
		m := l.mirrors[p["mirror_topic_name"]]
		if m == nil {
			return response{}, unknownTopic("Mirror topic '%s' not found on cluster link '%s'", p["mirror_topic_name"], l.name)
		}
		return response{200, c.mirrorData(c.baseURL(r), l, m, c.e.now(), includeErrors)}, nil
	})
}

func (c *Cluster) createMirror(r *http.Request, p params) (response, *apiError) {
	var body struct {
		SourceTopicName   string       `json:"source_topic_name"`
		MirrorTopicName   string       `json:"mirror_topic_name"`
		ReplicationFactor *int         `json:"replication_factor"`
		Configs           []configData `json:"configs"`
	}
	if aerr := decodeBody(r, &body); aerr != nil {
		return response{}, aerr
	}
	if body.SourceTopicName == "" {
		return response{}, malformed("Field 'source_topic_name' is required")
	}
	if body.ReplicationFactor != nil && *body.ReplicationFactor < 0 {
		return response{}, badRequest("Invalid replication_factor %d", *body.ReplicationFactor)
	}
	return c.withLink(p, func(l *link) (response, *apiError) {
		if l.mode == "SOURCE" {
			return response{}, badRequest("Cannot create mirror topics on cluster link '%s' with link.mode=SOURCE", l.name)
		}
		name, aerr := mirrorName(l, body.SourceTopicName, body.MirrorTopicName)
		if aerr != nil {
			return response{}, aerr
		}
		if c.topics[name] != nil {
			return response{}, badRequest("Topic '%s' already exists", name)
		}
		if c.linkState(l) == LinkFailed {
			return response{}, badRequest("Cluster link '%s' is in state FAILED; cannot create mirror topic '%s'", l.name, name)
		}
		partitions := 1
		var src *topic
		if rc := c.e.clusters[l.remoteID]; rc != nil {
			src = rc.topics[body.SourceTopicName]
		}
		if c.remoteReachable(l) && src == nil {
			return response{}, unknownTopic("Topic '%s' not found on source cluster '%s'", body.SourceTopicName, l.remoteID)
		}
		if src != nil {
			partitions = src.partitions
		}
		now := c.e.now()
		c.topics[name] = newTopic(name, partitions)
		l.mirrors[name] = &mirror{
			name: name, sourceTopic: body.SourceTopicName, partitions: partitions,
			status: StatusActive, stateTime: now, lagStart: now, initialLag: c.e.opts.initialLag,
		}
		c.audit(l.name, name, "create", true)
		return response{status: http.StatusCreated}, nil
	})
}

// mirrorName returns the name of a new mirror topic: a mirror topic has its
// source topic's name, prefixed with the link's cluster.link.prefix when the
// link has one. A requested name that differs is refused, as Confluent
// Server refuses it (it cannot rename topics).
func mirrorName(l *link, source, requested string) (string, *apiError) {
	prefix := l.configs[ConfigPrefix]
	want := prefix + source
	switch {
	case requested == "" || requested == want:
		return want, nil
	case prefix == "":
		return "", badRequest("Mirror topic name '%s' must be the same as its source topic name '%s': "+
			"cluster link '%s' has no %s", requested, source, l.name, ConfigPrefix)
	default:
		return "", badRequest("Mirror topic name '%s' must be the source topic name '%s' prefixed with "+
			"the %s '%s' of cluster link '%s', that is '%s'", requested, source, ConfigPrefix, prefix, l.name, want)
	}
}

// ---- batch actions ----

type alterResult struct {
	name      string
	code      int
	msg       string
	truncated bool
}

func (c *Cluster) selectMirrors(l *link, names []string, pattern string) ([]string, *apiError) {
	if len(names) > 0 {
		return names, nil
	}
	if pattern == "" {
		return nil, badRequest("One of 'mirror_topic_names' or 'mirror_topic_name_pattern' is required")
	}
	var re *regexp.Regexp
	if pattern != "*" {
		var err error
		if re, err = regexp.Compile("^(?:" + pattern + ")$"); err != nil {
			re = nil
		}
	}
	var out []string
	for _, n := range sortedKeys(l.mirrors) {
		g, _ := path.Match(pattern, n)
		if pattern == "*" || g || re != nil && re.MatchString(n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func (c *Cluster) alterMirrors(action string) handlerFunc {
	return func(r *http.Request, p params) (response, *apiError) {
		q, aerr := queryBools(r, "validate_only", "include_partition_level_truncation_data")
		if aerr != nil {
			return response{}, aerr
		}
		validateOnly, includeTrunc := q[0], q[1]
		var body struct {
			Names   []string `json:"mirror_topic_names"`
			Pattern string   `json:"mirror_topic_name_pattern"`
		}
		if aerr := decodeBody(r, &body); aerr != nil {
			return response{}, aerr
		}
		return c.withLink(p, func(l *link) (response, *apiError) {
			names, aerr := c.selectMirrors(l, body.Names, body.Pattern)
			if aerr != nil {
				return response{}, aerr
			}
			now := c.e.now()
			base := c.baseURL(r)
			data := []any{}
			for _, n := range names {
				m := l.mirrors[n]
				res := c.applyAction(action, l, n, now, validateOnly)
				if !validateOnly {
					c.audit(l.name, n, action, res.code == 0)
				}
				d := map[string]any{
					"kind": "AlterMirrorStatusResponseData",
					"metadata": resourceMetadata{
						Self:         base + "/clusters/" + esc(c.cfg.ID) + "/links/" + esc(l.name) + "/mirrors/" + esc(n),
						ResourceName: c.crn("/cluster-link=", l.name, "/topic=", n),
					},
					"mirror_topic_name":               n,
					"error_code":                      nil,
					"error_message":                   nil,
					"mirror_lags":                     []mirrorLag{},
					"messages_truncated":              nil,
					"partition_level_truncation_data": []any{},
				}
				if m != nil {
					d["mirror_lags"] = c.mirrorLags(m, now)
				}
				if res.code != 0 {
					d["error_code"], d["error_message"] = res.code, res.msg
				}
				if res.truncated {
					d["messages_truncated"] = 0
					if includeTrunc {
						trunc := []any{}
						for i := 0; i < m.partitions; i++ {
							trunc = append(trunc, map[string]any{"partition_id": i, "offset_truncated_to": 1000, "messages_truncated": 0})
						}
						d["partition_level_truncation_data"] = trunc
					}
				}
				data = append(data, d)
			}
			return response{200, newCollection("KafkaAlterMirrorStatusList",
				base+"/clusters/"+esc(c.cfg.ID)+"/links/"+esc(l.name)+"/mirrors:"+action, data)}, nil
		})
	}
}

func fail(name string, code int, format string, args ...any) alterResult {
	return alterResult{name: name, code: code, msg: sprintf(format, args...)}
}

// applyAction runs one batch action on one topic (callers hold e.mu).
func (c *Cluster) applyAction(action string, l *link, name string, now time.Time, validateOnly bool) alterResult {
	m := l.mirrors[name]
	if m == nil {
		if c.topics[name] != nil {
			return fail(name, 400, "Topic '%s' is not a mirror topic of cluster link '%s'", name, l.name)
		}
		return fail(name, 404, "Topic '%s' not found", name)
	}
	c.e.settle(m, now)
	stopped := m.status == StatusStopped || m.status == StatusPendingStopped
	alreadyStopped := fail(name, 400, "Topic '%s' has already stopped its mirror from '%s'", name, l.name)
	status := c.mirrorStatus(l, m, now)
	lag := c.e.lag(m, now)
	ok := alterResult{name: name}
	stop := func() {
		if validateOnly {
			return
		}
		m.stopAt = now.Add(c.e.opts.stopDelay)
		m.status, m.stateTime = StatusPendingStopped, now
		c.e.settle(m, now)
	}
	switch action {
	case "promote":
		if stopped {
			return alreadyStopped
		}
		if !c.sourceAvailable(l) {
			return fail(name, 400, "Cannot promote topic '%s': the source cluster of link '%s' is unavailable (status %s); use failover instead", name, l.name, status)
		}
		if lag > 0 {
			return fail(name, 400, "Cannot promote topic '%s': mirror lag is %d on some partitions, it must be 0; wait or use failover", name, lag)
		}
		stop()
		return ok
	case "failover":
		if stopped {
			return alreadyStopped
		}
		stop()
		return ok
	case "pause":
		if stopped {
			return fail(name, 400, "Cannot pause topic '%s': its mirror is %s", name, m.status)
		}
		if !validateOnly && m.status != StatusPaused {
			m.status, m.stateTime = StatusPaused, now
		}
		return ok
	case "resume":
		if stopped {
			return fail(name, 400, "Cannot resume topic '%s': its mirror is %s", name, m.status)
		}
		if !validateOnly && m.status != StatusActive {
			m.status, m.stateTime = StatusActive, now
		}
		return ok
	case "reverse-and-start-mirror", "reverse-and-pause-mirror":
		if l.mode != "BIDIRECTIONAL" {
			return fail(name, 400, "Cannot reverse topic '%s': cluster link '%s' is not bidirectional (link.mode=%s)", name, l.name, l.mode)
		}
		if stopped {
			return alreadyStopped
		}
		if !c.sourceAvailable(l) {
			return fail(name, 400, "Cannot reverse topic '%s': the remote cluster of link '%s' is unavailable", name, l.name)
		}
		if lag > 0 {
			return fail(name, 400, "Cannot reverse topic '%s': mirror lag is %d, it must be 0", name, lag)
		}
		rc := c.e.clusters[l.remoteID]
		rl := rc.links[l.name]
		if rl == nil {
			return fail(name, 400, "Cannot reverse topic '%s': remote cluster '%s' has no cluster link '%s'", name, rc.cfg.ID, l.name)
		}
		if rl.mirrors[m.sourceTopic] != nil {
			return fail(name, 400, "Cannot reverse topic '%s': topic '%s' is already a mirror on cluster '%s'", name, m.sourceTopic, rc.cfg.ID)
		}
		if validateOnly {
			return ok
		}
		st := StatusActive
		if action == "reverse-and-pause-mirror" {
			st = StatusPaused
		}
		if rc.topics[m.sourceTopic] == nil {
			rc.topics[m.sourceTopic] = &topic{name: m.sourceTopic, partitions: m.partitions}
		}
		rl.mirrors[m.sourceTopic] = &mirror{
			name: m.sourceTopic, sourceTopic: name, partitions: m.partitions,
			status: st, stateTime: now, lagStart: now,
		}
		delete(l.mirrors, name) // the local topic is now a normal (source) topic
		return ok
	case "truncate-and-restore":
		if m.status != StatusStopped {
			return fail(name, 400, "Cannot truncate and restore topic '%s': its mirror is %s, not STOPPED", name, status)
		}
		if !c.sourceAvailable(l) {
			return fail(name, 400, "Cannot restore topic '%s': the source cluster of link '%s' is unavailable", name, l.name)
		}
		if !validateOnly {
			m.status, m.stateTime, m.lagStart, m.initialLag = StatusActive, now, now, c.e.opts.initialLag
		}
		return alterResult{name: name, truncated: true}
	}
	return fail(name, 400, "Unsupported action '%s'", action)
}
