//go:build tools

// Package tools pins etcd, built from the Go module proxy for tests and local
// runs. It is its own module because k8s.io/kubernetes would otherwise raise
// etcd to the version it requires.
package tools

import _ "go.etcd.io/etcd/server/v3"
