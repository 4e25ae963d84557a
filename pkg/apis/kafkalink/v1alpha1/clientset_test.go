package v1alpha1_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/generated/clientset/versioned/fake"
	informers "github.com/kafkalink/kafkalink/pkg/generated/informers/externalversions"
)

// TestGeneratedClientAndInformers exercises the generated clientset, shared
// informers and listers end to end on the fake clientset: objects created
// through the client reach the listers, and updates arrive through the watch.
func TestGeneratedClientAndInformers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	client := fake.NewSimpleClientset()
	factory := informers.NewSharedInformerFactory(client, 0)
	links := factory.Kafkalink().V1alpha1().ClusterLinks()
	classes := factory.Kafkalink().V1alpha1().KafkaRestClasses()

	updates := make(chan *kafkalinkv1alpha1.ClusterLink, 10)
	if _, err := links.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) { updates <- obj.(*kafkalinkv1alpha1.ClusterLink) },
	}); err != nil {
		t.Fatal(err)
	}
	// Informers start only if requested before Start.
	classes.Informer()
	factory.Start(ctx.Done())
	// Shutdown waits for the informers, so cancel their context first.
	defer func() { cancel(); factory.Shutdown() }()
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("cache for %v did not sync", typ)
		}
	}

	krc := &kafkalinkv1alpha1.KafkaRestClass{
		ObjectMeta: metav1.ObjectMeta{Name: "krc-cloud", Namespace: "operator"},
		Spec: kafkalinkv1alpha1.KafkaRestClassSpec{KafkaRest: kafkalinkv1alpha1.KafkaRestSpec{
			Endpoint: "https://pkc.example:443", KafkaClusterID: "lkc-cloud",
		}},
	}
	if _, err := client.KafkalinkV1alpha1().KafkaRestClasses("operator").Create(ctx, krc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cl := &kafkalinkv1alpha1.ClusterLink{
		ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: "operator"},
		Spec: kafkalinkv1alpha1.ClusterLinkSpec{
			DestinationKafkaCluster: kafkalinkv1alpha1.KafkaClusterSpec{KafkaRestClassRef: &kafkalinkv1alpha1.KafkaRestClassRef{Name: "krc-cloud"}},
			SourceKafkaCluster:      kafkalinkv1alpha1.KafkaClusterSpec{BootstrapEndpoint: "src:9092"},
			MirrorTopics:            []kafkalinkv1alpha1.MirrorTopic{{Name: "demo-topic"}},
		},
	}
	created, err := client.KafkalinkV1alpha1().ClusterLinks("operator").Create(ctx, cl, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	var fromLister *kafkalinkv1alpha1.ClusterLink
	if err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		fromLister, err = links.Lister().ClusterLinks("operator").Get("demo")
		return err == nil, nil
	}); err != nil {
		t.Fatalf("ClusterLink never reached the lister: %v", err)
	}
	if got := fromLister.Spec.MirrorTopics[0].Name; got != "demo-topic" {
		t.Errorf("lister mirror topic = %q, want demo-topic", got)
	}
	if err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		_, err := classes.Lister().KafkaRestClasses("operator").Get("krc-cloud")
		return err == nil, nil
	}); err != nil {
		t.Fatalf("KafkaRestClass never reached the lister: %v", err)
	}

	// A status update goes through the status client and arrives via the watch.
	created.Status.LinkState = "ACTIVE"
	created.Status.Conditions = []metav1.Condition{{Type: kafkalinkv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: kafkalinkv1alpha1.ReasonReady, LastTransitionTime: metav1.Now()}}
	if _, err := client.KafkalinkV1alpha1().ClusterLinks("operator").UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-updates:
		if got.Status.LinkState != "ACTIVE" || len(got.Status.Conditions) != 1 {
			t.Errorf("update event carries status %+v, want linkState ACTIVE and one condition", got.Status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no update event through the informer")
	}

	// DeepCopy must not share the mirror topic slice (the controller mutates copies).
	cp := fromLister.DeepCopy()
	cp.Spec.MirrorTopics[0].Name = "changed"
	if fromLister.Spec.MirrorTopics[0].Name != "demo-topic" {
		t.Error("DeepCopy shares spec.mirrorTopics with the original")
	}
}
