#!/usr/bin/env bash
# Installs a pinned MLflow release into .tools/mlflow-venv (used by the integration tests and the
# mlflow-artifacts benchmark). Idempotent: does nothing when that version is already installed.
# Usage: scripts/install-mlflow.sh            (from anywhere inside the repository)
# Env:   MLFLOW_VERSION (default 3.17.2), PYTHON (default python3)
set -euo pipefail

MLFLOW_VERSION="${MLFLOW_VERSION:-3.17.2}"
PYTHON="${PYTHON:-python3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.tools/mlflow-venv"

installed_version() {
  if [ -x "$VENV/bin/python" ]; then
    "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mlflow"))' 2>/dev/null || true
  fi
}

current="$(installed_version)"
if [ "$current" = "$MLFLOW_VERSION" ]; then
  echo "mlflow $MLFLOW_VERSION already installed in $VENV"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating virtualenv $VENV"
  mkdir -p "$ROOT/.tools"
  "$PYTHON" -m venv "$VENV"
fi

echo "installing mlflow==$MLFLOW_VERSION into $VENV (found: ${current:-none})"
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet --upgrade pip
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "mlflow==$MLFLOW_VERSION"

current="$(installed_version)"
if [ "$current" != "$MLFLOW_VERSION" ]; then
  echo "error: expected mlflow $MLFLOW_VERSION in $VENV, found '${current:-none}'" >&2
  exit 1
fi
echo "mlflow $MLFLOW_VERSION installed in $VENV"
