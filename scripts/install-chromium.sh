#!/usr/bin/env bash
# Installs what the `browser` vitest project needs: Debian's chromium (apt-get; skipped when
# /usr/bin/chromium is already there). playwright-core (a pinned dev dependency) drives it; it never
# downloads a browser of its own. Fonts come with chromium's dependencies (fonts-liberation);
# DejaVu is added so the page's text metrics are the same on every machine.
# Idempotent. Prints the version it found.
# Usage: scripts/install-chromium.sh
set -euo pipefail

CHROMIUM="${MODELTRAIL_CHROMIUM:-/usr/bin/chromium}"

missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]} with apt-get"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo -n); fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "chromium and fonts already installed"
fi
"$CHROMIUM" --version
