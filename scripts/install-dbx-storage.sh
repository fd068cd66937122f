#!/usr/bin/env bash
# Installs the storage emulator and the Python side of the Databricks storage tests into
# .tools/dbx-venv: moto in server mode (an S3 emulator, `moto_server`), with boto3, and MLflow's
# Python client next to it (its Unity Catalog S3 path needs boto3; the cross-check runs it against
# the same fakes and emulators). Azurite comes from npm (a dev dependency of packages/test-utils).
# Idempotent: does nothing when the pinned versions are already installed.
# Usage: scripts/install-dbx-storage.sh      Env: PYTHON (default python3)
set -euo pipefail

MOTO_VERSION="5.2.5"
MLFLOW_VERSION="3.17.2"
PYTHON="${PYTHON:-python3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.tools/dbx-venv"
STAMP="$VENV/.installed-moto-$MOTO_VERSION-mlflow-$MLFLOW_VERSION"

if [ -f "$STAMP" ] && [ -x "$VENV/bin/moto_server" ] && [ -x "$VENV/bin/python" ]; then
  echo "moto $MOTO_VERSION and mlflow $MLFLOW_VERSION already installed in $VENV"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating virtualenv $VENV"
  mkdir -p "$ROOT/.tools"
  "$PYTHON" -m venv "$VENV"
fi

echo "installing moto[server]==$MOTO_VERSION and mlflow==$MLFLOW_VERSION into $VENV"
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet --upgrade pip
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet \
  "moto[server]==$MOTO_VERSION" "mlflow==$MLFLOW_VERSION"

"$VENV/bin/python" - <<PY
import importlib.metadata as m
assert m.version("moto") == "$MOTO_VERSION", m.version("moto")
assert m.version("mlflow") == "$MLFLOW_VERSION", m.version("mlflow")
import boto3  # noqa: F401  (MLflow's Unity Catalog S3 path)
PY
rm -f "$VENV"/.installed-*
touch "$STAMP"
echo "moto $MOTO_VERSION and mlflow $MLFLOW_VERSION installed in $VENV"
