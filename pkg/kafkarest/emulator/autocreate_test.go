package emulator

import (
	"testing"
	"time"
)

func TestSelected(t *testing.T) {
	tests := []struct {
		name    string
		filters []topicFilter
		want    bool
	}{
		{"orders", nil, false},
		{"orders", []topicFilter{{"*", "LITERAL", "INCLUDE"}}, true},
		{"orders", []topicFilter{{"ord", "PREFIXED", "INCLUDE"}}, true},
		{"orders", []topicFilter{{"ord", "LITERAL", "INCLUDE"}}, false},
		{"orders", []topicFilter{{"*", "LITERAL", "INCLUDE"}, {"orders", "LITERAL", "EXCLUDE"}}, false},
		{"orders", []topicFilter{{"o", "PREFIXED", "EXCLUDE"}, {"*", "LITERAL", "INCLUDE"}}, false},
	}
	for _, tt := range tests {
		if got := selected(tt.name, tt.filters); got != tt.want {
			t.Errorf("selected(%s, %v) = %v", tt.name, tt.filters, got)
		}
	}
}

func TestAutoCreate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := New(WithClock(func() time.Time { return now }))
	e.AddCluster(ClusterConfig{ID: "src", Bootstrap: "src:9092", Topics: map[string]int{"auto.a": 2, "auto.b": 1, "other": 1, "auto.skip": 1}})
	dst := e.AddCluster(ClusterConfig{ID: "dst", Bootstrap: "dst:9092"})
	dst.CreateTopic("auto.b", 1) // a same-named topic already exists: not replaced
	l := &link{name: "l", remoteID: "src", mode: "DESTINATION", connMode: "OUTBOUND", created: now, mirrors: map[string]*mirror{}, configs: map[string]string{
		ConfigAutoCreateEnable:  "true",
		ConfigAutoCreateFilters: `{"topicFilters":[{"name":"auto.","patternType":"PREFIXED","filterType":"INCLUDE"},{"name":"auto.skip","patternType":"LITERAL","filterType":"EXCLUDE"}]}`,
	}}
	dst.links["l"] = l
	dst.collectMirrors("", []*link{l}, nil, false)
	if len(l.mirrors) != 1 || l.mirrors["auto.a"] == nil || l.mirrors["auto.a"].partitions != 2 {
		t.Fatalf("auto-created mirrors %v", sortedKeys(l.mirrors))
	}
	if got := e.TopicActions(); len(got) != 1 || got[0] != (TopicAction{Cluster: "dst", Link: "l", Topic: "auto.a", Action: "auto-create", OK: true}) {
		t.Errorf("audit %+v", got)
	}
	l.configs[ConfigAutoCreateEnable] = "false"
	e.clusters["src"].CreateTopic("auto.c", 1)
	dst.collectMirrors("", []*link{l}, nil, false)
	if l.mirrors["auto.c"] != nil {
		t.Error("auto-created with auto-create disabled")
	}
	l.configs[ConfigAutoCreateEnable], l.configs[ConfigAutoCreateFilters] = "true", "not json"
	dst.collectMirrors("", []*link{l}, nil, false)
	if l.mirrors["auto.c"] != nil {
		t.Error("auto-created with unparsable filters")
	}
}
