#!/usr/bin/env bash
# Installs the serving app's pinned Python requirements (examples/serving/requirements.txt: FastAPI,
# uvicorn, and pytest/httpx for its tests) into the demo's virtualenv, .tools/mlflow-venv, which
# scripts/install-mlflow.sh creates with MLflow and scikit-learn (run first if the venv is missing).
# Idempotent: does nothing when every pinned version is already installed.
# Usage: scripts/install-serving.sh            (from anywhere inside the repository)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.tools/mlflow-venv"
REQUIREMENTS="$ROOT/examples/serving/requirements.txt"

if [ ! -x "$VENV/bin/python" ]; then
  bash "$ROOT/scripts/install-mlflow.sh"
fi

# every "name==version" line of the requirements, checked against what is installed
missing() {
  "$VENV/bin/python" - "$REQUIREMENTS" <<'PY'
import importlib.metadata as m, re, sys
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s;]+)", line).groups()
    try:
        found = m.version(name)
    except m.PackageNotFoundError:
        found = None
    if found != version:
        print(f"{name}=={version} (found {found or 'none'})")
PY
}

todo="$(missing)"
if [ -z "$todo" ]; then
  echo "serving requirements already installed in $VENV"
  exit 0
fi
echo "installing the serving requirements into $VENV:" $todo
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet -r "$REQUIREMENTS"
todo="$(missing)"
if [ -n "$todo" ]; then
  echo "error: still missing in $VENV after pip install: $todo" >&2
  exit 1
fi
echo "serving requirements installed in $VENV"
