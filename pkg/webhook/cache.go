package webhook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/generated/clientset/versioned"
	"github.com/kafkalink/kafkalink/pkg/generated/informers/externalversions"
	listers "github.com/kafkalink/kafkalink/pkg/generated/listers/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/kubeclient"
)

// ErrCacheNotSynced is returned by a Lookup that cannot answer yet. The
// handler denies such requests with a retryable status: a check that cannot
// answer refuses, it never admits.
var ErrCacheNotSynced = errors.New("the webhook's caches of KafkaRestClasses and Secrets have not synced yet")

// NamespaceNotWatchedError: a lookup outside the namespaces this install
// watches. The caches cannot say whether the object exists there, so the
// lookup refuses (and the handler reports the reference as forbidden).
type NamespaceNotWatchedError struct {
	Namespace string
	Watched   []string
}

func (e *NamespaceNotWatchedError) Error() string {
	return fmt.Sprintf("namespace %q is not watched by this kafkalink installation (--watch-namespaces=%s)", e.Namespace, strings.Join(e.Watched, ","))
}

var secretsGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// CacheLookup implements Lookup from informer caches: KafkaRestClasses, and
// Secrets as metadata only (PartialObjectMetadata), so no Secret value ever
// reaches the webhook's memory and no admission makes an API call.
type CacheLookup struct {
	classes listers.KafkaRestClassLister
	secrets cache.Indexer
	synced  []cache.InformerSynced

	kafkalinkFactories []externalversions.SharedInformerFactory
	secretFactories    []metadatainformer.SharedInformerFactory
	// watched are the namespaces cached; nil means every namespace.
	watched []string
}

// NewCacheLookup builds the informers; Start runs them. namespaces limits
// the caches to those namespaces (one set of informers each, so RBAC can be
// Roles in exactly those); none means every namespace.
func NewCacheLookup(kafkalink versioned.Interface, md metadata.Interface, namespaces ...string) (*CacheLookup, error) {
	if len(namespaces) == 0 {
		namespaces = []string{""}
	}
	l := &CacheLookup{}
	if namespaces[0] != "" {
		l.watched = slices.Clone(namespaces)
	}
	var classInformers, secretInformers []cache.SharedIndexInformer
	for _, ns := range namespaces {
		kf := externalversions.NewSharedInformerFactoryWithOptions(kafkalink, 0,
			externalversions.WithNamespace(ns), externalversions.WithTransform(dropManagedFields))
		sf := metadatainformer.NewFilteredSharedInformerFactory(md, 0, ns, nil)
		classes := kf.Kafkalink().V1alpha1().KafkaRestClasses().Informer()
		secrets := sf.ForResource(secretsGVR).Informer()
		if err := secrets.SetTransform(secretIdentityOnly); err != nil {
			return nil, fmt.Errorf("set the Secret metadata transform: %w", err)
		}
		l.kafkalinkFactories = append(l.kafkalinkFactories, kf)
		l.secretFactories = append(l.secretFactories, sf)
		classInformers = append(classInformers, classes)
		secretInformers = append(secretInformers, secrets)
		l.synced = append(l.synced, classes.HasSynced, secrets.HasSynced)
	}
	l.classes = listers.NewKafkaRestClassLister(kubeclient.MergedIndexer(classInformers))
	l.secrets = kubeclient.MergedIndexer(secretInformers)
	return l, nil
}

// dropManagedFields keeps the caches small: the checks read names, specs
// and resourceVersions, never managedFields or the last-applied annotation.
func dropManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
		if a := m.GetAnnotations(); a != nil {
			delete(a, "kubectl.kubernetes.io/last-applied-configuration")
		}
	}
	return obj, nil
}

// secretIdentityOnly keeps what the existence check needs. Annotations go
// too: kubectl apply stores a Secret's whole manifest, data included, in
// the last-applied-configuration annotation, and the metadata API returns
// it.
func secretIdentityOnly(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
		m.SetAnnotations(nil)
		m.SetLabels(nil)
		m.SetOwnerReferences(nil)
	}
	return obj, nil
}

// Start runs the informers until ctx ends.
func (l *CacheLookup) Start(ctx context.Context) {
	for i := range l.kafkalinkFactories {
		l.kafkalinkFactories[i].Start(ctx.Done())
		l.secretFactories[i].Start(ctx.Done())
	}
}

// Shutdown waits for the informers' goroutines after ctx ended.
func (l *CacheLookup) Shutdown() {
	for i := range l.kafkalinkFactories {
		l.kafkalinkFactories[i].Shutdown()
		l.secretFactories[i].Shutdown()
	}
}

// WaitForSync blocks until the caches have synced or ctx ends.
func (l *CacheLookup) WaitForSync(ctx context.Context) bool {
	return cache.WaitForNamedCacheSyncWithContext(ctx, l.synced...)
}

// Ready reports whether every cache has synced.
func (l *CacheLookup) Ready() error {
	for _, s := range l.synced {
		if !s() {
			return ErrCacheNotSynced
		}
	}
	return nil
}

// Watches implements namespaceWatcher: with --watch-namespaces, whatever
// lies outside those namespaces is neither cached nor reconciled, and its
// absence from the caches proves nothing.
func (l *CacheLookup) Watches(namespace string) ([]string, bool) {
	return l.watched, l.watched == nil || slices.Contains(l.watched, namespace)
}

// KafkaRestClass implements Lookup.
func (l *CacheLookup) KafkaRestClass(_ context.Context, namespace, name string) (*kafkalinkv1alpha1.KafkaRestClass, error) {
	if err := l.Ready(); err != nil {
		return nil, err
	}
	if watched, ok := l.Watches(namespace); !ok {
		return nil, &NamespaceNotWatchedError{Namespace: namespace, Watched: watched}
	}
	return l.classes.KafkaRestClasses(namespace).Get(name)
}

// SecretExists implements Lookup.
func (l *CacheLookup) SecretExists(_ context.Context, namespace, name string) (bool, error) {
	if err := l.Ready(); err != nil {
		return false, err
	}
	if watched, ok := l.Watches(namespace); !ok {
		return false, &NamespaceNotWatchedError{Namespace: namespace, Watched: watched}
	}
	_, ok, err := l.secrets.GetByKey(namespace + "/" + name)
	return ok, err
}

// waitReady is how the server starts: it logs while the caches sync, so an
// RBAC mistake (no list/watch) is visible instead of a silent "not ready".
func (l *CacheLookup) waitReady(ctx context.Context) {
	logger := klog.FromContext(ctx)
	start := time.Now()
	if l.WaitForSync(ctx) {
		logger.Info("Reference caches synced", "duration", time.Since(start).Round(time.Millisecond))
	}
}

var _ Lookup = (*CacheLookup)(nil)

// isNotFound is the one NotFound a Lookup may return; everything else
// denies.
func isNotFound(err error) bool { return apierrors.IsNotFound(err) }
