"""Checks that every model's tests share: save/load round trips, fresh-process export loading, layer configs."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def assert_keras_roundtrip(model, inputs, path, call=None, atol=1e-6):
    """Saves `model` as `.keras`, reloads it, checks the class and that `call(model, inputs)` agrees.

    Returns the reloaded model (for resume-training checks).
    """
    call = call or (lambda m, x: m(x, training=False))
    model.save(path)
    restored = keras.models.load_model(path)
    assert type(restored) is type(model), f"reloaded a {type(restored).__name__}, saved a {type(model).__name__}"
    expected = keras.tree.map_structure(np.asarray, call(model, inputs))
    actual = keras.tree.map_structure(np.asarray, call(restored, inputs))
    keras.tree.map_structure(lambda a, b: np.testing.assert_allclose(a, b, atol=atol), expected, actual)
    if model.optimizer is not None:
        assert int(restored.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy())
    return restored


def run_in_fresh_process(code, timeout=180):
    """Runs Python `code` in a new interpreter (no keras_gen import unless the code does one).

    The code prints one JSON object on its last stdout line, which is returned.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    result = subprocess.run(  # the program on stdin: no argv length limit for inputs written into it
        [sys.executable, "-"], input=textwrap.dedent(code),
        capture_output=True, text=True, timeout=timeout, cwd="/", env=env,
    )
    assert result.returncode == 0, f"fresh process failed:\n{result.stderr[-4000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def call_export(export_dir, calls):
    """Loads `export_dir` with plain `tf.saved_model.load` in this process and calls each signature;
    returns `{signature: {output: values as nested lists}}`. (That an export loads in a fresh process without
    keras_gen is checked for every family by tests/test_family_contract.py, in one interpreter for all.)

    Args:
        calls: `{signature: {input_name: (value_as_nested_list, dtype_str)}}`.
    """
    import tensorflow as tf

    loaded = tf.saved_model.load(export_dir)
    return {name: {k: np.asarray(t).tolist() for k, t in loaded.signatures[name](
                **{k: tf.constant(v, dtype=d) for k, (v, d) in inputs.items()}).items()}
            for name, inputs in calls.items()}


def assert_layer_config_roundtrip(layer, inputs, atol=1e-6):
    """A layer rebuilt from its config (with the same weights) gives the same outputs."""
    outputs = layer(inputs)
    clone = layer.__class__.from_config(layer.get_config())
    clone(inputs)
    clone.set_weights(layer.get_weights())
    keras.tree.map_structure(
        lambda a, b: np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=atol), outputs, clone(inputs)
    )
    return outputs
