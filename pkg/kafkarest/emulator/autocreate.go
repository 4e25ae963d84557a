package emulator

import (
	"encoding/json"
	"strings"
	"time"
)

// Link configs of auto-created mirror topics (Confluent's names).
const (
	ConfigAutoCreateEnable  = "auto.create.mirror.topics.enable"
	ConfigAutoCreateFilters = "auto.create.mirror.topics.filters"
)

type topicFilter struct {
	Name        string `json:"name"`
	PatternType string `json:"patternType"`
	FilterType  string `json:"filterType"`
}

// autoCreate creates the mirror topics a link's auto-create filters select
// on its source, as a destination does by itself in the background. It runs
// whenever mirrors are read, so tests see them without waiting.
func (c *Cluster) autoCreate(l *link, now time.Time) {
	if l.configs[ConfigAutoCreateEnable] != "true" || l.mode == "SOURCE" || !c.remoteReachable(l) {
		return
	}
	src := c.e.clusters[l.remoteID]
	if src == nil {
		return
	}
	var f struct {
		TopicFilters []topicFilter `json:"topicFilters"`
	}
	if err := json.Unmarshal([]byte(l.configs[ConfigAutoCreateFilters]), &f); err != nil {
		return // a real destination rejects bad filters when they are set
	}
	for _, name := range sortedKeys(src.topics) {
		if !selected(name, f.TopicFilters) {
			continue
		}
		mirrorName := l.configs[ConfigPrefix] + name
		if c.topics[mirrorName] != nil {
			continue
		}
		t := src.topics[name]
		c.topics[mirrorName] = newTopic(mirrorName, t.partitions)
		l.mirrors[mirrorName] = &mirror{
			name: mirrorName, sourceTopic: name, partitions: t.partitions,
			status: StatusActive, stateTime: now, lagStart: now, initialLag: c.e.opts.initialLag,
		}
		c.audit(l.name, mirrorName, "auto-create", true)
	}
}

// selected applies Kafka's resource filter rules: a topic is selected when
// an INCLUDE filter matches it and no EXCLUDE filter does; LITERAL "*"
// matches every topic.
func selected(name string, filters []topicFilter) bool {
	included := false
	for _, f := range filters {
		var match bool
		switch strings.ToUpper(f.PatternType) {
		case "PREFIXED":
			match = strings.HasPrefix(name, f.Name)
		default:
			match = f.Name == "*" || f.Name == name
		}
		if !match {
			continue
		}
		if strings.EqualFold(f.FilterType, "EXCLUDE") {
			return false
		}
		included = true
	}
	return included
}

// TopicAction is one change the emulator made (or refused) to a topic
// through the REST API: "create", "auto-create", "delete", or a batch
// action ("pause", "promote", ...). Tests audit it to prove which topics a
// client touched, which the request log (paths only) cannot show.
type TopicAction struct {
	Cluster, Link, Topic, Action string
	OK                           bool
}

// audit records a topic action; callers hold e.mu.
func (c *Cluster) audit(link, topic, action string, ok bool) {
	c.e.actions = append(c.e.actions, TopicAction{Cluster: c.cfg.ID, Link: link, Topic: topic, Action: action, OK: ok})
}

// TopicActions returns every topic action so far, oldest first.
func (e *Emulator) TopicActions() []TopicAction {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]TopicAction(nil), e.actions...)
}
