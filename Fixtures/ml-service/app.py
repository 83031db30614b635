"""The model service: /health and /predict over the model train.py wrote.

POST /predict takes {"features": [sepal_length, sepal_width, petal_length, petal_width]} or a
batch {"features": [[...], [...]]} (at most MAX_ROWS rows) and answers the predicted species with
each class's probability. Anything else is a 400 with a message saying what was wrong.
"""
import json
import math
import os
import pickle

from flask import Flask, jsonify, request

VERSION = "1.0.0"
MODEL_DIR = os.environ.get("MODEL_DIR", "/app/model")
MAX_ROWS = 1000

with open(os.path.join(MODEL_DIR, "model.json")) as f:
    META = json.load(f)
with open(os.path.join(MODEL_DIR, "model.pkl"), "rb") as f:
    MODEL = pickle.load(f)

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1 << 20


class BadInput(Exception):
    pass


def rows_of(body):
    """The feature rows of a request body, each checked; BadInput says what is wrong."""
    if not isinstance(body, dict):
        raise BadInput("the body must be a JSON object with a \"features\" field")
    if "features" not in body:
        raise BadInput("missing field \"features\"")
    features = body["features"]
    if not isinstance(features, list) or not features:
        raise BadInput("\"features\" must be a non-empty list")
    batch = isinstance(features[0], list)
    rows = features if batch else [features]
    if len(rows) > MAX_ROWS:
        raise BadInput(f"at most {MAX_ROWS} rows per request, got {len(rows)}")
    width = len(META["features"])
    for i, row in enumerate(rows):
        where = f"row {i}" if batch else "\"features\""
        if not isinstance(row, list) or len(row) != width:
            raise BadInput(f"{where} must be a list of {width} numbers ({', '.join(META['features'])})")
        for v in row:
            # bool is an int in Python, and NaN or infinity is no measurement.
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise BadInput(f"{where} holds {json.dumps(v)}, which is not a finite number")
    return rows, batch


@app.get("/health")
def health():
    return jsonify(status="ok", model=META["name"], accuracy=META["accuracy"], version=VERSION)


@app.post("/predict")
def predict():
    body = request.get_json(silent=True)
    if body is None:
        return jsonify(error="the body must be JSON (Content-Type: application/json)"), 400
    try:
        rows, batch = rows_of(body)
    except BadInput as e:
        return jsonify(error=str(e)), 400
    classes = META["classes"]
    results = []
    for probs in MODEL.predict_proba(rows):
        best = max(range(len(classes)), key=lambda k: probs[k])
        results.append({
            "prediction": classes[best],
            "probabilities": {c: round(float(p), 4) for c, p in zip(classes, probs)},
        })
    return jsonify(predictions=results) if batch else jsonify(results[0])


@app.errorhandler(404)
def not_found(_):
    return jsonify(error="not found: the service answers GET /health and POST /predict"), 404


@app.errorhandler(405)
def wrong_method(_):
    return jsonify(error="method not allowed: GET /health, POST /predict"), 405


@app.errorhandler(413)
def too_large(_):
    return jsonify(error="request body too large (at most 1 MiB)"), 413
