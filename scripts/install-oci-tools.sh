#!/usr/bin/env bash
# Installs what the @modeltrail/registry integration tests and the registry-push benchmark need:
#   - Debian's docker-registry (distribution 2.8) and skopeo, through apt-get (skipped when present);
#   - oras and cosign, built pinned from the Go module proxy into ~/.cache/modeltrail/<tool>-<version>/bin
#     (reused when present: CI clones the repository afresh, the cache lives outside the clone).
# Idempotent. Prints where each tool is. Needs Go >= 1.24 for the builds (`go` on PATH or /usr/local/go).
# Usage: scripts/install-oci-tools.sh [--apt-only|--go-only]
# Env:   ORAS_VERSION (default 1.3.6), COSIGN_VERSION (default 2.6.5), MODELTRAIL_CACHE (default ~/.cache/modeltrail)
set -euo pipefail

ORAS_VERSION="${ORAS_VERSION:-1.3.6}"
COSIGN_VERSION="${COSIGN_VERSION:-2.6.5}"
CACHE="${MODELTRAIL_CACHE:-$HOME/.cache/modeltrail}"
mode="${1:-all}"

install_apt() {
  local missing=()
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v skopeo >/dev/null || missing+=(skopeo)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v openssl >/dev/null || missing+=(openssl)
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "docker-registry, skopeo, htpasswd and openssl already installed"
    return 0
  fi
  echo "installing ${missing[*]} with apt-get"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo -n); fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

find_go() {
  if command -v go >/dev/null; then command -v go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else
    echo "error: Go is needed to build oras and cosign (install Go >= 1.24, or put go on PATH)" >&2
    return 1
  fi
}

# go_tool NAME VERSION MODULE_PATH@vVERSION: builds one binary into $CACHE/NAME-VERSION/bin/NAME.
go_tool() {
  local name="$1" version="$2" pkg="$3"
  local dir="$CACHE/$name-$version"
  local bin="$dir/bin/$name"
  if [ -x "$bin" ] && [ -f "$dir/.installed" ]; then
    echo "$name $version already built: $bin"
    return 0
  fi
  local go
  go="$(find_go)"
  local work="$dir/build"
  rm -rf "$dir"
  mkdir -p "$dir/bin" "$work"
  echo "building $name $version from the Go module proxy into $dir (cold build: several minutes)"
  local started=$SECONDS
  (
    export GOPATH="$work/gopath" GOCACHE="$work/gocache" GOBIN="$dir/bin" GOFLAGS="-modcacherw -trimpath"
    export CGO_ENABLED=0 GOTOOLCHAIN=local
    "$go" install -ldflags "-s -w" "$pkg"
  )
  rm -rf "$work"
  "$bin" version >/dev/null 2>&1 || { echo "error: $bin does not run" >&2; return 1; }
  touch "$dir/.installed"
  echo "built $name $version in $((SECONDS - started)) s: $bin"
}

if [ "$mode" != "--go-only" ]; then install_apt; fi
if [ "$mode" != "--apt-only" ]; then
  go_tool oras "$ORAS_VERSION" "oras.land/oras/cmd/oras@v$ORAS_VERSION"
  go_tool cosign "$COSIGN_VERSION" "github.com/sigstore/cosign/v2/cmd/cosign@v$COSIGN_VERSION"
fi
