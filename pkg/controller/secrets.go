package controller

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kafkalink/kafkalink/pkg/credentials"
)

// secretCache reads Secret data on demand and keeps it only while the
// metadata informer reports the same resourceVersion. The controller so
// never holds every Secret of the cluster in memory (the informer carries
// metadata only), and a converged link costs no Secret GET per resync.
type secretCache struct {
	kube    kubernetes.Interface
	indexer cache.Indexer // metadata-only Secrets

	mu   sync.Mutex
	data map[string]cachedSecret // namespace/name
}

type cachedSecret struct {
	resourceVersion string
	data            map[string][]byte
}

var _ credentials.SecretReader = (*secretCache)(nil)

func newSecretCache(kube kubernetes.Interface, indexer cache.Indexer) *secretCache {
	return &secretCache{kube: kube, indexer: indexer, data: map[string]cachedSecret{}}
}

// SecretData implements credentials.SecretReader.
func (s *secretCache) SecretData(ctx context.Context, namespace, name string) (map[string][]byte, error) {
	key := namespace + "/" + name
	obj, exists, err := s.indexer.GetByKey(key)
	if err != nil {
		return nil, err
	}
	if !exists {
		s.forget(key)
		return nil, fmt.Errorf("Secret %s: %w", key, credentials.ErrNotFound)
	}
	rv := ""
	if m, ok := obj.(metav1.Object); ok {
		rv = m.GetResourceVersion()
	}
	s.mu.Lock()
	c, ok := s.data[key]
	s.mu.Unlock()
	if ok && c.resourceVersion == rv {
		return c.data, nil
	}
	secret, err := s.kube.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		s.forget(key)
		return nil, fmt.Errorf("Secret %s: %w", key, credentials.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.data[key] = cachedSecret{resourceVersion: secret.ResourceVersion, data: secret.Data}
	s.mu.Unlock()
	return secret.Data, nil
}

func (s *secretCache) forget(key string) {
	s.mu.Lock()
	delete(s.data, key)
	s.mu.Unlock()
}

// prune drops the values of Secrets that referenced no longer reports as
// used: a Secret read once for a link that has since been deleted or
// re-pointed does not stay in memory.
func (s *secretCache) prune(referenced func(key string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key := range s.data {
		if !referenced(key) {
			delete(s.data, key)
		}
	}
}
