package controller

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/kubeclient"
)

// A KafkaRestClass may name a CFK Kafka resource (spec.kafkaClusterRef)
// instead of an endpoint. The Kafka CRD is optional: its informers start
// only once discovery finds it installed (looked for again at most once a
// minute while it is not), so a cluster without CFK costs nothing.

// KafkaGVR is CFK's Kafka resource.
var KafkaGVR = schema.GroupVersionResource{Group: "platform.confluent.io", Version: "v1beta1", Resource: "kafkas"}

// kafkaCRDRecheck is how often discovery is asked again while the Kafka CRD
// is not installed.
const kafkaCRDRecheck = time.Minute

// kafkaClusters reads CFK Kafka resources from informers it starts on
// demand.
type kafkaClusters struct {
	dynamic    dynamic.Interface
	discovery  discovery.DiscoveryInterface
	namespaces []string
	now        func() time.Time
	// changed is called with "namespace/name" of every Kafka added,
	// updated or deleted.
	changed func(key string)

	mu        sync.Mutex
	ctx       context.Context // the informers' lifetime, from start
	indexer   cache.Indexer   // nil until the informers run
	factories []dynamicinformer.DynamicSharedInformerFactory
	stop      context.CancelFunc // ends the informers started
	checked   time.Time          // last discovery that found no CRD (or a failed start)
}

func (k *kafkaClusters) start(ctx context.Context) {
	k.mu.Lock()
	k.ctx = ctx
	k.mu.Unlock()
}

func (k *kafkaClusters) shutdown() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stop != nil {
		k.stop()
	}
	for _, f := range k.factories {
		f.Shutdown()
	}
}

// errKafkaCRDMissing: the Kafka CRD is not installed (or not readable).
var errKafkaCRDMissing = errors.New("the CFK Kafka CRD (kafkas.platform.confluent.io) is not installed in this cluster")

// get returns the Kafka namespace/name from the informer cache, starting
// the informers first when the CRD has just been installed.
func (k *kafkaClusters) get(ctx context.Context, namespace, name string) (*unstructured.Unstructured, error) {
	indexer, err := k.ensure(ctx)
	if err != nil {
		return nil, err
	}
	obj, exists, err := indexer.GetByKey(namespace + "/" + name)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, apierrors.NewNotFound(KafkaGVR.GroupResource(), name)
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("kafka cache holds a %T", obj)
	}
	return u, nil
}

func (k *kafkaClusters) ensure(ctx context.Context) (cache.Indexer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.indexer != nil {
		return k.indexer, nil
	}
	if k.dynamic == nil || k.discovery == nil || k.ctx == nil {
		return nil, errKafkaCRDMissing
	}
	if !k.checked.IsZero() && k.now().Sub(k.checked) < kafkaCRDRecheck {
		return nil, errKafkaCRDMissing
	}
	installed, err := kafkaCRDInstalled(k.discovery)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", KafkaGVR.GroupVersion(), err)
	}
	if !installed {
		k.checked = k.now()
		return nil, errKafkaCRDMissing
	}
	// The informers get their own context: a failed start stops them
	// (Shutdown waits for them) instead of leaving them to the process's.
	ictx, stop := context.WithCancel(k.ctx)
	var infs []cache.SharedIndexInformer
	var factories []dynamicinformer.DynamicSharedInformerFactory
	for _, ns := range k.namespaces {
		f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(k.dynamic, 0, ns, nil)
		inf := f.ForResource(KafkaGVR).Informer()
		// Only the status is read: the spec of a Kafka is large.
		if err := inf.SetTransform(keepKafkaStatus); err != nil {
			stop()
			return nil, err
		}
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    k.notify,
			UpdateFunc: func(_, obj any) { k.notify(obj) },
			DeleteFunc: k.notify,
		}); err != nil {
			stop()
			return nil, err
		}
		factories = append(factories, f)
		infs = append(infs, inf)
		f.Start(ictx.Done())
	}
	syncCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, inf := range infs {
		if !cache.WaitForCacheSync(syncCtx.Done(), inf.HasSynced) {
			stop()
			for _, f := range factories {
				f.Shutdown()
			}
			k.checked = k.now() // try again after kafkaCRDRecheck
			return nil, errors.New("the Kafka informer did not sync (can kafkalink list kafkas.platform.confluent.io?)")
		}
	}
	k.factories, k.stop = factories, stop
	klog.FromContext(ctx).Info("CFK Kafka CRD found: resolving KafkaRestClass kafkaClusterRef through it")
	k.indexer = kubeclient.MergedIndexer(infs)
	return k.indexer, nil
}

func (k *kafkaClusters) notify(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil && k.changed != nil {
		k.changed(key)
	}
}

func kafkaCRDInstalled(d discovery.DiscoveryInterface) (bool, error) {
	list, err := d.ServerResourcesForGroupVersion(KafkaGVR.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, r := range list.APIResources {
		if r.Name == KafkaGVR.Resource {
			return true, nil
		}
	}
	return false, nil
}

// keepKafkaStatus drops everything of a Kafka but its identity and status.
func keepKafkaStatus(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	out := &unstructured.Unstructured{Object: map[string]any{"apiVersion": u.GetAPIVersion(), "kind": u.GetKind()}}
	out.SetName(u.GetName())
	out.SetNamespace(u.GetNamespace())
	out.SetResourceVersion(u.GetResourceVersion())
	out.SetUID(u.GetUID())
	if st, ok := u.Object["status"]; ok {
		out.Object["status"] = st
	}
	return out, nil
}

// restTarget is where a KafkaRestClass's REST API is: the endpoint and the
// cluster id (empty: ask the endpoint).
type restTarget struct {
	endpoint  string
	clusterID string
}

// classTarget resolves a KafkaRestClass's endpoint: spec.kafkaRest.endpoint,
// or the REST endpoint its CFK Kafka reports (status.services.kafka-rest,
// or status.restConfig). A problem the user must fix is a blockedError with
// reason KafkaClusterRefUnresolved.
func (c *Controller) classTarget(ctx context.Context, class *kafkalinkv1alpha1.KafkaRestClass) (restTarget, error) {
	t := restTarget{endpoint: class.Spec.KafkaRest.Endpoint, clusterID: class.Spec.KafkaRest.KafkaClusterID}
	if t.endpoint != "" {
		return t, nil
	}
	unresolved := func(format string, args ...any) error {
		return blocked(kafkalinkv1alpha1.ReasonKafkaClusterRefUnresolved, "KafkaRestClass %s/%s: "+format, append([]any{class.Namespace, class.Name}, args...)...)
	}
	ref := class.Spec.KafkaClusterRef
	if ref == nil {
		return t, unresolved("neither spec.kafkaRest.endpoint nor spec.kafkaClusterRef is set")
	}
	ns := ref.Namespace
	if ns == "" {
		ns = class.Namespace
	}
	if ns != class.Namespace {
		return t, unresolved("spec.kafkaClusterRef names Kafka %s/%s; a KafkaRestClass resolves only a Kafka in its own namespace", ns, ref.Name)
	}
	kafka, err := c.kafkas.get(ctx, ns, ref.Name)
	switch {
	case errors.Is(err, errKafkaCRDMissing):
		return t, unresolved("spec.kafkaClusterRef names Kafka %s/%s, but %v; give spec.kafkaRest.endpoint instead", ns, ref.Name, err)
	case apierrors.IsNotFound(err):
		return t, unresolved("spec.kafkaClusterRef names Kafka %s/%s, which does not exist", ns, ref.Name)
	case err != nil:
		return t, fmt.Errorf("read Kafka %s/%s: %w", ns, ref.Name, err)
	}
	endpoint, tls := kafkaRESTEndpoint(kafka)
	if endpoint == "" {
		return t, unresolved("Kafka %s/%s reports no REST endpoint yet (status.services.kafka-rest.internalEndpoint); CFK writes it once the cluster is up", ns, ref.Name)
	}
	if !strings.Contains(endpoint, "://") {
		scheme := "http://"
		if tls {
			scheme = "https://"
		}
		endpoint = scheme + endpoint
	}
	if u, err := url.Parse(endpoint); err != nil || u.Host == "" {
		return t, unresolved("Kafka %s/%s reports REST endpoint %q, which is not a URL", ns, ref.Name, endpoint)
	}
	t.endpoint = endpoint
	if t.clusterID == "" {
		t.clusterID, _, _ = unstructured.NestedString(kafka.Object, "status", "clusterID")
	}
	return t, nil
}

// kafkaRESTEndpoint reads the embedded REST API's in-cluster endpoint from
// a CFK Kafka's status, and whether it serves TLS.
func kafkaRESTEndpoint(k *unstructured.Unstructured) (string, bool) {
	for _, path := range [][]string{{"status", "services", "kafka-rest"}, {"status", "restConfig"}} {
		ep, _, _ := unstructured.NestedString(k.Object, append(path, "internalEndpoint")...)
		if ep == "" {
			ep, _, _ = unstructured.NestedString(k.Object, append(path, "externalEndpoint")...)
		}
		if ep != "" {
			tls, _, _ := unstructured.NestedBool(k.Object, append(path, "tls")...)
			return ep, tls || strings.HasPrefix(ep, "https://")
		}
	}
	return "", false
}
