#!/usr/bin/env bash
# Regenerates deepcopy functions and the typed clientset, listers, informers
# and apply configurations under pkg/generated with k8s.io/code-generator's
# kube_codegen.sh, at the version pinned in go.mod.
# Usage: hack/update-codegen.sh [root]   (root defaults to this checkout)
set -euo pipefail

root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$root"
module=github.com/kafkalink/kafkalink
CODEGEN_PKG=$(go list -m -f '{{.Dir}}' k8s.io/code-generator)
# shellcheck source=/dev/null
source "${CODEGEN_PKG}/kube_codegen.sh"

kube::codegen::gen_helpers \
  --boilerplate "$root/hack/boilerplate.go.txt" \
  "$root/pkg/apis"

kube::codegen::gen_client \
  --with-watch \
  --with-applyconfig \
  --output-dir "$root/pkg/generated" \
  --output-pkg "$module/pkg/generated" \
  --boilerplate "$root/hack/boilerplate.go.txt" \
  "$root/pkg/apis"
