"""BUILD.md's serving reference matches the shipped exports, and every request it shows runs on them."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import REPO_ROOT

SAVED_MODELS = os.path.join(REPO_ROOT, "saved_models")
BEGIN = "<!-- serving reference: written by benchmarks/serving_reference.py from saved_model_cli -->"
END = "<!-- end of serving reference -->"


def _manifest():
    with open(os.path.join(SAVED_MODELS, "MANIFEST.json")) as f:
        return json.load(f)["models"]


def documented_models():
    """{model name: (table rows {signature: {input: dtype}}, request bodies)} from BUILD.md's serving reference.

    A body is either a literal `-d '{...}'` or the output of the `python -c '...' > body.json` line shown for it.
    """
    with open(os.path.join(REPO_ROOT, "BUILD.md")) as f:
        text = f.read()
    section = text[text.index(BEGIN) + len(BEGIN): text.index(END)]
    models = {}
    for block in section.split("\n### ")[1:]:
        name = re.match(r"`([^`]+)`", block)[1]
        rows = {}
        for signature, inputs in re.findall(r"^\| `(\w+)`[^|]*\| ([^|]*) \|", block, flags=re.M):
            rows[signature] = dict(re.findall(r"`(\w+)` (\w+)", inputs))
        bodies = [json.loads(body) for body in re.findall(r"-d '(\{.*?\})'", block)]
        for command in re.findall(r"^    python -c '(.*)' > body.json$", block, flags=re.M):
            printed = subprocess.run([sys.executable, "-c", command], capture_output=True, text=True, check=True)
            bodies.append(json.loads(printed.stdout))
        models[name] = (rows, bodies)
    return models


DOCUMENTED = documented_models()


def test_the_reference_covers_every_shipped_model():
    assert sorted(DOCUMENTED) == sorted(entry["name"] for entry in _manifest())


@pytest.mark.parametrize("entry", _manifest(), ids=lambda entry: entry["name"])
def test_every_documented_request_runs_on_the_shipped_export(entry):
    rows, bodies = DOCUMENTED[entry["name"]]
    signatures = tf.saved_model.load(os.path.join(SAVED_MODELS, entry["path"])).signatures
    # The table lists every signature, with each input's name and dtype as the SavedModel declares them.
    assert set(rows) == set(signatures)
    for name, signature in signatures.items():
        specs = signature.structured_input_signature[1]
        assert rows[name] == {key: spec.dtype.name if spec.dtype != tf.string else "string" for key, spec in specs.items()}
    # One request per signature; each runs as TF Serving would send it (every value converted to the input's dtype).
    assert sorted(body["signature_name"] for body in bodies) == sorted(signatures)
    for body in bodies:
        signature = signatures[body["signature_name"]]
        specs = signature.structured_input_signature[1]
        assert set(body["inputs"]) == set(specs), body["signature_name"]
        outputs = signature(**{key: tf.constant(value, specs[key].dtype) for key, value in body["inputs"].items()})
        for key, value in outputs.items():
            value = value.numpy()
            if value.dtype.kind == "f":
                assert np.isfinite(value).all(), (body["signature_name"], key)
            if key == "images":
                assert value.ndim == 4 and 0.0 <= value.min() and value.max() <= 1.0, body["signature_name"]
                if "count" in body["inputs"]:
                    assert value.shape[0] == body["inputs"]["count"]
