package controller

import (
	"k8s.io/apimachinery/pkg/api/meta"
)

// annotationLastApplied is kubectl's client-side apply record: a copy of
// the whole object as last applied, as large as the spec itself.
const annotationLastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// stripForCache is the informers' transform: it drops what the controller
// never reads before an object enters the cache — managedFields (for a
// ClusterLink with thousands of topics, larger than its spec) and
// kubectl's last-applied annotation. Cached objects are so never written
// back whole: the finalizer is a patch, and a status update ignores
// everything but status.
func stripForCache(obj any) (any, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		// Tombstones and other non-objects pass unchanged.
		return obj, nil
	}
	m.SetManagedFields(nil)
	if a := m.GetAnnotations(); a != nil {
		if _, ok := a[annotationLastApplied]; ok {
			cp := make(map[string]string, len(a)-1)
			for k, v := range a {
				if k != annotationLastApplied {
					cp[k] = v
				}
			}
			m.SetAnnotations(cp)
		}
	}
	return obj, nil
}
