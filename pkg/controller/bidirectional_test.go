package controller

import (
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// bidiPair is the two ClusterLinks of one bidirectional link "bidi": west
// lives on lkc-cloud and pulls orders from onprem, and pushes payments to
// onprem (toSource); east lives on onprem and pulls invoices from lkc-cloud.
func bidiPair(r *emuREST) (west, east *kafkalinkv1alpha1.ClusterLink) {
	side := func(name, uid, local, remote, bootstrap string, topics ...kafkalinkv1alpha1.MirrorTopic) *kafkalinkv1alpha1.ClusterLink {
		cl := clusterLink(name, topics...)
		cl.UID = types.UID("uid-" + uid)
		cl.Spec.Name = "bidi"
		cl.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeBidirectional}
		cl.Spec.DestinationKafkaCluster = kafkalinkv1alpha1.KafkaClusterSpec{KafkaRestClassRef: &kafkalinkv1alpha1.KafkaRestClassRef{Name: local}}
		cl.Spec.SourceKafkaCluster.KafkaRestClassRef = &kafkalinkv1alpha1.KafkaRestClassRef{Name: remote}
		cl.Spec.SourceKafkaCluster.ClusterID = ""
		cl.Spec.SourceKafkaCluster.BootstrapEndpoint = bootstrap
		return cl
	}
	west = side("west", "w", "krc-cloud", "krc-onprem", "onprem:9071",
		mt("orders", ""), kafkalinkv1alpha1.MirrorTopic{Name: "payments", Direction: kafkalinkv1alpha1.DirectionToSource})
	east = side("east", "e", "krc-onprem", "krc-cloud", "cloud:9092", mt("invoices", ""))
	east.Spec.SourceKafkaCluster.Authentication = nil
	return west, east
}

// TestBidirectionalPair: each side creates its own link; west's toSource
// topic is created and driven on onprem, under east's link, with its own
// status entry; east counts it as unmanaged; deleting west fails over its
// toSource topic on onprem and leaves east's link alone.
func TestBidirectionalPair(t *testing.T) {
	r := newREST(t, "orders")
	r.emu.Cluster("lkc-cloud").CreateTopic("payments", 1)
	r.emu.Cluster("lkc-cloud").CreateTopic("invoices", 1)
	west, east := bidiPair(r)
	objs := append(r.objects(west, east), restClass("krc-onprem", r.src.URL, ""), basicSecret("restclass-krc-onprem", "src", "src-pass"))
	f := newFixture(t, DefaultRESTClientFactory(nil), objs...)

	// West first: its link exists on lkc-cloud, but east's does not yet,
	// so the toSource topic waits, and says why.
	if _, err := f.sync("west"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sync("west"); err != nil {
		t.Fatal(err)
	}
	if s := topicStatus(f.get("west"), "payments"); s == nil || s.Direction != kafkalinkv1alpha1.DirectionToSource || !strings.Contains(s.Message, `waiting for link "bidi" on source cluster "onprem"`) {
		t.Fatalf("toSource topic before the other side exists: %+v", s)
	}
	converge(t, f, "east", 4)
	converge(t, f, "west", 4)

	onprem, cloud := r.emu.Cluster("onprem"), r.emu.Cluster("lkc-cloud")
	if st, _, ok := cloud.Mirror("bidi", "orders"); !ok || st != "ACTIVE" {
		t.Errorf("toDestination orders on lkc-cloud: %q", st)
	}
	if st, _, ok := onprem.Mirror("bidi", "payments"); !ok || st != "ACTIVE" {
		t.Errorf("toSource payments on onprem: %q", st)
	}
	if st, _, ok := onprem.Mirror("bidi", "invoices"); !ok || st != "ACTIVE" {
		t.Errorf("east's invoices on onprem: %q", st)
	}
	w := f.get("west")
	if w.Status.MirrorTopicsReady != "2/2" || w.Status.UnmanagedMirrorTopics != 0 {
		t.Errorf("west status: ready %s, unmanaged %d", w.Status.MirrorTopicsReady, w.Status.UnmanagedMirrorTopics)
	}
	if cfg := cloud.LinkConfigs("bidi"); cfg["link.mode"] != "BIDIRECTIONAL" || cfg["connection.mode"] != "OUTBOUND" {
		t.Errorf("west's link configs: %v", cfg)
	}
	// east's link carries west's toSource topic: unmanaged for east.
	if _, err := f.sync("east"); err != nil {
		t.Fatal(err)
	}
	if e := f.get("east"); e.Status.UnmanagedMirrorTopics != 1 || e.Status.MirrorTopicsReady != "1/1" {
		t.Errorf("east status: ready %s, unmanaged %d", e.Status.MirrorTopicsReady, e.Status.UnmanagedMirrorTopics)
	}

	// The same state machine drives the toSource topic.
	w = f.get("west")
	w.Spec.MirrorTopics[1].State = kafkalinkv1alpha1.MirrorTopicStatePause
	f.update(w)
	if _, err := f.sync("west"); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := onprem.Mirror("bidi", "payments"); st != "PAUSED" {
		t.Errorf("paused toSource topic on onprem: %q", st)
	}
	if s := topicStatus(f.get("west"), "payments"); s == nil || s.LastAction != "PAUSE" {
		t.Errorf("status after pause: %+v", s)
	}

	// Deleting west fails over its toSource topic on onprem and deletes
	// its own link; east's link and topics stay.
	w = f.get("west")
	w.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	f.update(w)
	for i := 0; i < 6 && f.exists("west"); i++ {
		if _, err := f.sync("west"); err != nil {
			t.Fatal(err)
		}
		r.clock.Add(10 * time.Second)
	}
	if f.exists("west") {
		t.Fatalf("west never deleted: %+v", f.get("west").Status.Conditions)
	}
	if st, _, ok := onprem.Mirror("bidi", "payments"); ok && st != "STOPPED" {
		t.Errorf("west's toSource topic after west's deletion: %q, want STOPPED", st)
	}
	if st, _, _ := onprem.Mirror("bidi", "invoices"); st != "ACTIVE" {
		t.Errorf("east's topic after west's deletion: %q", st)
	}
	if !slices.Contains(onprem.Links(), "bidi") || slices.Contains(cloud.Links(), "bidi") {
		t.Errorf("links after west's deletion: onprem %v, lkc-cloud %v", onprem.Links(), cloud.Links())
	}
}

// TestReverse: on a bidirectional pair, west's pulled topic orders is
// reversed by flipping its direction with reverse: true: validate_only,
// then reverse-and-start-mirror on the cloud, where orders becomes
// writable; on-prem's orders becomes its mirror, which west now tracks as
// a toSource topic. Nothing is created or deleted.
func TestReverse(t *testing.T) {
	r := newREST(t, "orders")
	r.emu.Cluster("lkc-cloud").CreateTopic("payments", 1)
	r.emu.Cluster("lkc-cloud").CreateTopic("invoices", 1)
	west, east := bidiPair(r)
	objs := append(r.objects(west, east), restClass("krc-onprem", r.src.URL, ""), basicSecret("restclass-krc-onprem", "src", "src-pass"))
	f := newFixture(t, DefaultRESTClientFactory(nil), objs...)
	converge(t, f, "east", 4)
	converge(t, f, "west", 4)
	r.clock.Add(time.Minute) // mirror lag drains
	mark := len(r.emu.Requests())

	w := f.get("west")
	w.Spec.MirrorTopics[0].Direction, w.Spec.MirrorTopics[0].Reverse = kafkalinkv1alpha1.DirectionToSource, true
	f.update(w)
	for i := 0; i < 6; i++ {
		if _, err := f.sync("west"); err != nil {
			t.Fatal(err)
		}
		r.clock.Add(10 * time.Second)
		if s := topicStatus(f.get("west"), "orders"); s.Direction == kafkalinkv1alpha1.DirectionToSource && s.Status == "ACTIVE" {
			break
		}
	}
	onprem, cloud := r.emu.Cluster("onprem"), r.emu.Cluster("lkc-cloud")
	if st, _, _ := cloud.Mirror("bidi", "orders"); st != "STOPPED" {
		t.Errorf("cloud's orders after the reverse: %q, want STOPPED (writable)", st)
	}
	if st, _, ok := onprem.Mirror("bidi", "orders"); !ok || st != "ACTIVE" {
		t.Errorf("on-prem's orders after the reverse: %q, want an ACTIVE mirror", st)
	}
	s := topicStatus(f.get("west"), "orders")
	if s.Direction != kafkalinkv1alpha1.DirectionToSource || s.Status != "ACTIVE" || s.LastOneWayAction != "REVERSE_AND_START" || s.Validation != "accepted" {
		t.Errorf("west's status of orders: %+v", s)
	}
	if err := validatedFirst(r.emu.Requests()[mark:]); err != nil {
		t.Error(err)
	}
	for _, q := range r.emu.Requests()[mark:] {
		if q.Method == "DELETE" || (q.Method == "POST" && strings.HasSuffix(q.Endpoint, "/mirrors")) {
			t.Errorf("the reverse made %s %s", q.Method, q.Endpoint)
		}
	}
	if n := r.emu.Count("POST", endpoint("/mirrors:reverse-and-start-mirror")); n != 1 {
		t.Errorf("%d reverse calls, want 1", n)
	}
}
