"""A tiny scikit-learn model saved as an MLflow model, made on the spot (no download): a logistic
regression on two features (``tenure``, ``charges``) with a signature.

``python tests/tiny_model.py DIR`` saves it to DIR (used by the TypeScript tests and bench/serving).
"""

from __future__ import annotations

import sys


def save_tiny_model(path: str) -> str:
    """Saves the model to `path` (which must not exist) and returns `path`."""
    import mlflow.sklearn
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    x = pd.DataFrame({"tenure": [1.0, 2.0, 30.0, 40.0, 3.0, 50.0], "charges": [90.0, 80.0, 20.0, 10.0, 85.0, 15.0]})
    y = [1, 1, 0, 0, 1, 0]
    model = LogisticRegression().fit(x, y)
    mlflow.sklearn.save_model(model, path, signature=infer_signature(x, model.predict(x)), pip_requirements=["scikit-learn"])
    return path


if __name__ == "__main__":
    print(save_tiny_model(sys.argv[1]))
