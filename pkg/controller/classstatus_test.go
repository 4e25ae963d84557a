package controller

import (
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/tools/cache"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/kafkarest/emulator"
)

func (f *fixture) class(name string) *kafkalinkv1alpha1.KafkaRestClass {
	f.t.Helper()
	k, err := f.client.KafkalinkV1alpha1().KafkaRestClasses(testNamespace).Get(f.ctx, name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return k
}

// syncClass checks a class once its informer copy is current.
func (f *fixture) syncClass(name string) time.Duration {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		want := f.class(name)
		got, err := f.c.classes.KafkaRestClasses(testNamespace).Get(name)
		if err == nil && got.ResourceVersion == want.ResourceVersion {
			break
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("informer never caught up with KafkaRestClass %s", name)
		}
		time.Sleep(5 * time.Millisecond)
	}
	next, err := f.c.syncClass(f.ctx, cache.ObjectName{Namespace: testNamespace, Name: name})
	if err != nil {
		f.t.Fatal(err)
	}
	return next
}

// withKafkaCRD gives the controller a cluster where CFK's Kafka CRD is
// installed, holding kafkas.
func (f *fixture) withKafkaCRD(kafkas ...*unstructured.Unstructured) {
	f.kube.Resources = []*metav1.APIResourceList{{GroupVersion: KafkaGVR.GroupVersion().String(), APIResources: []metav1.APIResource{{Name: "kafkas", Kind: "Kafka", Namespaced: true}}}}
	objs := make([]runtime.Object, len(kafkas))
	for i, k := range kafkas {
		objs[i] = k
	}
	f.c.kafkas.dynamic = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{KafkaGVR: "KafkaList"}, objs...)
	f.c.kafkas.discovery = f.kube.Discovery()
}

func cfkKafka(name, restEndpoint, clusterID string) *unstructured.Unstructured {
	k := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.confluent.io/v1beta1", "kind": "Kafka",
		"metadata": map[string]any{"name": name, "namespace": testNamespace},
		"spec":     map[string]any{"replicas": int64(3), "image": map[string]any{"application": "confluentinc/cp-server:7.9.0"}},
		"status": map[string]any{
			"clusterID": clusterID,
			"services":  map[string]any{"kafka-rest": map[string]any{"internalEndpoint": restEndpoint, "tls": false}},
		},
	}}
	return k
}

// TestKafkaRestClassStatus: the endpoint, cluster id and Ready with its
// reason; the endpoint is asked at most once per resync period; status is
// written only when it changes.
func TestKafkaRestClassStatus(t *testing.T) {
	r := newREST(t)
	wrong := restClass("wrong-password", r.dst.URL, "")
	unreachable := restClass("unreachable", "http://127.0.0.1:1", "")
	unreachable.Spec.KafkaRest.Authentication = nil
	missing := restClass("missing-secret", r.dst.URL, "")
	mismatch := restClass("mismatch", r.dst.URL, "lkc-other")
	mismatch.Spec.KafkaRest.Authentication.Basic.SecretRef = "restclass-krc-cloud"
	objs := append(r.objects(), wrong, basicSecret("restclass-wrong-password", "key", "nope"), unreachable, missing, mismatch)
	f := newFixture(t, DefaultRESTClientFactory(nil), objs...)

	tests := []struct {
		class, reason, message, clusterID string
		ready                             bool
	}{
		{"krc-cloud", kafkalinkv1alpha1.ReasonReachable, "answers for cluster lkc-cloud", "lkc-cloud", true},
		{"wrong-password", kafkalinkv1alpha1.ReasonCredentialsRefused, "refused the credentials", "", false},
		{"unreachable", kafkalinkv1alpha1.ReasonUnreachable, "cannot reach the REST API v3 at http://127.0.0.1:1", "", false},
		{"missing-secret", kafkalinkv1alpha1.ReasonCredentialsError, "restclass-missing-secret", "", false},
		{"mismatch", kafkalinkv1alpha1.ReasonClusterIDMismatch, `serves cluster "lkc-cloud", not the configured "lkc-other"`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			f.t = t
			if next := f.syncClass(tt.class); next != 5*time.Minute {
				t.Errorf("next check in %v, want the resync period", next)
			}
			k := f.class(tt.class)
			c := readyOf(k.Status.Conditions)
			if c == nil || (c.Status == metav1.ConditionTrue) != tt.ready || c.Reason != tt.reason || !strings.Contains(c.Message, tt.message) {
				t.Errorf("Ready %+v, want ready=%v %s %q", c, tt.ready, tt.reason, tt.message)
			}
			if k.Status.KafkaClusterID != tt.clusterID || k.Status.ObservedGeneration != k.Generation {
				t.Errorf("status %+v", k.Status)
			}
		})
	}
	f.t = t
	k := f.class("krc-cloud")
	if k.Status.Endpoint != r.dst.URL || k.Status.APIPrefix != "/kafka/v3" {
		t.Errorf("endpoint %q prefix %q", k.Status.Endpoint, k.Status.APIPrefix)
	}

	// Within the resync period: no REST call, no write.
	mark := len(r.emu.Requests())
	f.resetActions()
	if next := f.syncClass("krc-cloud"); next <= 0 || next > 5*time.Minute {
		t.Errorf("next check in %v", next)
	}
	if reads, writes, list := r.calls(mark); reads+writes != 0 {
		t.Errorf("a second check within the resync period called REST: %v", list)
	}
	if n := f.writes(); n != 0 {
		t.Errorf("a second check wrote %d times", n)
	}
	// After the resync period: one check, and no write when nothing changed.
	f.now = f.now.Add(6 * time.Minute)
	mark = len(r.emu.Requests())
	f.syncClass("krc-cloud")
	if reads, writes, list := r.calls(mark); reads != 1 || writes != 0 {
		t.Errorf("the check after the resync period: %v", list)
	}
	if n := f.writes(); n != 0 {
		t.Errorf("an unchanged check wrote %d times", n)
	}
}

// TestKafkaClusterRef: a class that names a CFK Kafka is unresolved (and
// says why) while the Kafka CRD is missing, and resolves the endpoint and
// cluster id from the Kafka's status once it is installed; ClusterLinks
// reach the cluster through it.
func TestKafkaClusterRef(t *testing.T) {
	r := newREST(t, "orders")
	byRef := &kafkalinkv1alpha1.KafkaRestClass{
		ObjectMeta: metav1.ObjectMeta{Name: "krc-cloud", Namespace: testNamespace},
		Spec: kafkalinkv1alpha1.KafkaRestClassSpec{
			KafkaClusterRef: &kafkalinkv1alpha1.KafkaClusterRef{Name: "kafka"},
			KafkaRest: kafkalinkv1alpha1.KafkaRestSpec{Authentication: &kafkalinkv1alpha1.RestAuthentication{
				Type: kafkalinkv1alpha1.RestAuthenticationBasic, Basic: &kafkalinkv1alpha1.BasicAuthentication{SecretRef: "restclass-krc-cloud"}}},
		},
	}
	objs := []runtime.Object{byRef, basicSecret("restclass-krc-cloud", "key", "secret"), plainSecret("plainpassjks", "link-reader", "pw"), clusterLink("demo", mt("orders", ""))}
	f := newFixture(t, DefaultRESTClientFactory(nil), objs...)

	f.syncClass("krc-cloud")
	c := readyOf(f.class("krc-cloud").Status.Conditions)
	if c == nil || c.Reason != kafkalinkv1alpha1.ReasonKafkaClusterRefUnresolved || !strings.Contains(c.Message, "the CFK Kafka CRD (kafkas.platform.confluent.io) is not installed") {
		t.Fatalf("without the CRD: %+v", c)
	}
	if _, err := f.sync("demo"); err != nil {
		t.Fatal(err)
	}
	if rc := readyOf(f.get("demo").Status.Conditions); rc == nil || rc.Reason != kafkalinkv1alpha1.ReasonKafkaClusterRefUnresolved {
		t.Fatalf("ClusterLink through an unresolved class: %+v", rc)
	}

	// CFK is installed later: discovery is asked again after a minute.
	f.withKafkaCRD(cfkKafka("kafka", r.dst.URL, "lkc-cloud"))
	f.now = f.now.Add(2 * time.Minute)
	f.c.classChecks = map[cache.ObjectName]classCheck{}
	f.syncClass("krc-cloud")
	k := f.class("krc-cloud")
	if c := readyOf(k.Status.Conditions); c == nil || c.Reason != kafkalinkv1alpha1.ReasonReachable || k.Status.Endpoint != r.dst.URL || k.Status.KafkaClusterID != "lkc-cloud" {
		t.Fatalf("resolved through the Kafka: %+v", k.Status)
	}
	converge(t, f, "demo", 4)
	if st, _, ok := r.emu.Cluster("lkc-cloud").Mirror("demo", "orders"); !ok || st != "ACTIVE" {
		t.Errorf("mirror through a kafkaClusterRef class: %q", st)
	}
}

func readyOf(conds []metav1.Condition) *metav1.Condition {
	for i := range conds {
		if conds[i].Type == kafkalinkv1alpha1.ConditionReady {
			return &conds[i]
		}
	}
	return nil
}

// TestClassCheckRidesOnTheSharedView: while ClusterLinks read their
// cluster's shared view through a class, those answers are the class's
// check — a converged fleet costs its two view lists per period and no
// GET /clusters of its own — and a read that fails after the endpoint had
// answered checks the class again at once.
func TestClassCheckRidesOnTheSharedView(t *testing.T) {
	names, topics := tenTopics("t")
	r := newREST(t, names...)
	f := newFixture(t, quickFactory(time.Second, nil), r.objects(clusterLink("demo", topics...))...)
	cq := f.c.newClassQueue()
	converge(t, f, "demo", 3)
	classGets := func(mark int) int {
		n := 0
		for _, q := range r.emu.Requests()[mark:] {
			if q.Endpoint == "/clusters" {
				n++
			}
		}
		return n
	}

	mark := len(r.emu.Requests())
	f.syncClass("krc-cloud")
	if n := classGets(mark); n != 0 {
		t.Errorf("the class check asked GET /clusters %d times while the link's reads were answered", n)
	}
	if c := readyOf(f.class("krc-cloud").Status.Conditions); c == nil || c.Reason != kafkalinkv1alpha1.ReasonReachable {
		t.Fatalf("Ready %+v", c)
	}
	for period := 1; period <= 4; period++ {
		f.now = f.now.Add(f.c.opts.ResyncPeriod)
		mark := len(r.emu.Requests())
		f.resetActions()
		if _, err := f.sync("demo"); err != nil {
			t.Fatal(err)
		}
		f.syncClass("krc-cloud")
		want := []string{"GET /clusters/{cluster_id}/links", "GET /clusters/{cluster_id}/links/-/mirrors"}
		var got []string
		for _, q := range r.emu.Requests()[mark:] {
			got = append(got, q.Method+" "+q.Endpoint)
		}
		if !slices.Equal(got, want) {
			t.Errorf("period %d: REST calls %v, want %v (the class check must not add one)", period, got, want)
		}
		if n := f.writes(); n != 0 {
			t.Errorf("period %d: %d apiserver writes", period, n)
		}
	}

	// The endpoint fails: the link's failed read queues the class check,
	// which asks and reports it.
	r.emu.SetFaults("lkc-cloud", emulator.Faults{ErrorRate: 1})
	f.now = f.now.Add(f.c.opts.ResyncPeriod)
	if _, err := f.sync("demo"); err == nil {
		t.Fatal("sync succeeded through the outage")
	}
	if cq.Len() != 1 {
		t.Fatalf("class queue holds %d items after the failed read, want the class", cq.Len())
	}
	k, _ := cq.Get()
	cq.Done(k)
	mark = len(r.emu.Requests())
	f.syncClass("krc-cloud")
	if n := classGets(mark); n != 1 {
		t.Errorf("the re-check asked GET /clusters %d times, want 1", n)
	}
	if c := readyOf(f.class("krc-cloud").Status.Conditions); c == nil || c.Status != metav1.ConditionFalse || c.Reason != kafkalinkv1alpha1.ReasonUnreachable {
		t.Errorf("Ready after the failed read %+v", c)
	}
	// Further failures queue nothing more: the class already says so.
	f.now = f.now.Add(f.c.opts.TransitionPollInterval)
	_, _ = f.sync("demo")
	if cq.Len() != 0 {
		t.Errorf("class queue holds %d items, want no second re-check", cq.Len())
	}
}
