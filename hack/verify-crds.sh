#!/usr/bin/env bash
# Fails when the CRD manifests are stale: regenerates them into a temporary
# copy of the tree and diffs, never touching the work tree.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -C "$root" --exclude=.git -cf - go.mod go.sum pkg manifests | tar -C "$tmp" -xf -
"$root/hack/update-crds.sh" "$tmp"
if ! diff -ru "$root/manifests/base/crds" "$tmp/manifests/base/crds" >"$tmp/diff.txt"; then
  cat "$tmp/diff.txt" >&2
  echo "CRD manifests are stale: run hack/update-crds.sh and commit the result" >&2
  exit 1
fi
echo "CRD manifests are up to date"
