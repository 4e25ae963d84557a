package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/pkg/devenv"
	"github.com/kafkalink/kafkalink/pkg/kafkarest"
)

// Ownership (issue 9): a hand-created mirror and an auto-created mirror
// under a managed link are never paused, promoted or deleted by spec
// changes — audited in the emulator's record of topic actions.
func TestUnmanagedMirrorsAreNeverTouched(t *testing.T) {
	sourceTopics(t, "e2e-own-m1", "e2e-own-m2", "e2e-own-auto1", "e2e-own-hand")
	auto := `  mirrorTopicOptions:
    autoCreateTopics:
      enabled: true
      topicFilters:
      - name: e2e-own-auto
        patternType: PREFIXED
        filterType: INCLUDE
`
	if out, err := applyYAML(t, clusterLink("e2e-own", auto, "e2e-own-m1", "e2e-own-m2")); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-own", "e2e-own-m1", "ACTIVE")

	// A mirror made by hand under the same link.
	client, err := kafkarest.New(kafkarest.Config{Endpoint: env.DestinationURL, Username: env.DestinationUser, Password: env.DestinationPassword, CAPEM: env.DestinationCA})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := client.CreateMirror(ctx, devenv.DestinationClusterID, "e2e-own", kafkarest.CreateMirrorRequest{SourceTopicName: "e2e-own-hand", MirrorTopicName: "e2e-own-hand"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "both unmanaged mirrors to be counted", func() string {
		if got := jsonpath(t, "e2e-own", "{.status.unmanagedMirrorTopics}"); got != "2" {
			return "unmanagedMirrorTopics " + got
		}
		return ""
	})

	// Spec changes of every kind on the managed topics.
	if out, err := applyYAML(t, clusterLink("e2e-own", auto, "e2e-own-m1=PAUSE", "e2e-own-m2=PROMOTE")); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-own", "e2e-own-m1", "PAUSED")
	waitTopicStatus(t, "e2e-own", "e2e-own-m2", "STOPPED")
	if out, err := applyYAML(t, clusterLink("e2e-own", auto, "e2e-own-m2=PROMOTE")); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	dst := env.Emulator.Cluster(devenv.DestinationClusterID)
	eventually(t, 30*time.Second, "e2e-own-m1 to be deleted", func() string {
		if _, _, ok := dst.Mirror("e2e-own", "e2e-own-m1"); ok {
			return "still there"
		}
		return ""
	})
	cleanup(t, "e2e-own") // Retain: the link and its mirrors stay

	var audit []string
	for _, a := range env.Emulator.TopicActions() {
		if a.Link != "e2e-own" {
			continue
		}
		audit = append(audit, fmt.Sprintf("%s %s", a.Action, a.Topic))
		if (a.Topic == "e2e-own-auto1" && a.Action != "auto-create") || (a.Topic == "e2e-own-hand" && a.Action != "create") {
			t.Errorf("unmanaged mirror touched: %+v", a)
		}
	}
	for _, tp := range []string{"e2e-own-auto1", "e2e-own-hand"} {
		if st, _, ok := dst.Mirror("e2e-own", tp); !ok || st != "ACTIVE" {
			t.Errorf("%s is %q (exists %v), want ACTIVE", tp, st, ok)
		}
	}
	want := map[string]bool{"create e2e-own-m1": true, "create e2e-own-m2": true, "auto-create e2e-own-auto1": true, "create e2e-own-hand": true,
		"pause e2e-own-m1": true, "promote e2e-own-m2": true, "delete e2e-own-m1": true}
	for _, a := range audit {
		delete(want, a)
	}
	if len(want) != 0 {
		t.Errorf("audit %v lacks %v", audit, want)
	}
}
