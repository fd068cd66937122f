"""Task `prepare` of the demo training job: writes a small, seeded, synthetic churn data set.

Parameters: --data-dir DIR --seed N, plus the modeltrail trace flags (--job-id, --job-run-id,
--task-run-id, --task-key, --git-sha) that deployJob adds to every Python task.
Hands the data set's path and digest to the `train` task as task values
(`{{tasks.prepare.values.dataset_path}}`).
Only numpy and the standard library: it starts fast.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os

import numpy as np

from _modeltrail import read_and_show_job_context

FEATURES = ("tenure_months", "monthly_charges", "support_calls", "contract_years")


def main() -> int:
    mt, ctx = read_and_show_job_context()  # raises ValueError for malformed ids
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--rows", type=int, default=400)
    args, _trace_flags = parser.parse_known_args()

    rng = np.random.default_rng(args.seed)
    n = args.rows
    x = np.column_stack(
        [
            rng.integers(1, 72, n),
            rng.normal(70, 20, n).round(2),
            rng.poisson(1.5, n),
            rng.integers(0, 3, n),
        ]
    ).astype(float)
    score = -0.04 * x[:, 0] + 0.03 * x[:, 1] + 0.6 * x[:, 2] - 0.8 * x[:, 3] + rng.normal(0, 1, n)
    churned = (score > np.median(score)).astype(int)

    os.makedirs(args.data_dir, exist_ok=True)
    path = os.path.abspath(os.path.join(args.data_dir, f"churn-seed{args.seed}.csv"))
    tmp = f"{path}.tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([*FEATURES, "churned"])
        for row, label in zip(x.tolist(), churned.tolist()):
            w.writerow([*row, label])
    os.replace(tmp, path)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()

    mt.set_task_value("dataset_path", path)
    mt.set_task_value("dataset_sha256", digest)
    print(json.dumps({"task": ctx["job"].get("taskKey"), "rows": n, "dataset": path, "sha256": digest}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
