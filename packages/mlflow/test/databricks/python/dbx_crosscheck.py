"""MLflow's own Python client against the fake Databricks workspace and the storage emulators.

Reads one JSON command on stdin, prints one JSON answer. The workspace, Azurite and moto all listen
on 127.0.0.1: a socket guard refuses any other address, so nothing leaves the machine.
Commands:
  download_run  {run_id, path, dst}     mlflow.artifacts.download_artifacts(run_id=..., artifact_path=...)
  upload_run    {run_id, src, path}     MlflowClient().log_artifacts(run_id, src, path)
  register      {source, name}          mlflow.register_model(source, name)  (Unity Catalog registry)
  download_uri  {uri, dst}              mlflow.artifacts.download_artifacts(artifact_uri=uri)
Answers carry {"files": {relative path: sha256}} for downloads.
"""

import hashlib
import json
import os
import socket
import sys


def _guard():
    real_connect = socket.socket.connect

    def connect(self, address):
        if isinstance(address, tuple) and str(address[0]) not in ("127.0.0.1", "::1", "localhost"):
            raise ConnectionError(f"network guard: connection to {address!r} refused")
        return real_connect(self, address)

    socket.socket.connect = connect


def _hashes(root):
    out = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root).replace(os.sep, "/")] = hashlib.sha256(f.read()).hexdigest()
    return out


def main():
    _guard()
    cmd = json.load(sys.stdin)
    import mlflow
    from mlflow import MlflowClient

    op = cmd["op"]
    if op == "download_run":
        local = mlflow.artifacts.download_artifacts(
            run_id=cmd["run_id"], artifact_path=cmd["path"], dst_path=cmd["dst"]
        )
        print(json.dumps({"local": local, "files": _hashes(local)}))
    elif op == "upload_run":
        MlflowClient().log_artifacts(cmd["run_id"], cmd["src"], cmd["path"])
        print(json.dumps({}))
    elif op == "register":
        mv = mlflow.register_model(cmd["source"], cmd["name"])
        print(json.dumps({"name": mv.name, "version": str(mv.version), "status": mv.status}))
    elif op == "download_uri":
        local = mlflow.artifacts.download_artifacts(artifact_uri=cmd["uri"], dst_path=cmd["dst"])
        print(json.dumps({"local": local, "files": _hashes(local)}))
    else:
        raise SystemExit(f"unknown op {op}")


if __name__ == "__main__":
    main()
