#!/usr/bin/env bash
# Fails when generated code is stale: regenerates into a temporary copy of the
# tree and diffs it against the work tree, which it never touches.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -C "$root" --exclude=.git -cf - go.mod go.sum hack pkg | tar -C "$tmp" -xf -
"$root/hack/update-codegen.sh" "$tmp" >/dev/null
if ! diff -ru "$root/pkg" "$tmp/pkg" >"$tmp/diff.txt"; then
  cat "$tmp/diff.txt" >&2
  echo "generated code is stale: run hack/update-codegen.sh and commit the result" >&2
  exit 1
fi
echo "generated code is up to date"
