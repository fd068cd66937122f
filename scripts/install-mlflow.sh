#!/usr/bin/env bash
# Installs a pinned MLflow release and a pinned databricks-sdk (Python) into .tools/mlflow-venv (used by
# the integration tests, the comparisons with Databricks' own SDK and the mlflow-artifacts benchmark).
# Idempotent: does nothing when both versions are already installed.
# Usage: scripts/install-mlflow.sh            (from anywhere inside the repository)
# Env:   MLFLOW_VERSION (default 3.17.2), DATABRICKS_SDK_VERSION (default 0.162.0), PYTHON (default python3)
set -euo pipefail

MLFLOW_VERSION="${MLFLOW_VERSION:-3.17.2}"
DATABRICKS_SDK_VERSION="${DATABRICKS_SDK_VERSION:-0.162.0}"
PYTHON="${PYTHON:-python3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.tools/mlflow-venv"

installed_version() {
  if [ -x "$VENV/bin/python" ]; then
    "$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null || true
  fi
}

current="$(installed_version mlflow)"
current_sdk="$(installed_version databricks-sdk)"
if [ "$current" = "$MLFLOW_VERSION" ] && [ "$current_sdk" = "$DATABRICKS_SDK_VERSION" ]; then
  echo "mlflow $MLFLOW_VERSION and databricks-sdk $DATABRICKS_SDK_VERSION already installed in $VENV"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating virtualenv $VENV"
  mkdir -p "$ROOT/.tools"
  "$PYTHON" -m venv "$VENV"
fi

echo "installing mlflow==$MLFLOW_VERSION databricks-sdk==$DATABRICKS_SDK_VERSION into $VENV" \
  "(found: mlflow ${current:-none}, databricks-sdk ${current_sdk:-none})"
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet --upgrade pip
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet \
  "mlflow==$MLFLOW_VERSION" "databricks-sdk==$DATABRICKS_SDK_VERSION"

current="$(installed_version mlflow)"
current_sdk="$(installed_version databricks-sdk)"
if [ "$current" != "$MLFLOW_VERSION" ] || [ "$current_sdk" != "$DATABRICKS_SDK_VERSION" ]; then
  echo "error: expected mlflow $MLFLOW_VERSION and databricks-sdk $DATABRICKS_SDK_VERSION in $VENV," \
    "found '${current:-none}' and '${current_sdk:-none}'" >&2
  exit 1
fi
echo "mlflow $MLFLOW_VERSION and databricks-sdk $DATABRICKS_SDK_VERSION installed in $VENV"
