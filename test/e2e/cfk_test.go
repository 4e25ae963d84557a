package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/pkg/devenv"
)

// CFK 3.x manifests, applied as a migrating user would (artifacts/examples
// holds the pairs): a bidirectional pair with toDestination and toSource
// topics, a source-initiated pair without cluster ids, and a
// KafkaRestClass that names a CFK Kafka.

// TestBidirectionalPair: each side's link on its own cluster; bidi-cloud
// pulls onprem.audit into the cloud and pushes cloud-events to on-prem
// (created there, under bidi-onprem's link); bidi-onprem pulls
// cloud-metrics. Both converge on both emulated clusters, and the toSource
// topic follows the same state machine.
func TestBidirectionalPair(t *testing.T) {
	kubectl(t, "-n", "operator", "wait", "clusterlink", "bidi-cloud", "bidi-onprem", "--for=condition=Ready", "--timeout=90s")
	cloud, onprem := env.Emulator.Cluster(devenv.DestinationClusterID), env.Emulator.Cluster(devenv.SourceClusterID)
	for _, c := range []struct {
		cluster interface {
			Mirror(string, string) (string, int64, bool)
			LinkConfigs(string) map[string]string
		}
		where, topic string
	}{
		{cloud, "cloud", "onprem.audit"},
		{onprem, "on-prem", "cloud-events"},
		{onprem, "on-prem", "cloud-metrics"},
	} {
		if st, _, ok := c.cluster.Mirror("bidi-link", c.topic); !ok || st != "ACTIVE" {
			t.Errorf("%s: mirror %s under bidi-link is %q (exists %v)", c.where, c.topic, st, ok)
		}
		if m := c.cluster.LinkConfigs("bidi-link")["link.mode"]; m != "BIDIRECTIONAL" {
			t.Errorf("%s: link.mode %q", c.where, m)
		}
	}
	if got := jsonpath(t, "bidi-cloud", `{.status.mirrorTopics[?(@.name=="cloud-events")].direction}`); got != "toSource" {
		t.Errorf("bidi-cloud status of cloud-events: direction %q, want toSource", got)
	}
	if got := jsonpath(t, "bidi-cloud", "{.status.mirrorTopicsReady}"); got != "2/2" {
		t.Errorf("bidi-cloud mirrors ready %q, want 2/2", got)
	}
	// On-prem carries bidi-cloud's pushed topic: not bidi-onprem's to manage.
	if got := jsonpath(t, "bidi-onprem", "{.status.unmanagedMirrorTopics}"); got != "1" {
		t.Errorf("bidi-onprem unmanaged mirror topics %q, want 1 (cloud-events)", got)
	}
	if got := jsonpath(t, "bidi-cloud", "{.status.sourceKafkaClusterID}"); got != devenv.SourceClusterID {
		t.Errorf("bidi-cloud's source cluster id %q, read through krc-cfk", got)
	}

	// Pause the pushed topic with kubectl patch: paused on on-prem.
	kubectl(t, "-n", "operator", "patch", "clusterlink", "bidi-cloud", "--type=json",
		"-p", `[{"op":"replace","path":"/spec/mirrorTopics/1/state","value":"PAUSE"}]`)
	waitTopicStatus(t, "bidi-cloud", "cloud-events", "PAUSED")
	if st, _, _ := onprem.Mirror("bidi-link", "cloud-events"); st != "PAUSED" {
		t.Errorf("on-prem: cloud-events %q after PAUSE", st)
	}
	// A topic cannot change direction.
	out, err := kubectlErr(t, "-n", "operator", "patch", "clusterlink", "bidi-cloud", "--type=json",
		"-p", `[{"op":"replace","path":"/spec/mirrorTopics/1/direction","value":"toDestination"}]`)
	if err == nil || !strings.Contains(out, "direction") {
		t.Errorf("changing a topic's direction was not refused: %v\n%s", err, out)
	}
	kubectl(t, "-n", "operator", "patch", "clusterlink", "bidi-cloud", "--type=json",
		"-p", `[{"op":"replace","path":"/spec/mirrorTopics/1/state","value":"ACTIVE"}]`)
	waitTopicStatus(t, "bidi-cloud", "cloud-events", "ACTIVE")
}

// TestSourceInitiatedPairWithoutClusterIDs: the example pair names no
// cluster id; both are read through the KafkaRestClasses, and the
// destination side (Inbound by default) needs no bootstrap endpoint.
func TestSourceInitiatedPairWithoutClusterIDs(t *testing.T) {
	kubectl(t, "-n", "operator", "wait", "clusterlink", "si-link-destination", "si-link-source", "--for=condition=Ready", "--timeout=90s")
	for name, want := range map[string][2]string{
		"si-link-destination": {devenv.SourceClusterID, devenv.DestinationClusterID},
		"si-link-source":      {devenv.SourceClusterID, devenv.DestinationClusterID},
	} {
		if got := jsonpath(t, name, "{.spec.sourceKafkaCluster.clusterID}{.spec.destinationKafkaCluster.clusterID}"); got != "" {
			t.Fatalf("%s spells out a cluster id (%q); the example must not", name, got)
		}
		if got := jsonpath(t, name, "{.status.sourceKafkaClusterID} {.status.destinationKafkaClusterID}"); got != want[0]+" "+want[1] {
			t.Errorf("%s cluster ids %q, want %q", name, got, want[0]+" "+want[1])
		}
	}
	dst := env.Emulator.Cluster(devenv.DestinationClusterID).LinkConfigs("si-link")
	if dst["connection.mode"] != "INBOUND" || dst["link.mode"] != "DESTINATION" {
		t.Errorf("destination side configs %v, want link.mode DESTINATION, connection.mode INBOUND", dst)
	}
	src := env.Emulator.Cluster(devenv.SourceClusterID).LinkConfigs("si-link")
	if src["link.mode"] != "SOURCE" || src["bootstrap.servers"] != devenv.DestinationBootstrap {
		t.Errorf("source side configs %v", src)
	}
	waitTopicStatus(t, "si-link-destination", "inventory", "ACTIVE")
}

// kafkaCRD is a minimal CRD of CFK's Kafka (platform.confluent.io): enough
// for a Kafka object with the status CFK writes.
const kafkaCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: kafkas.platform.confluent.io
spec:
  group: platform.confluent.io
  scope: Namespaced
  names: {plural: kafkas, singular: kafka, kind: Kafka, listKind: KafkaList}
  versions:
  - name: v1beta1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`

// TestKafkaClusterRef: with CFK's Kafka CRD installed, a KafkaRestClass
// that names a Kafka (no endpoint) says what is missing until the Kafka
// exists, then resolves its endpoint and cluster id from the Kafka's
// status; a ClusterLink reads the source cluster id through it; kubectl
// get krc shows CLUSTER and READY.
func TestKafkaClusterRef(t *testing.T) {
	if out, err := applyYAML(t, kafkaCRD); err != nil {
		t.Fatalf("install the Kafka CRD: %v\n%s", err, out)
	}
	kubectl(t, "wait", "--for=condition=Established", "crd/kafkas.platform.confluent.io", "--timeout=30s")
	class := `apiVersion: kafkalink.io/v1alpha1
kind: KafkaRestClass
metadata:
  name: krc-by-ref
  namespace: operator
spec:
  kafkaClusterRef:
    name: kafka-e2e
  kafkaRest:
    authentication:
      type: basic
      basic:
        secretRef: restclass-cfk
`
	if out, err := applyYAML(t, class); err != nil {
		t.Fatalf("apply a KafkaRestClass with only kafkaClusterRef: %v\n%s", err, out)
	}
	krc := func(path string) string {
		out, _ := kubectlErr(t, "-n", "operator", "get", "krc", "krc-by-ref", "-o", "jsonpath="+path)
		return out
	}
	eventually(t, 60*time.Second, "krc-by-ref to say its Kafka is missing", func() string {
		if got := krc(`{.status.conditions[?(@.type=="Ready")].reason}: {.status.conditions[?(@.type=="Ready")].message}`); !strings.Contains(got, "KafkaClusterRefUnresolved") || !strings.Contains(got, "does not exist") {
			return got
		}
		return ""
	})
	kafka := fmt.Sprintf(`apiVersion: platform.confluent.io/v1beta1
kind: Kafka
metadata:
  name: kafka-e2e
  namespace: operator
spec:
  replicas: 3
status:
  clusterID: %s
  services:
    kafka-rest:
      internalEndpoint: %s
      tls: false
`, devenv.SourceClusterID, env.SourceURL)
	if out, err := applyYAML(t, kafka); err != nil {
		t.Fatalf("create the Kafka: %v\n%s", err, out)
	}
	eventually(t, 60*time.Second, "krc-by-ref to resolve through the Kafka", func() string {
		if got := krc(`{.status.conditions[?(@.type=="Ready")].reason} {.status.endpoint} {.status.kafkaClusterID}`); got != "Reachable "+env.SourceURL+" "+devenv.SourceClusterID {
			return got
		}
		return ""
	})
	out := kubectl(t, "-n", "operator", "get", "krc")
	header := regexp.MustCompile(`NAME\s+ENDPOINT\s+CLUSTER\s+READY\s+AGE`)
	for _, row := range []string{
		`krc-by-ref\s+` + regexp.QuoteMeta(env.SourceURL) + `\s+` + devenv.SourceClusterID + `\s+True`,
		`krc-cloud\s+` + regexp.QuoteMeta(env.DestinationURL) + `\s+` + devenv.DestinationClusterID + `\s+True`,
	} {
		if !header.MatchString(out) || !regexp.MustCompile(row).MatchString(out) {
			t.Errorf("kubectl get krc lacks %s:\n%s", row, out)
		}
	}

	// A ClusterLink reads its source's id through the class.
	sourceTopics(t, "e2e-byref")
	link := strings.Replace(clusterLink("e2e-byref", "", "e2e-byref"), "  sourceKafkaCluster:\n", "  sourceKafkaCluster:\n    kafkaRestClassRef:\n      name: krc-by-ref\n", 1)
	if out, err := applyYAML(t, link); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	waitTopicStatus(t, "e2e-byref", "e2e-byref", "ACTIVE")
	if got := jsonpath(t, "e2e-byref", "{.status.sourceKafkaClusterID}"); got != devenv.SourceClusterID {
		t.Errorf("source cluster id through kafkaClusterRef: %q", got)
	}
	kubectl(t, "-n", "operator", "delete", "clusterlink", "e2e-byref", "--wait=true", "--timeout=60s")
}
