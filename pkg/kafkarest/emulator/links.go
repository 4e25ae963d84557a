package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

type configData struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

type createLinkRequest struct {
	SourceClusterID      string       `json:"source_cluster_id"`
	DestinationClusterID string       `json:"destination_cluster_id"`
	RemoteClusterID      string       `json:"remote_cluster_id"`
	ClusterLinkID        string       `json:"cluster_link_id"`
	Configs              []configData `json:"configs"`
}

func (c *Cluster) lookupLink(name string) (*link, *apiError) {
	l := c.links[name]
	if l == nil {
		return nil, linkNotFound("Cluster link '%s' not found", name)
	}
	return l, nil
}

func (c *Cluster) linkData(base string, l *link, includeTasks bool) map[string]any {
	self := base + "/clusters/" + esc(c.cfg.ID) + "/links/" + esc(l.name)
	var src, dst, remote *string
	if l.remoteID != "" {
		remote = strp(l.remoteID)
	}
	switch l.mode {
	case "SOURCE":
		dst = remote
	case "BIDIRECTIONAL":
		src, dst = remote, remote
	default:
		src = remote
	}
	topics := sortedKeys(l.mirrors)
	state := c.linkState(l)
	linkErr, linkErrMsg := "NO_ERROR", (*string)(nil)
	switch {
	case state == LinkFailed:
		linkErr = "UNRESOLVABLE_BOOTSTRAP_ERROR"
		linkErrMsg = strp("Unable to resolve bootstrap servers '" + l.configs[ConfigBootstrap] + "'")
	case state == LinkUnavailable && l.remoteID != "" && c.e.outage[l.remoteID]:
		linkErr = "BOOTSTRAP_TCP_CONNECTION_FAILED_ERROR"
		linkErrMsg = strp("Cannot connect to remote cluster '" + l.remoteID + "'")
	case state == LinkUnavailable && l.mode == "SOURCE":
		linkErr = "TIMEOUT_ERROR"
		linkErrMsg = strp("Waiting for the destination cluster '" + l.remoteID + "' to create its side of cluster link '" +
			l.name + "' (link.mode=DESTINATION, connection.mode=INBOUND)")
	case state == LinkUnavailable:
		linkErr = "TIMEOUT_ERROR"
		linkErrMsg = strp("Waiting for the remote cluster to connect (connection.mode=INBOUND)")
	}
	d := map[string]any{
		"kind":                   "KafkaLinkData",
		"metadata":               resourceMetadata{Self: self, ResourceName: c.crn("/cluster-link=", l.name)},
		"source_cluster_id":      src,
		"destination_cluster_id": dst,
		"remote_cluster_id":      remote,
		"link_name":              l.name,
		"link_id":                l.id,
		"cluster_link_id":        l.id,
		"topic_names":            topics,
		"link_state":             state,
		"link_error":             linkErr,
		"link_error_message":     linkErrMsg,
	}
	if includeTasks {
		taskState := "ACTIVE"
		switch state {
		case LinkFailed:
			taskState = "LINK_FAILED"
		case LinkUnavailable:
			taskState = "LINK_UNAVAILABLE"
		case LinkPaused:
			taskState = "LINK_PAUSED"
		}
		tasks := []map[string]any{}
		for _, n := range []string{"AclSync", "AutoCreateMirror", "ConsumerOffsetSync", "TopicConfigsSync"} {
			tasks = append(tasks, map[string]any{"task_name": n, "state": taskState, "errors": []any{}})
		}
		d["tasks"] = tasks
	}
	return d
}

func (c *Cluster) listLinks(r *http.Request, _ params) (response, *apiError) {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	base := c.baseURL(r)
	data := []any{}
	for _, n := range sortedKeys(c.links) {
		data = append(data, c.linkData(base, c.links[n], false))
	}
	return response{200, newCollection("KafkaLinkDataList", base+"/clusters/"+esc(c.cfg.ID)+"/links", data)}, nil
}

func (c *Cluster) getLink(r *http.Request, p params) (response, *apiError) {
	includeTasks, aerr := queryBool(r, "include_tasks", false)
	if aerr != nil {
		return response{}, aerr
	}
	return c.withLink(p, func(l *link) (response, *apiError) {
		return response{200, c.linkData(c.baseURL(r), l, includeTasks)}, nil
	})
}

var linkModes = map[string]bool{"DESTINATION": true, "SOURCE": true, "BIDIRECTIONAL": true}
var connModes = map[string]bool{"OUTBOUND": true, "INBOUND": true}

func (c *Cluster) createLink(r *http.Request, _ params) (response, *apiError) {
	q := r.URL.Query()
	name := q.Get("link_name")
	validateOnly, aerr := queryBool(r, "validate_only", false)
	if aerr != nil {
		return response{}, aerr
	}
	validateLink, aerr := queryBool(r, "validate_link", true)
	if aerr != nil {
		return response{}, aerr
	}
	var body createLinkRequest
	if aerr := decodeBody(r, &body); aerr != nil {
		return response{}, aerr
	}
	if name == "" {
		return response{}, malformed("Query parameter 'link_name' is required")
	}
	if strings.ContainsAny(name, "/ ") || name == "-" {
		return response{}, badRequest("Invalid cluster link name '%s'", name)
	}
	configs := map[string]string{}
	for _, cd := range body.Configs {
		if cd.Name == "" {
			return response{}, badRequest("Config name must not be empty")
		}
		if cd.Value != nil {
			configs[cd.Name] = *cd.Value
		}
	}
	mode := strings.ToUpper(configs[ConfigLinkMode])
	if mode == "" {
		mode = "DESTINATION"
	}
	if !linkModes[mode] {
		return response{}, badRequest("Invalid value '%s' for config '%s'", configs[ConfigLinkMode], ConfigLinkMode)
	}
	connMode := strings.ToUpper(configs[ConfigConnectionMode])
	if connMode == "" {
		connMode = "OUTBOUND"
	}
	if !connModes[connMode] {
		return response{}, badRequest("Invalid value '%s' for config '%s'", configs[ConfigConnectionMode], ConfigConnectionMode)
	}

	c.e.lockSynced()
	defer c.e.mu.Unlock()
	if c.links[name] != nil {
		return response{}, errf(http.StatusConflict, CodeLinkExists, "Cluster link '%s' already exists", name)
	}
	var ids []string
	switch mode {
	case "SOURCE":
		ids = []string{body.DestinationClusterID, body.RemoteClusterID}
	case "BIDIRECTIONAL":
		ids = []string{body.RemoteClusterID, body.SourceClusterID, body.DestinationClusterID}
	default:
		ids = []string{body.SourceClusterID, body.RemoteClusterID}
	}
	remote := c.e.resolveRemote(ids, configs[ConfigBootstrap])
	if remote == c.cfg.ID {
		return response{}, badRequest("Cluster link '%s' cannot link cluster '%s' to itself", name, c.cfg.ID)
	}
	if remote == "" {
		if connMode == "INBOUND" {
			for _, id := range ids {
				if id != "" {
					remote = id
					break
				}
			}
			if remote == "" {
				return response{}, badRequest("An INBOUND cluster link requires the remote cluster ID (source_cluster_id or remote_cluster_id)")
			}
		} else if validateLink {
			if configs[ConfigBootstrap] == "" {
				return response{}, badRequest("Cluster link '%s': config '%s' is required", name, ConfigBootstrap)
			}
			return response{}, badRequest("Cluster link '%s': unable to connect to the remote cluster at '%s'", name, configs[ConfigBootstrap])
		}
	}
	if validateOnly {
		return response{status: http.StatusNoContent}, nil
	}
	id := body.ClusterLinkID
	if rc := c.e.clusters[remote]; id == "" && rc != nil && rc.links[name] != nil {
		id = rc.links[name].id // second side of a link shares its ID
	}
	if id == "" {
		c.e.linkSeq++
		sum := sha256.Sum256([]byte(c.cfg.ID + "/" + name + "/" + string(rune(c.e.linkSeq))))
		id = base64.RawURLEncoding.EncodeToString(sum[:16])
	}
	c.links[name] = &link{
		name: name, id: id, mode: mode, connMode: connMode, remoteID: remote,
		configs: configs, created: c.e.now(), mirrors: map[string]*mirror{},
	}
	return response{status: http.StatusCreated}, nil
}

func (c *Cluster) deleteLink(r *http.Request, p params) (response, *apiError) {
	q, aerr := queryBools(r, "force", "validate_only")
	if aerr != nil {
		return response{}, aerr
	}
	force, validateOnly := q[0], q[1]
	return c.withLink(p, func(l *link) (response, *apiError) {
		if !force {
			now := c.e.now()
			for _, m := range l.mirrors {
				c.e.settle(m, now)
				if m.status != StatusStopped {
					return response{}, badRequest("Cluster link '%s' has active mirror topics; stop them or use force=true", l.name)
				}
			}
		}
		if !validateOnly {
			// Mirror topics stay as normal topics.
			delete(c.links, l.name)
		}
		return response{status: http.StatusOK}, nil
	})
}

// ---- link configs ----

var readOnlyConfigs = map[string]bool{ConfigLinkMode: true, ConfigConnectionMode: true}

var defaultConfigs = map[string]string{ConfigLinkMode: "DESTINATION", ConfigConnectionMode: "OUTBOUND"}

func (c *Cluster) configData(base string, l *link, name string) map[string]any {
	v, set := l.configs[name]
	isDefault := false
	if !set {
		v, isDefault = defaultConfigs[name], true
		if name == ConfigLinkMode {
			v = l.mode
		}
		if name == ConfigConnectionMode {
			v = l.connMode
		}
	}
	var value *string
	sensitive := isSensitive(name)
	if !sensitive {
		value = &v
	}
	return map[string]any{
		"kind": "KafkaLinkConfigData",
		"metadata": resourceMetadata{
			Self:         base + "/clusters/" + esc(c.cfg.ID) + "/links/" + esc(l.name) + "/configs/" + esc(name),
			ResourceName: c.crn("/cluster-link=", l.name, "/config=", name),
		},
		"cluster_id":   c.cfg.ID,
		"link_name":    l.name,
		"name":         name,
		"value":        value,
		"is_default":   isDefault,
		"is_read_only": readOnlyConfigs[name],
		"is_sensitive": sensitive,
		"source":       "DYNAMIC_CLUSTER_LINK_CONFIG",
		"synonyms":     []string{},
	}
}

func (c *Cluster) configNames(l *link) []string {
	names := sortedKeys(l.configs)
	for _, d := range sortedKeys(defaultConfigs) {
		if _, ok := l.configs[d]; !ok {
			names = append(names, d)
		}
	}
	return names
}

func (c *Cluster) listLinkConfigs(r *http.Request, p params) (response, *apiError) {
	return c.withLink(p, func(l *link) (response, *apiError) {
		base := c.baseURL(r)
		data := []any{}
		for _, n := range c.configNames(l) {
			data = append(data, c.configData(base, l, n))
		}
		return response{200, newCollection("KafkaLinkConfigDataList",
			base+"/clusters/"+esc(c.cfg.ID)+"/links/"+esc(l.name)+"/configs", data)}, nil
	})
}

func (c *Cluster) getLinkConfig(r *http.Request, p params) (response, *apiError) {
	return c.withLink(p, func(l *link) (response, *apiError) {
		name := p["config_name"]
		if _, ok := l.configs[name]; !ok {
			if _, ok := defaultConfigs[name]; !ok {
				return response{}, notFound("Config '%s' not found on cluster link '%s'", name, l.name)
			}
		}
		return response{200, c.configData(c.baseURL(r), l, name)}, nil
	})
}

func checkWritable(name string) *apiError {
	if readOnlyConfigs[name] {
		return badRequest("Config '%s' is read-only and cannot be altered", name)
	}
	if name == "" {
		return badRequest("Config name must not be empty")
	}
	return nil
}

func (c *Cluster) putLinkConfig(r *http.Request, p params) (response, *apiError) {
	var body struct {
		Value *string `json:"value"`
	}
	if aerr := decodeBody(r, &body); aerr != nil {
		return response{}, aerr
	}
	if body.Value == nil {
		return response{}, malformed("Field 'value' is required")
	}
	return c.withLink(p, func(l *link) (response, *apiError) {
		if aerr := checkWritable(p["config_name"]); aerr != nil {
			return response{}, aerr
		}
		l.configs[p["config_name"]] = *body.Value
		return response{status: http.StatusNoContent}, nil
	})
}

func (c *Cluster) deleteLinkConfig(_ *http.Request, p params) (response, *apiError) {
	return c.withLink(p, func(l *link) (response, *apiError) {
		name := p["config_name"]
		if aerr := checkWritable(name); aerr != nil {
			return response{}, aerr
		}
		if _, ok := l.configs[name]; !ok {
			return response{}, notFound("Config '%s' not found on cluster link '%s'", name, l.name)
		}
		delete(l.configs, name)
		return response{status: http.StatusNoContent}, nil
	})
}

func (c *Cluster) alterLinkConfigs(r *http.Request, p params) (response, *apiError) {
	var body struct {
		Data []struct {
			Name      string  `json:"name"`
			Value     *string `json:"value"`
			Operation *string `json:"operation"`
		} `json:"data"`
		ValidateOnly bool `json:"validate_only"`
	}
	if aerr := decodeBody(r, &body); aerr != nil {
		return response{}, aerr
	}
	validateOnly, aerr := queryBool(r, "validate_only", body.ValidateOnly)
	if aerr != nil {
		return response{}, aerr
	}
	if body.Data == nil {
		return response{}, malformed("Field 'data' is required")
	}
	for _, d := range body.Data {
		if aerr := checkWritable(d.Name); aerr != nil {
			return response{}, aerr
		}
		op := "SET"
		if d.Operation != nil && *d.Operation != "" {
			op = strings.ToUpper(*d.Operation)
		}
		switch op {
		case "SET":
			if d.Value == nil {
				return response{}, badRequest("Config '%s': a value is required for operation SET", d.Name)
			}
		case "DELETE":
		default:
			return response{}, badRequest("Config '%s': invalid operation '%s'", d.Name, op)
		}
	}
	return c.withLink(p, func(l *link) (response, *apiError) {
		if validateOnly {
			return response{status: http.StatusNoContent}, nil
		}
		for _, d := range body.Data {
			if d.Operation != nil && strings.EqualFold(*d.Operation, "DELETE") {
				delete(l.configs, d.Name)
			} else {
				l.configs[d.Name] = *d.Value
			}
		}
		return response{status: http.StatusNoContent}, nil
	})
}

// withLink runs fn under the emulator lock with the link the path names,
// or answers 404 when there is none.
func (c *Cluster) withLink(p params, fn func(*link) (response, *apiError)) (response, *apiError) {
	c.e.lockSynced()
	defer c.e.mu.Unlock()
	l, aerr := c.lookupLink(p["link_name"])
	if aerr != nil {
		return response{}, aerr
	}
	return fn(l)
}
