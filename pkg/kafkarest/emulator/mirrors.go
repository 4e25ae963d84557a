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

// mirrorLags reports every partition's lag and the offset the mirror has
// copied up to (its log-end offset).
func (c *Cluster) mirrorLags(l *link, m *mirror, now time.Time) []mirrorLag {
	lag := c.e.lag(m, now)
	t := c.topics[m.name]
	out := make([]mirrorLag, 0, m.partitions)
	for p := 0; p < m.partitions; p++ {
		out = append(out, mirrorLag{Partition: p, Lag: max(lag, c.partitionLag(l, m, p, now)), LastSourceFetchOffset: t.end(p)})
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
		"mirror_lags":        c.mirrorLags(l, m, now),
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

// partitionTruncation is one PartitionLevelTruncationData.
type partitionTruncation struct {
	Partition         int   `json:"partition_id"`
	OffsetTruncatedTo int64 `json:"offset_truncated_to"`
	MessagesTruncated int64 `json:"messages_truncated"`
}

type alterResult struct {
	name string
	code int
	msg  string
	// truncated is set by truncate-and-restore, also with validate_only.
	truncated []partitionTruncation
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
					"partition_level_truncation_data": []partitionTruncation{},
				}
				if m := l.mirrors[n]; m != nil {
					d["mirror_lags"] = c.mirrorLags(l, m, now)
				}
				if res.code != 0 {
					d["error_code"], d["error_message"] = res.code, res.msg
				}
				if res.truncated != nil {
					var total int64
					for _, t := range res.truncated {
						total += t.MessagesTruncated
					}
					d["messages_truncated"] = total
					if includeTrunc {
						d["partition_level_truncation_data"] = res.truncated
					}
				}
				data = append(data, d)
			}
			return response{200, newCollection("KafkaAlterMirrorStatusList",
				base+"/clusters/"+esc(c.cfg.ID)+"/links/"+esc(l.name)+"/mirrors:"+action, data)}, nil
		})
	}
}

// fail is a per-topic refusal: a precondition the topic does not meet.
func fail(name string, format string, args ...any) alterResult {
	return alterResult{name: name, code: CodeBadRequest, msg: sprintf(format, args...)}
}

// applyAction runs one batch action on one topic (callers hold e.mu and
// synced the mirrors). With validateOnly it answers exactly what the call
// would answer and changes nothing.
func (c *Cluster) applyAction(action string, l *link, name string, now time.Time, validateOnly bool) alterResult {
	m := l.mirrors[name]
	if m == nil {
		if action == "truncate-and-restore" && c.topics[name] != nil {
			return c.restoreFromRemote(l, name, now, validateOnly)
		}
		if c.topics[name] != nil {
			return fail(name, "Topic '%s' is not a mirror topic of cluster link '%s'", name, l.name)
		}
		return alterResult{name: name, code: CodeUnknownTopic, msg: sprintf("Topic '%s' not found", name)}
	}
	c.e.settle(m, now)
	stopped := m.status == StatusStopped || m.status == StatusPendingStopped
	restoring := m.status == StatusPendingSetupForRestore || m.status == StatusPendingRestore
	alreadyStopped := fail(name, "Topic '%s' has already stopped its mirror from '%s'", name, l.name)
	status := c.mirrorStatus(l, m, now)
	lag := c.mirrorLag(l, m, now)
	ok := alterResult{name: name}
	if restoring && action != "truncate-and-restore" {
		return fail(name, "Cannot %s topic '%s': it is being restored (mirror_status %s); wait until it is ACTIVE", action, name, status)
	}
	switch action {
	case "promote":
		if stopped {
			return alreadyStopped
		}
		if !c.sourceAvailable(l) {
			return fail(name, "Cannot promote topic '%s': the source cluster of link '%s' is unavailable (status %s); use failover instead", name, l.name, status)
		}
		if lag > 0 {
			return fail(name, "Cannot promote topic '%s': mirror lag is %d on some partitions, it must be 0; wait or use failover", name, lag)
		}
		if !validateOnly {
			c.stopMirror(m, now)
		}
		return ok
	case "failover":
		if stopped {
			return alreadyStopped
		}
		if !validateOnly {
			c.stopMirror(m, now)
		}
		return ok
	case "pause":
		if stopped {
			return fail(name, "Cannot pause topic '%s': its mirror is %s", name, m.status)
		}
		if !validateOnly && m.status != StatusPaused {
			m.status, m.stateTime = StatusPaused, now
		}
		return ok
	case "resume":
		if stopped {
			return fail(name, "Cannot resume topic '%s': its mirror is %s", name, m.status)
		}
		if !validateOnly && m.status != StatusActive {
			m.status, m.stateTime = StatusActive, now
		}
		return ok
	case "reverse-and-start-mirror", "reverse-and-pause-mirror":
		return c.reverse(action, l, m, lag, now, validateOnly)
	case "truncate-and-restore":
		return c.restore(l, m, status, now, validateOnly)
	}
	return fail(name, "Unsupported action '%s'", action)
}

// stopMirror starts a promote or failover: the topic stops copying now, so
// its offsets now are what it shares with its source.
func (c *Cluster) stopMirror(m *mirror, now time.Time) {
	m.divergence = append([]int64(nil), c.topics[m.name].ends...)
	m.stopAt = now.Add(c.e.opts.stopDelay)
	m.status, m.stateTime = StatusPendingStopped, now
	c.e.settle(m, now)
}

// reverse runs reverse-and-start-mirror or reverse-and-pause-mirror on a
// bidirectional link: the local mirror stops (as by promote) and becomes a
// normal topic, and the remote topic it mirrored becomes a mirror of it
// under the remote side of the link, ACTIVE or PAUSED, from the same
// offsets.
func (c *Cluster) reverse(action string, l *link, m *mirror, lag int64, now time.Time, validateOnly bool) alterResult {
	name := m.name
	if l.mode != "BIDIRECTIONAL" {
		return fail(name, "Cannot reverse topic '%s': cluster link '%s' is not bidirectional (link.mode=%s)", name, l.name, l.mode)
	}
	if m.status == StatusStopped || m.status == StatusPendingStopped {
		return fail(name, "Topic '%s' has already stopped its mirror from '%s'", name, l.name)
	}
	if !c.sourceAvailable(l) {
		return fail(name, "Cannot reverse topic '%s': the remote cluster of link '%s' is unavailable", name, l.name)
	}
	if lag > 0 {
		return fail(name, "Cannot reverse topic '%s': mirror lag is %d, it must be 0", name, lag)
	}
	rc := c.e.clusters[l.remoteID]
	rl := rc.links[l.name]
	if rl == nil {
		return fail(name, "Cannot reverse topic '%s': remote cluster '%s' has no cluster link '%s'", name, rc.cfg.ID, l.name)
	}
	if rm := rl.mirrors[m.sourceTopic]; rm != nil {
		rc.e.settle(rm, now)
		if rm.status != StatusStopped {
			return fail(name, "Cannot reverse topic '%s': topic '%s' is already a mirror on cluster '%s' (mirror_status %s)",
				name, m.sourceTopic, rc.cfg.ID, rm.status)
		}
	}
	if validateOnly {
		return alterResult{name: name}
	}
	st := StatusActive
	if action == "reverse-and-pause-mirror" {
		st = StatusPaused
	}
	local := c.topics[name]
	remote := rc.topics[m.sourceTopic]
	if remote == nil {
		remote = newTopic(m.sourceTopic, len(local.ends))
		rc.topics[m.sourceTopic] = remote
	}
	// Lag 0: both sides hold the same records; the new mirror starts there.
	remote.resize(len(local.ends))
	copy(remote.ends, local.ends)
	rl.mirrors[m.sourceTopic] = &mirror{
		name: m.sourceTopic, sourceTopic: name, partitions: len(local.ends),
		status: st, stateTime: now, lagStart: now,
	}
	c.stopMirror(m, now)
	return alterResult{name: name}
}

// truncation computes, per partition, what truncating topic t to the
// divergence offsets removes.
func truncation(t *topic, divergence []int64) []partitionTruncation {
	out := make([]partitionTruncation, 0, len(t.ends))
	for p, end := range t.ends {
		to := end
		if p < len(divergence) {
			to = min(end, divergence[p])
		}
		out = append(out, partitionTruncation{Partition: p, OffsetTruncatedTo: to, MessagesTruncated: end - to})
	}
	return out
}

// truncateTo truncates a topic as computed by truncation.
func truncateTo(t *topic, tr []partitionTruncation) {
	for _, x := range tr {
		t.ends[x.Partition] = x.OffsetTruncatedTo
	}
}

// startRestore makes m a mirror again, from the offsets the topic was
// truncated to: PENDING_SETUP_FOR_RESTORE, PENDING_RESTORE, then ACTIVE.
func (c *Cluster) startRestore(m *mirror, now time.Time) {
	m.status, m.stateTime, m.restoreAt = StatusPendingSetupForRestore, now, now
	m.lagStart, m.initialLag, m.divergence = now, c.e.opts.initialLag, nil
	c.e.settle(m, now)
}

// restore runs truncate-and-restore on a local STOPPED mirror topic (after a
// promote or failover): the records written to it since it stopped are
// truncated and it mirrors its source again.
func (c *Cluster) restore(l *link, m *mirror, status string, now time.Time, validateOnly bool) alterResult {
	name := m.name
	if m.status != StatusStopped {
		return fail(name, "Cannot truncate and restore topic '%s': its mirror is %s, not STOPPED", name, status)
	}
	if !c.sourceAvailable(l) {
		return fail(name, "Cannot truncate and restore topic '%s': the source cluster of link '%s' is unavailable", name, l.name)
	}
	rc := c.e.clusters[l.remoteID]
	src := rc.topics[m.sourceTopic]
	if src == nil {
		return alterResult{name: name, code: CodeUnknownTopic,
			msg: sprintf("Cannot truncate and restore topic '%s': source topic '%s' not found on cluster '%s'", name, m.sourceTopic, rc.cfg.ID)}
	}
	if rl := rc.links[l.name]; rl != nil {
		if rm := rl.mirrors[m.sourceTopic]; rm != nil && rm.sourceTopic == name {
			rc.e.settle(rm, now)
			if rm.status != StatusStopped {
				return fail(name, "Cannot truncate and restore topic '%s': its source topic '%s' on cluster '%s' is a mirror of it (mirror_status %s)",
					name, m.sourceTopic, rc.cfg.ID, rm.status)
			}
		}
	}
	t := c.topics[name]
	tr := truncation(t, m.divergence)
	if !validateOnly {
		truncateTo(t, tr)
		c.startRestore(m, now)
	}
	return alterResult{name: name, truncated: tr}
}

// restoreFromRemote runs truncate-and-restore on a local topic that is not a
// mirror, on a bidirectional link whose remote side has a STOPPED mirror of
// it (the remote failed over): the local topic is truncated to the offsets
// the remote mirror stopped at and becomes a mirror of the remote topic.
func (c *Cluster) restoreFromRemote(l *link, name string, now time.Time, validateOnly bool) alterResult {
	notMirror := fail(name, "Cannot truncate and restore topic '%s': it is not a mirror topic of cluster link '%s', "+
		"and the remote side of a bidirectional link has no STOPPED mirror of it", name, l.name)
	if l.mode != "BIDIRECTIONAL" {
		return notMirror
	}
	if !c.sourceAvailable(l) {
		return fail(name, "Cannot truncate and restore topic '%s': the remote cluster of link '%s' is unavailable", name, l.name)
	}
	rc := c.e.clusters[l.remoteID]
	rl := rc.links[l.name]
	if rl == nil {
		return notMirror
	}
	var rm *mirror
	for _, n := range sortedKeys(rl.mirrors) {
		if x := rl.mirrors[n]; x.sourceTopic == name {
			rm = x
			break
		}
	}
	if rm == nil {
		return notMirror
	}
	rc.e.settle(rm, now)
	if rm.status != StatusStopped {
		return fail(name, "Cannot truncate and restore topic '%s': its mirror '%s' on cluster '%s' is %s, not STOPPED",
			name, rm.name, rc.cfg.ID, rm.status)
	}
	t := c.topics[name]
	tr := truncation(t, rm.divergence)
	if validateOnly {
		return alterResult{name: name, truncated: tr}
	}
	truncateTo(t, tr)
	m := &mirror{name: name, sourceTopic: rm.name, partitions: len(t.ends)}
	l.mirrors[name] = m
	c.startRestore(m, now)
	return alterResult{name: name, truncated: tr}
}
