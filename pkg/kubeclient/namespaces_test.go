package kubeclient

import (
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	listers "github.com/kafkalink/kafkalink/pkg/generated/listers/kafkalink/v1alpha1"
)

// Listers and index look-ups over per-namespace informers see every
// watched namespace, and nothing else.
func byClass(obj any) ([]string, error) {
	cl := obj.(*kafkalinkv1alpha1.ClusterLink)
	r := cl.Spec.DestinationKafkaCluster.KafkaRestClassRef
	return []string{r.Namespace + "/" + r.Name}, nil
}

func TestNamespacesIndexer(t *testing.T) {
	indexers := cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc, "byClass": byClass}
	a, b := cache.NewIndexer(cache.MetaNamespaceKeyFunc, indexers), cache.NewIndexer(cache.MetaNamespaceKeyFunc, indexers)
	link := func(ns, name string) *kafkalinkv1alpha1.ClusterLink {
		return &kafkalinkv1alpha1.ClusterLink{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: kafkalinkv1alpha1.ClusterLinkSpec{
			DestinationKafkaCluster: kafkalinkv1alpha1.KafkaClusterSpec{KafkaRestClassRef: &kafkalinkv1alpha1.KafkaRestClassRef{Name: "krc", Namespace: "platform"}},
		}}
	}
	_ = a.Add(link("team-a", "one"))
	_ = a.Add(link("team-a", "two"))
	_ = b.Add(link("team-b", "three"))
	m := &namespacesIndexer{Indexer: a, parts: []cache.Indexer{a, b}}
	l := listers.NewClusterLinkLister(m)

	if got, err := l.ClusterLinks("team-b").Get("three"); err != nil || got.Name != "three" {
		t.Errorf("Get in the second namespace: %v %v", got, err)
	}
	if _, err := l.ClusterLinks("team-c").Get("three"); err == nil {
		t.Error("found an object in a namespace that is not watched")
	}
	all, _ := l.List(labels.Everything())
	if len(all) != 3 {
		t.Errorf("List: %d objects, want 3", len(all))
	}
	inA, _ := l.ClusterLinks("team-a").List(labels.Everything())
	if len(inA) != 2 {
		t.Errorf("List in team-a: %d, want 2", len(inA))
	}
	byClass, err := m.ByIndex("byClass", "platform/krc")
	if err != nil || len(byClass) != 3 {
		t.Errorf("ByIndex across namespaces: %d %v", len(byClass), err)
	}
	keys := m.ListKeys()
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"team-a/one", "team-a/two", "team-b/three"}) {
		t.Errorf("ListKeys = %v", keys)
	}
	if m.Add(link("x", "y")) == nil {
		t.Error("the merged indexer accepted a write")
	}
}
