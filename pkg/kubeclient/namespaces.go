package kubeclient

import (
	"errors"
	"slices"

	"k8s.io/client-go/tools/cache"
)

// MergedIndexer reads the indexers of per-namespace informers as one, so
// listers and index look-ups work unchanged over several namespaces. With
// one informer it is that informer's indexer.
func MergedIndexer(infs []cache.SharedIndexInformer) cache.Indexer {
	if len(infs) == 1 {
		return infs[0].GetIndexer()
	}
	m := &namespacesIndexer{Indexer: infs[0].GetIndexer()}
	for _, inf := range infs {
		m.parts = append(m.parts, inf.GetIndexer())
	}
	return m
}

// namespacesIndexer is read-only: informers write their own parts.
type namespacesIndexer struct {
	cache.Indexer // the first part, for GetIndexers
	parts         []cache.Indexer
}

var errReadOnly = errors.New("merged namespace indexer is read-only")

func (m *namespacesIndexer) Add(any) error                    { return errReadOnly }
func (m *namespacesIndexer) Update(any) error                 { return errReadOnly }
func (m *namespacesIndexer) Delete(any) error                 { return errReadOnly }
func (m *namespacesIndexer) Replace([]any, string) error      { return errReadOnly }
func (m *namespacesIndexer) AddIndexers(cache.Indexers) error { return errReadOnly }

func (m *namespacesIndexer) List() []any {
	var out []any
	for _, p := range m.parts {
		out = append(out, p.List()...)
	}
	return out
}

func (m *namespacesIndexer) ListKeys() []string {
	var out []string
	for _, p := range m.parts {
		out = append(out, p.ListKeys()...)
	}
	return out
}

func (m *namespacesIndexer) Get(obj any) (any, bool, error) {
	key, err := cache.MetaNamespaceKeyFunc(obj)
	if err != nil {
		return nil, false, err
	}
	return m.GetByKey(key)
}

// GetByKey asks each part; keys are namespace/name and a namespace lives
// in one part only, so at most one answers.
func (m *namespacesIndexer) GetByKey(key string) (any, bool, error) {
	for _, p := range m.parts {
		if item, ok, err := p.GetByKey(key); err != nil || ok {
			return item, ok, err
		}
	}
	return nil, false, nil
}

func (m *namespacesIndexer) Index(indexName string, obj any) ([]any, error) {
	var out []any
	for _, p := range m.parts {
		items, err := p.Index(indexName, obj)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

func (m *namespacesIndexer) IndexKeys(indexName, value string) ([]string, error) {
	var out []string
	for _, p := range m.parts {
		keys, err := p.IndexKeys(indexName, value)
		if err != nil {
			return nil, err
		}
		out = append(out, keys...)
	}
	return out, nil
}

func (m *namespacesIndexer) ListIndexFuncValues(indexName string) []string {
	var out []string
	for _, p := range m.parts {
		out = append(out, p.ListIndexFuncValues(indexName)...)
	}
	return slices.Compact(slices.Sorted(slices.Values(out)))
}

func (m *namespacesIndexer) ByIndex(indexName, value string) ([]any, error) {
	var out []any
	for _, p := range m.parts {
		items, err := p.ByIndex(indexName, value)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}
