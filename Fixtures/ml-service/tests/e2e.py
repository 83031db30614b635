#!/usr/bin/env python3
"""End-to-end checks of a running model service (standard library only, run from outside the
container): /health, predictions for known flowers, a batch, and every kind of bad input.

usage: tests/e2e.py URL [--wait SECONDS] [--expect-version V]
Waits up to --wait seconds (default 60) for /health, then runs the checks; prints one line per
check and exits 1 at the first one that fails, saying what came back.
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def call(url, method="GET", body=None, content_type="application/json"):
    """(status, parsed JSON or raw text) of one request."""
    req = urllib.request.Request(url, method=method, data=body)
    if body is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--wait", type=float, default=60)
    ap.add_argument("--expect-version")
    args = ap.parse_args()
    base = args.url.rstrip("/")
    checks = 0

    def check(name, ok, got):
        nonlocal checks
        if not ok:
            sys.exit(f"e2e: FAILED {name}: got {got!r}")
        checks += 1
        print(f"e2e: ok   {name}")

    deadline = time.monotonic() + args.wait
    while True:
        try:
            status, health = call(base + "/health")
            break
        except OSError as e:
            if time.monotonic() > deadline:
                sys.exit(f"e2e: FAILED /health did not answer within {args.wait:.0f} s: {e}")
            time.sleep(0.5)
    check("GET /health is 200 and ok", status == 200 and isinstance(health, dict) and health.get("status") == "ok", (status, health))
    check("the model passed its training gate", health.get("accuracy", 0) >= 0.9, health)
    if args.expect_version:
        check(f"the app is version {args.expect_version}", health.get("version") == args.expect_version, health)

    def predict(payload, raw=None):
        body = raw if raw is not None else json.dumps(payload).encode()
        return call(base + "/predict", "POST", body)

    for flower, features in [("setosa", [5.1, 3.5, 1.4, 0.2]), ("versicolor", [6.0, 2.7, 4.1, 1.0]),
                             ("virginica", [6.9, 3.1, 5.4, 2.1])]:
        status, r = predict({"features": features})
        ok = status == 200 and isinstance(r, dict) and r.get("prediction") == flower
        ok = ok and abs(sum(r["probabilities"].values()) - 1) < 0.01
        check(f"POST /predict {features} is {flower}", ok, (status, r))
    status, r = predict({"features": [[5.1, 3.5, 1.4, 0.2], [6.9, 3.1, 5.4, 2.1]]})
    check("a batch of two rows gets two predictions",
          status == 200 and [p["prediction"] for p in r.get("predictions", [])] == ["setosa", "virginica"], (status, r))

    bad = [
        ("a body that is not JSON", None, b"features=1,2,3,4"),
        ("a JSON list instead of an object", [5.1, 3.5, 1.4, 0.2], None),
        ("no features field", {"x": [1, 2, 3, 4]}, None),
        ("three features instead of four", {"features": [1.0, 2.0, 3.0]}, None),
        ("a string among the features", {"features": [1.0, "x", 3.0, 4.0]}, None),
        ("a boolean among the features", {"features": [1.0, True, 3.0, 4.0]}, None),
        ("NaN among the features", None, b'{"features": [1.0, NaN, 3.0, 4.0]}'),
        ("an empty list", {"features": []}, None),
        ("too many rows", {"features": [[1.0, 2.0, 3.0, 4.0]] * 1001}, None),
    ]
    for name, payload, raw in bad:
        status, r = predict(payload, raw)
        check(f"400 with a message for {name}",
              status == 400 and isinstance(r, dict) and isinstance(r.get("error"), str) and r["error"], (status, r))
    status, r = call(base + "/predict")
    check("GET /predict is 405", status == 405, (status, r))
    status, r = call(base + "/nowhere")
    check("an unknown path is 404", status == 404, (status, r))
    print(f"e2e: all {checks} checks passed against {base}")


if __name__ == "__main__":
    main()
