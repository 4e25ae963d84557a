#!/usr/bin/env bash
# Builds the pinned binaries that tests and `make run` need — kube-apiserver,
# etcd and controller-gen — from the Go module proxy into
# $KAFKALINK_TESTBIN (default $HOME/.cache/kafkalink/bin/<versions>), and
# prints that directory on stdout. Only missing binaries are built; a lock
# makes concurrent runs safe (the second waits, then finds them built).
# Usage: hack/install-testbin.sh [kube-apiserver|etcd|controller-gen ...]
# (no argument: all three).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hack/versions.sh
source "$root/hack/versions.sh"

bin=${KAFKALINK_TESTBIN:-${HOME}/.cache/kafkalink/bin/k8s-${KUBE_VERSION}_etcd-${ETCD_VERSION}_cg-${CONTROLLER_GEN_VERSION}}
mkdir -p "$bin"

log() { printf 'install-testbin: %s\n' "$*" >&2; }

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(controller-gen etcd kube-apiserver)

missing() {
  local b
  for b in "${want[@]}"; do
    [ -x "$bin/$b" ] || return 0
  done
  return 1
}

if ! missing; then
  echo "$bin"
  exit 0
fi

exec 9>"$bin/.lock"
if ! flock -n 9; then
  log "another build holds $bin/.lock; waiting for it"
  flock 9
fi

# Cold builds measured on a 2-core machine (module downloads included);
# shown before each build so that a long silence is expected, not a hang.
expected() {
  case $1 in
    controller-gen) echo "a little over 1 minute" ;;
    etcd) echo "about 1 minute" ;;
    kube-apiserver) echo "about 17 minutes" ;;
  esac
}

# ticker prints the elapsed time every KAFKALINK_PROGRESS_INTERVAL seconds
# (default 30) until it is terminated: go build prints nothing while it
# compiles, for minutes. Its sleep is killed with it, so nothing holds the
# caller's stdout or stderr open after the build.
ticker() { # ticker <name> <start>
  local s=
  trap 'kill $s 2>/dev/null; exit 0' TERM
  while :; do
    sleep "${KAFKALINK_PROGRESS_INTERVAL:-30}" &
    s=$!
    wait "$s"
    log "still building $1: $((SECONDS - $2))s so far"
  done
}

# Build into a temporary name and rename, so a reader never sees half a binary.
build() { # build <module dir> <name> <package> [ldflags]
  local dir=$1 name=$2 pkg=$3 ldflags=${4:-}
  if [ -x "$bin/$name" ]; then return 0; fi
  log "building $name ($pkg) from source; on 2 cores the first build takes $(expected "$name")"
  local start=$SECONDS
  ticker "$name" "$start" </dev/null >&2 &
  local tick=$!
  local rc=0
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$bin/.$name.tmp" "$pkg") || rc=$?
  kill "$tick" 2>/dev/null || true
  wait "$tick" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    log "building $name failed after $((SECONDS - start))s"
    exit "$rc"
  fi
  mv -f "$bin/.$name.tmp" "$bin/$name"
  log "built $name in $((SECONDS - start))s"
}

major=${KUBE_VERSION#v}; major=${major%%.*}
minor=${KUBE_VERSION#v*.}; minor=${minor%%.*}
vpkg=k8s.io/component-base/version
kube_ldflags="-X $vpkg.gitVersion=$KUBE_VERSION -X $vpkg.gitMajor=$major -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"

for b in "${want[@]}"; do
  case $b in
    controller-gen) build "$root/hack/tools" controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen ;;
    etcd) build "$root/hack/tools/etcd" etcd go.etcd.io/etcd/server/v3 ;;
    kube-apiserver) build "$root/hack/tools" kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$kube_ldflags" ;;
    *) log "unknown binary $b (want kube-apiserver, etcd or controller-gen)"; exit 2 ;;
  esac
done

echo "$bin"
