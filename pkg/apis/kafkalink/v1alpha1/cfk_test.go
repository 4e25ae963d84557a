package v1alpha1_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// schemaNode is the part of an OpenAPI v3 schema the walk needs.
type schemaNode struct {
	Type                 string                `json:"type"`
	Properties           map[string]schemaNode `json:"properties"`
	Items                *schemaNode           `json:"items"`
	Enum                 []string              `json:"enum"`
	Required             []string              `json:"required"`
	AdditionalProperties *schemaNode           `json:"additionalProperties"`
}

func crdSchema(t *testing.T, file string) schemaNode {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "manifests", "base", "crds", file))
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema schemaNode `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name == "v1alpha1" {
			return v.Schema.OpenAPIV3Schema
		}
	}
	t.Fatalf("%s has no v1alpha1 schema", file)
	return schemaNode{}
}

// lookup follows a dotted path ("spec.a[].b") through the schema; the
// error names the first segment that is missing.
func lookup(root schemaNode, path string) (schemaNode, error) {
	n := root
	for _, seg := range strings.Split(path, ".") {
		list := strings.HasSuffix(seg, "[]")
		seg = strings.TrimSuffix(seg, "[]")
		next, ok := n.Properties[seg]
		if !ok {
			return schemaNode{}, fmt.Errorf("no field %q", seg)
		}
		n = next
		if list {
			if n.Type != "array" || n.Items == nil {
				return schemaNode{}, fmt.Errorf("%q is %s, not a list", seg, n.Type)
			}
			n = *n.Items
		}
	}
	return n, nil
}

// TestCFKPaths walks every CFK 3.3 spec path in testdata/cfk-3.3-paths.txt
// against the generated CRDs: the path must exist with CFK's type, and
// every CFK enum value must be allowed.
func TestCFKPaths(t *testing.T) {
	schemas := map[string]schemaNode{
		"ClusterLink":    crdSchema(t, "kafkalink.io_clusterlinks.yaml"),
		"KafkaRestClass": crdSchema(t, "kafkalink.io_kafkarestclasses.yaml"),
	}
	f, err := os.Open(filepath.Join("testdata", "cfk-3.3-paths.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	walked := 0
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) < 3 {
			t.Fatalf("line %d: want KIND PATH TYPE [ENUM]: %q", line, text)
		}
		kind, path, typ := fields[0], fields[1], fields[2]
		root, ok := schemas[kind]
		if !ok {
			t.Fatalf("line %d: unknown kind %q", line, kind)
		}
		walked++
		n, err := lookup(root, path)
		if err != nil {
			t.Errorf("%s %s: missing: %v", kind, path, err)
			continue
		}
		if n.Type != typ {
			t.Errorf("%s %s: type %q, CFK has %q", kind, path, n.Type, typ)
		}
		if len(fields) > 3 {
			for _, v := range strings.Split(fields[3], ",") {
				if !slices.Contains(n.Enum, v) {
					t.Errorf("%s %s: enum %v lacks CFK's value %q", kind, path, n.Enum, v)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if walked < 190 {
		t.Fatalf("walked only %d paths; the list is truncated", walked)
	}
}

// TestCFKOptionalFields: what CFK derives or lets a KafkaRestClass omit is
// not required by the schema (the webhook requires only what cannot be
// derived, per link mode).
func TestCFKOptionalFields(t *testing.T) {
	tests := []struct {
		kind, path, field string
	}{
		{"KafkaRestClass", "spec", "kafkaRest"},
		{"KafkaRestClass", "spec.kafkaRest", "endpoint"},
		{"ClusterLink", "spec.sourceKafkaCluster", "bootstrapEndpoint"},
		{"ClusterLink", "spec.sourceKafkaCluster", "clusterID"},
		{"ClusterLink", "spec.destinationKafkaCluster", "clusterID"},
		{"ClusterLink", "spec.destinationKafkaCluster", "bootstrapEndpoint"},
	}
	schemas := map[string]schemaNode{
		"ClusterLink":    crdSchema(t, "kafkalink.io_clusterlinks.yaml"),
		"KafkaRestClass": crdSchema(t, "kafkalink.io_kafkarestclasses.yaml"),
	}
	for _, tt := range tests {
		n, err := lookup(schemas[tt.kind], tt.path)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.kind, tt.path, err)
		}
		if slices.Contains(n.Required, tt.field) {
			t.Errorf("%s %s.%s is required; CFK lets it be omitted", tt.kind, tt.path, tt.field)
		}
	}
}
