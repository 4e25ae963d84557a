//go:build tools

// Package tools pins the binaries kafkalink builds from the Go module proxy
// for tests and local runs: kube-apiserver (from k8s.io/kubernetes) and
// controller-gen. They live in this separate module so the main go.mod never
// depends on k8s.io/kubernetes.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
