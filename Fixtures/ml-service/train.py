"""Trains the service's model: a logistic regression on the iris measurements that scikit-learn
ships (no download), with a held-out test split and a quality gate, as a CI training step would.

usage: python train.py OUTDIR      writes OUTDIR/model.pkl and OUTDIR/model.json
Exits 1, with the figure, when the held-out accuracy is below MIN_ACCURACY: a model that got
worse never reaches an image. Same inputs, same model: every random choice is seeded.
"""
import json
import os
import pickle
import sys

import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

MIN_ACCURACY = float(os.environ.get("MIN_ACCURACY", "0.9"))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python train.py OUTDIR")
    out = sys.argv[1]
    data = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.3, random_state=7, stratify=data.target)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, random_state=7))
    model.fit(x_train, y_train)
    accuracy = float(model.score(x_test, y_test))
    print(f"train: {len(x_train)} rows, held-out accuracy {accuracy:.3f} (gate {MIN_ACCURACY})")
    if accuracy < MIN_ACCURACY:
        sys.exit(f"train: held-out accuracy {accuracy:.3f} is below the gate {MIN_ACCURACY}: no model written")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.pkl"), "wb") as f:
        pickle.dump(model, f, protocol=5)
    meta = {
        "name": "iris-logreg",
        "features": [n.replace(" (cm)", "").replace(" ", "_") for n in data.feature_names],
        "classes": [str(c) for c in data.target_names],
        "accuracy": round(accuracy, 4),
        "sklearn": sklearn.__version__,
    }
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
