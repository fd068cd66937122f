#!/usr/bin/env bash
# Installs a pinned openlineage-python (OpenLineage's own Python client) into .tools/openlineage-venv:
# the @modeltrail/openlineage tests read every event modeltrail emits back with it
# (packages/openlineage/test/python/). Its own virtualenv, so its pins never fight MLflow's.
# Idempotent: does nothing when the version is already installed.
# Usage: scripts/install-openlineage.sh       (from anywhere inside the repository)
# Env:   OPENLINEAGE_PYTHON_VERSION (default 1.54.0), PYTHON (default python3)
set -euo pipefail

VERSION="${OPENLINEAGE_PYTHON_VERSION:-1.54.0}"
PYTHON="${PYTHON:-python3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.tools/openlineage-venv"

installed_version() {
  if [ -x "$VENV/bin/python" ]; then
    "$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('openlineage-python'))" 2>/dev/null || true
  fi
}

current="$(installed_version)"
if [ "$current" = "$VERSION" ]; then
  echo "openlineage-python $VERSION already installed in $VENV"
  exit 0
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating virtualenv $VENV"
  mkdir -p "$ROOT/.tools"
  "$PYTHON" -m venv "$VENV"
fi
echo "installing openlineage-python==$VERSION into $VENV (found: ${current:-none})"
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "openlineage-python==$VERSION"
current="$(installed_version)"
if [ "$current" != "$VERSION" ]; then
  echo "error: expected openlineage-python $VERSION in $VENV, found '${current:-none}'" >&2
  exit 1
fi
echo "openlineage-python $VERSION installed in $VENV"
