#!/usr/bin/env bash
# Regenerates the CRD manifests under manifests/base/crds from the Go types
# with the pinned controller-gen (built by hack/install-testbin.sh).
# Usage: hack/update-crds.sh [root]   (root defaults to this checkout)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=${1:-$here}
bin=$("$here/hack/install-testbin.sh" controller-gen)
cd "$root"
rm -rf manifests/base/crds
"$bin/controller-gen" crd:crdVersions=v1 paths=./pkg/apis/... output:crd:dir=manifests/base/crds
cat > manifests/base/crds/kustomization.yaml <<'KUST'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- kafkalink.io_clusterlinks.yaml
- kafkalink.io_kafkarestclasses.yaml
KUST
