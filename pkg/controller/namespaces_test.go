package controller

import (
	"slices"
	"testing"
)

func TestWatchedNamespaces(t *testing.T) {
	if got := (Options{Namespaces: []string{"b", "a", "b"}}).watchedNamespaces(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("watchedNamespaces = %v", got)
	}
	if got := (Options{Namespace: "x"}).watchedNamespaces(); !slices.Equal(got, []string{"x"}) {
		t.Errorf("watchedNamespaces with one = %v", got)
	}
	if got := (Options{}).watchedNamespaces(); !slices.Equal(got, []string{""}) {
		t.Errorf("watchedNamespaces with none = %v", got)
	}
}
