package emulator

import (
	"fmt"
	"net/http"
	"time"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// adminFaults is the JSON body of POST /admin/faults.
type adminFaults struct {
	LatencyMS       int64   `json:"latency_ms"`
	ErrorRate       float64 `json:"error_rate"`
	TooManyRequests int     `json:"too_many_requests"`
	HTML429         bool    `json:"html_429"`
	DropConnections int     `json:"drop_connections"`
	AuthFailure     bool    `json:"auth_failure"`
}

// LinkStateDump is one link in GET /admin/state.
type LinkStateDump struct {
	Name           string            `json:"link_name"`
	ID             string            `json:"cluster_link_id"`
	Mode           string            `json:"link_mode"`
	ConnectionMode string            `json:"connection_mode"`
	RemoteCluster  string            `json:"remote_cluster_id"`
	State          string            `json:"link_state"`
	Configs        map[string]string `json:"configs"` // sensitive values redacted
	Mirrors        []MirrorState     `json:"mirrors"`
}

// StateDump is the body of GET /admin/state.
type StateDump struct {
	ClusterID string         `json:"cluster_id"`
	Bootstrap string         `json:"bootstrap"`
	Outage    bool           `json:"source_outage"`
	Topics    map[string]int `json:"topics"`
	// EndOffsets maps topic name to the log-end offset of every partition.
	EndOffsets map[string][]int64 `json:"end_offsets"`
	Links      []LinkStateDump    `json:"links"`
}

// State returns a dump of the cluster's topics, links and mirrors.
func (c *Cluster) State() StateDump {
	now := c.e.lockSynced()
	defer c.e.mu.Unlock()
	d := StateDump{ClusterID: c.cfg.ID, Bootstrap: c.cfg.Bootstrap, Outage: c.e.outage[c.cfg.ID],
		Topics: map[string]int{}, EndOffsets: map[string][]int64{}, Links: []LinkStateDump{}}
	for n, t := range c.topics {
		d.Topics[n] = t.partitions
		d.EndOffsets[n] = append([]int64(nil), t.ends...)
	}
	for _, n := range sortedKeys(c.links) {
		l := c.links[n]
		ld := LinkStateDump{Name: n, ID: l.id, Mode: l.mode, ConnectionMode: l.connMode,
			RemoteCluster: l.remoteID, State: c.linkState(l), Configs: map[string]string{}, Mirrors: []MirrorState{}}
		for k, v := range l.configs {
			if isSensitive(k) {
				v = "[hidden]"
			}
			ld.Configs[k] = v
		}
		for _, mn := range sortedKeys(l.mirrors) {
			ld.Mirrors = append(ld.Mirrors, c.mirrorState(l, l.mirrors[mn], now))
		}
		d.Links = append(d.Links, ld)
	}
	return d
}

func (c *Cluster) serveAdmin(w http.ResponseWriter, r *http.Request) {
	e := c.e
	route := r.Method + " " + r.URL.Path
	switch route {
	case "POST /admin/faults":
		var f adminFaults
		if aerr := decodeBody(r, &f); aerr != nil {
			writeError(w, aerr)
			return
		}
		e.SetFaults(c.cfg.ID, Faults{
			Latency: time.Duration(f.LatencyMS) * time.Millisecond, ErrorRate: f.ErrorRate,
			TooManyRequests: f.TooManyRequests, HTML429: f.HTML429,
			DropConnections: f.DropConnections, AuthFailure: f.AuthFailure,
		})
		w.WriteHeader(http.StatusNoContent)
	case "POST /admin/source-outage":
		var body struct {
			ClusterID string `json:"cluster_id"`
			Down      bool   `json:"down"`
		}
		if aerr := decodeBody(r, &body); aerr != nil {
			writeError(w, aerr)
			return
		}
		if body.ClusterID == "" {
			body.ClusterID = c.cfg.ID
		}
		if e.Cluster(body.ClusterID) == nil {
			writeError(w, notFound("Cluster '%s' not found", body.ClusterID))
			return
		}
		e.SetSourceOutage(body.ClusterID, body.Down)
		w.WriteHeader(http.StatusNoContent)
	case "GET /admin/requests":
		writeJSON(w, http.StatusOK, e.Requests())
	case "DELETE /admin/requests":
		e.ResetRequests()
		w.WriteHeader(http.StatusNoContent)
	case "POST /admin/topics":
		var body struct {
			Name       string `json:"name"`
			Partitions int    `json:"partitions"`
		}
		if aerr := decodeBody(r, &body); aerr != nil {
			writeError(w, aerr)
			return
		}
		if body.Name == "" {
			writeError(w, badRequest("Field 'name' is required"))
			return
		}
		c.CreateTopic(body.Name, body.Partitions)
		w.WriteHeader(http.StatusCreated)
	case "POST /admin/produce":
		var body struct {
			Topic     string `json:"topic"`
			Partition int    `json:"partition"`
			Records   int64  `json:"records"`
		}
		if aerr := decodeBody(r, &body); aerr != nil {
			writeError(w, aerr)
			return
		}
		if err := c.Produce(body.Topic, body.Partition, body.Records); err != nil {
			writeError(w, badRequest("%s", err.Error()))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "GET /admin/state":
		writeJSON(w, http.StatusOK, c.State())
	default:
		writeError(w, notFound("No such admin endpoint: %s", route))
	}
}
