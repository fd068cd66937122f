#!/usr/bin/env bash
# Builds the local Kubernetes control plane the k8s integration tests and benchmark run against:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kubectl (k8s.io/kubernetes, pinned
# by scripts/k8s-tier/go.mod + go.sum, built from the Go module proxy) and kwok (the fake node).
#
# Binaries go to a cache outside the clone, keyed by version, so a fresh clone on the same machine
# reuses them: $K8S_TIER_DIR/bin (default ~/.cache/modeltrail/k8s-tier-<version>/bin). Idempotent:
# when every binary is there it only checks them. After a build only the binaries are kept (the Go
# module and build caches, ~6 GiB, are removed) unless K8S_TIER_KEEP_GO_CACHE=1.
# Cold build: about 14 min on 2 cores, 2.8 GiB peak memory. Needs Go >= 1.26 (the kubernetes go.mod's
# `go` line; an older Go >= 1.21 fetches that toolchain from the module proxy) and openssl (PKI).
#
# Usage: scripts/install-k8s.sh           Prints the bin directory on its last line.
set -euo pipefail

K8S_VERSION=1.37.2
ETCD_VERSION=3.7.0   # the etcd server version kubernetes v1.37.2 pins
KWOK_VERSION=0.8.0

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULE_DIR="$ROOT/scripts/k8s-tier"
K8S_TIER_DIR="${K8S_TIER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/modeltrail/k8s-tier-$K8S_VERSION}"
BIN="$K8S_TIER_DIR/bin"
BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)

log() { echo "install-k8s: $*" >&2; }

if ! command -v openssl >/dev/null; then
  log "installing openssl (certificates for the local control plane)"
  apt-get update -qq && apt-get install -y -qq openssl >/dev/null
fi

missing=()
for b in "${BINARIES[@]}"; do [ -x "$BIN/$b" ] || missing+=("$b"); done

if [ "${#missing[@]}" -gt 0 ]; then
  command -v go >/dev/null || { log "Go is needed to build the control plane (apt-get install golang-go, or a Go >= 1.21)"; exit 1; }
  export GOPATH="$K8S_TIER_DIR/gopath" GOMODCACHE="$K8S_TIER_DIR/gopath/pkg/mod" GOCACHE="$K8S_TIER_DIR/gocache"
  # GOTOOLCHAIN=auto: the local Go when it satisfies the module's `go 1.26.0`, else that toolchain
  # from the module proxy. One package at a time per core pair keeps the peak near 2.8 GiB.
  export GOFLAGS="-buildvcs=false -p=2" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0
  log "building ${missing[*]} into $BIN with $(go version) (cold: ~14 min)"
  mkdir -p "$BIN" "$K8S_TIER_DIR/kmod"
  # The throwaway module that requires kubernetes and pins its staging modules with `replace`
  # (`go install` refuses modules with replace directives). Its go.sum is committed.
  cp "$MODULE_DIR/go.mod" "$MODULE_DIR/go.sum" "$K8S_TIER_DIR/kmod/"
  cd "$K8S_TIER_DIR/kmod"
  go mod download

  maj=${K8S_VERSION%%.*}; min=${K8S_VERSION#*.}; min=${min%%.*}
  ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=$maj -X $p.gitMinor=$min -X $p.gitTreeState=clean"
  done
  build() { # name package ldflags
    [ -x "$BIN/$1" ] && return 0
    local started=$SECONDS
    go build -mod=readonly -ldflags "$3" -o "$BIN/$1.tmp" "$2"
    mv "$BIN/$1.tmp" "$BIN/$1"
    log "built $1 in $((SECONDS - started)) s"
  }
  build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$ldflags"
  build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$ldflags"
  build kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler "$ldflags"
  build kubectl k8s.io/kubernetes/cmd/kubectl "$ldflags"
  build etcd go.etcd.io/etcd/server/v3 "-s -w"
  if [ ! -x "$BIN/kwok" ]; then
    # kwok's own go.mod has no replace directives: a plain `go install` at the pinned version.
    started=$SECONDS
    (cd / && GOBIN="$BIN" go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION")
    log "built kwok in $((SECONDS - started)) s"
  fi
fi

for b in "${BINARIES[@]}"; do
  [ -x "$BIN/$b" ] || { log "missing $BIN/$b after the build"; exit 1; }
done
# The version output is captured before it is searched: `cmd | grep -q` under pipefail fails at random when
# grep exits at its first match and cmd then dies of SIGPIPE writing the rest.
kubectl_version="$("$BIN/kubectl" version --client 2>/dev/null || true)"
[[ "$kubectl_version" == *"v$K8S_VERSION"* ]] || { log "$BIN/kubectl is not v$K8S_VERSION: $kubectl_version"; exit 1; }
etcd_version="$("$BIN/etcd" --version 2>&1 || true)"
[[ "$etcd_version" == *"$ETCD_VERSION"* ]] || { log "$BIN/etcd is not $ETCD_VERSION: $etcd_version"; exit 1; }
if [ "${K8S_TIER_KEEP_GO_CACHE:-0}" != 1 ]; then
  for d in gopath gocache kmod; do
    if [ -d "$K8S_TIER_DIR/$d" ]; then
      chmod -R u+w "$K8S_TIER_DIR/$d" 2>/dev/null || true
      rm -rf "${K8S_TIER_DIR:?}/$d"
    fi
  done
fi
log "control plane binaries ready: kubernetes v$K8S_VERSION, etcd $ETCD_VERSION, kwok v$KWOK_VERSION"
echo "$BIN"
