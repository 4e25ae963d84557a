package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestAPIDocIsCurrent fails when docs/api.md does not match the CRDs.
func TestAPIDocIsCurrent(t *testing.T) {
	got, err := Render("../..")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../docs/api.md")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatal("docs/api.md is stale: run `go run ./hack/gen-api-docs` (or make generate)")
	}
	for _, s := range []string{"`spec.mirrorTopics[].state`", "one of `ACTIVE`, `PAUSE`, `PROMOTE`, `FAILOVER`", "`spec.kafkaRest.endpoint`", "sourceTopicName is immutable"} {
		if !strings.Contains(string(got), s) {
			t.Errorf("api.md lacks %q", s)
		}
	}
}
