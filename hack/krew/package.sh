#!/usr/bin/env bash
# Builds kubectl-kafkalink release archives and renders the krew manifest
# (hack/krew/kafkalink.yaml) for them: real sha256 sums, the release URLs.
#
#   hack/krew/package.sh v0.1.0 [OUT_DIR]          # every platform of the manifest
#   PLATFORMS=linux/amd64 hack/krew/package.sh v0.1.0
#   kubectl krew install --manifest=bin/krew/kafkalink.yaml --archive=bin/krew/kubectl-kafkalink_linux_amd64.tar.gz
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

tag=${1:?usage: hack/krew/package.sh TAG [OUT_DIR]}
out=${2:-bin/krew}
platforms=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64}
mkdir -p "$out"
manifest=$(sed -n '/^apiVersion:/,$p' hack/krew/kafkalink.yaml | sed "s|{{ .TagName }}|$tag|g")

for p in $platforms; do
  os=${p%/*} arch=${p#*/}
  name=kubectl-kafkalink_${os}_${arch}
  exe=kubectl-kafkalink
  [ "$os" = windows ] && exe=kubectl-kafkalink.exe
  work=$(mktemp -d)
  echo "build $p" >&2
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags=-s -o "$work/$exe" ./cmd/kubectl-kafkalink
  cp LICENSE "$work/"
  tar -C "$work" -czf "$out/$name.tar.gz" "$exe" LICENSE
  rm -rf "$work"
  sum=$(sha256sum "$out/$name.tar.gz" | cut -d' ' -f1)
  url="https://github.com/kafkalink/kafkalink/releases/download/$tag/$name.tar.gz"
  manifest=$(printf '%s\n' "$manifest" | sed "s|{{addURIAndSha \"$url\" .TagName }}|uri: $url\n    sha256: $sum|")
done
# Platforms not built here are left out of the rendered manifest.
printf '%s\n' "$manifest" | awk '
  /^  - selector:/ { if (blk != "" && blk !~ /addURIAndSha/) printf "%s", blk; blk = $0 "\n"; inblk = 1; next }
  inblk && /^    / { blk = blk $0 "\n"; next }
  { if (blk != "" && blk !~ /addURIAndSha/) printf "%s", blk; blk = ""; inblk = 0; print }
  END { if (blk != "" && blk !~ /addURIAndSha/) printf "%s", blk }' > "$out/kafkalink.yaml"
echo "$out/kafkalink.yaml" >&2
