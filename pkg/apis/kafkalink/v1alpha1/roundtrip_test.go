package v1alpha1_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// examplesDir is artifacts/examples relative to this package.
const examplesDir = "../../../../artifacts/examples"

// exampleDocs returns every YAML document of every file under artifacts/examples.
func exampleDocs(t *testing.T) map[string][]byte {
	t.Helper()
	docs := map[string][]byte{}
	err := filepath.WalkDir(examplesDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, doc := range bytes.Split(data, []byte("\n---\n")) {
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			rel, _ := filepath.Rel(examplesDir, path)
			docs[rel+"#"+string(rune('0'+i))] = doc
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read examples: %v", err)
	}
	return docs
}

// strictDecode decodes JSON into out, failing on fields the type does not have.
func strictDecode(data []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

// missing reports paths present in want but absent or different in got.
func missing(prefix string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{prefix}
		}
		var out []string
		for k, v := range w {
			out = append(out, missing(prefix+"."+k, v, g[k])...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{prefix}
		}
		var out []string
		for i := range w {
			out = append(out, missing(prefix+"[]", w[i], g[i])...)
		}
		return out
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{prefix}
		}
		return nil
	}
}

// TestExamplesRoundTrip decodes every kafkalink object of artifacts/examples
// strictly into its Go type and encodes it again: no field may be unknown to
// the types, and none may be lost on the way back.
func TestExamplesRoundTrip(t *testing.T) {
	docs := exampleDocs(t)
	kinds := map[string]int{}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			raw, err := yaml.YAMLToJSON(doc)
			if err != nil {
				t.Fatalf("YAML to JSON: %v", err)
			}
			var meta struct{ APIVersion, Kind string }
			if err := json.Unmarshal(raw, &meta); err != nil {
				t.Fatal(err)
			}
			if meta.APIVersion != kafkalinkv1alpha1.SchemeGroupVersion.String() {
				t.Skipf("%s %s is not a kafkalink object", meta.APIVersion, meta.Kind)
			}
			var obj any
			switch meta.Kind {
			case "ClusterLink":
				obj = &kafkalinkv1alpha1.ClusterLink{}
			case "KafkaRestClass":
				obj = &kafkalinkv1alpha1.KafkaRestClass{}
			default:
				t.Fatalf("unknown kind %q", meta.Kind)
			}
			kinds[meta.Kind]++
			if err := strictDecode(raw, obj); err != nil {
				t.Fatalf("strict decode: %v", err)
			}
			again, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(again, &got); err != nil {
				t.Fatal(err)
			}
			if lost := missing("", want, got); len(lost) > 0 {
				t.Errorf("fields lost or changed in the round trip: %v\nin:  %s\nout: %s", lost, raw, again)
			}
		})
	}
	if kinds["ClusterLink"] < 4 || kinds["KafkaRestClass"] < 2 {
		t.Errorf("examples cover %v; want at least 4 ClusterLinks and 2 KafkaRestClasses", kinds)
	}
}

// TestStrictDecodeRejectsUnknownFields proves the round trip above would
// notice a field the Go types do not know.
func TestStrictDecodeRejectsUnknownFields(t *testing.T) {
	cases := map[string]string{
		"top-level spec field": `{"spec":{"mirrorTopicz":[]}}`,
		"mirror topic field":   `{"spec":{"mirrorTopics":[{"name":"a","stat":"ACTIVE"}]}}`,
		"nested auth field":    `{"spec":{"sourceKafkaCluster":{"authentication":{"type":"plain","jaas":{}}}}}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if err := strictDecode([]byte(doc), &kafkalinkv1alpha1.ClusterLink{}); err == nil {
				t.Fatalf("strict decode of %s succeeded; want an unknown-field error", doc)
			}
		})
	}
}

func TestHelpers(t *testing.T) {
	cl := &kafkalinkv1alpha1.ClusterLink{}
	cl.Name = "meta-name"
	if got := cl.LinkName(); got != "meta-name" {
		t.Errorf("LinkName() = %q, want metadata.name", got)
	}
	cl.Spec.Name = "link"
	if got := cl.LinkName(); got != "link" {
		t.Errorf("LinkName() = %q, want spec.name", got)
	}
	if got := cl.EffectiveDeletionPolicy(); got != kafkalinkv1alpha1.DeletionPolicyFailover {
		t.Errorf("EffectiveDeletionPolicy() = %q, want Failover", got)
	}
	if got := cl.Spec.LinkMode(); got != kafkalinkv1alpha1.LinkModeDestination {
		t.Errorf("LinkMode() = %q, want Destination", got)
	}
	mt := kafkalinkv1alpha1.MirrorTopic{Name: "dest-orders"}
	if mt.SourceName() != "dest-orders" || mt.DesiredState() != kafkalinkv1alpha1.MirrorTopicStateActive {
		t.Errorf("defaults: SourceName()=%q DesiredState()=%q", mt.SourceName(), mt.DesiredState())
	}
	krc := &kafkalinkv1alpha1.KafkaRestClass{}
	krc.Namespace = "kafka"
	krc.Spec.AllowedNamespaces = []string{"team-a"}
	for ns, want := range map[string]bool{"kafka": true, "team-a": true, "team-b": false} {
		if got := krc.AllowsNamespace(ns); got != want {
			t.Errorf("AllowsNamespace(%q) = %v, want %v", ns, got, want)
		}
	}
	krc.Spec.AllowedNamespaces = []string{"*"}
	if !krc.AllowsNamespace("team-b") {
		t.Error(`AllowsNamespace with "*" = false, want true`)
	}
}
