"""The TF Serving REST bodies BUILD.md shows are valid requests for the shipped export's signatures."""

import json
import os
import re

import numpy as np
import tensorflow as tf

from tests.helpers import REPO_ROOT

EXPORT = os.path.join(REPO_ROOT, "saved_models", "vae_mnist_5k", "1")


def documented_bodies():
    """Every `-d '{...}'` request body of BUILD.md's curl examples, parsed."""
    with open(os.path.join(REPO_ROOT, "BUILD.md")) as f:
        text = f.read()
    return [json.loads(body) for body in re.findall(r"-d '(\{.*?\})'", text)]


def test_every_documented_rest_body_runs_on_the_shipped_export():
    bodies = documented_bodies()
    assert {body["signature_name"] for body in bodies} >= {"sample", "decode"}
    signatures = tf.saved_model.load(EXPORT).signatures
    for body in bodies:
        signature = signatures[body["signature_name"]]
        # What TF Serving does with columnar `inputs`: each value becomes a tensor of the input's declared dtype.
        specs = signature.structured_input_signature[1]
        assert set(body["inputs"]) == set(specs), body
        outputs = signature(**{name: tf.constant(value, specs[name].dtype) for name, value in body["inputs"].items()})
        images = outputs["images"].numpy()
        assert images.ndim == 4 and images.shape[1:] == (28, 28, 1) and np.isfinite(images).all(), body
        assert 0.0 <= images.min() and images.max() <= 1.0
    sample = next(body for body in bodies if body["signature_name"] == "sample")
    assert signatures["sample"](count=tf.constant(sample["inputs"]["count"]),
                                seed=tf.constant(sample["inputs"]["seed"]))["images"].shape[0] == sample["inputs"]["count"]
