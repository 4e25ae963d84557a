package controller

import "slices"

// watchedNamespaces is one entry per set of informers: the listed
// namespaces, or Namespace ("" is every namespace).
func (o Options) watchedNamespaces() []string {
	if len(o.Namespaces) > 0 {
		return slices.Compact(slices.Sorted(slices.Values(o.Namespaces)))
	}
	return []string{o.Namespace}
}
