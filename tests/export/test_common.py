"""export_signatures: what a SavedModel written by keras_gen holds."""

import os

import keras
import numpy as np
import tensorflow as tf

from keras_gen.export.common import export_signatures
from tests.helpers import run_in_fresh_process


def test_an_export_stores_each_variable_the_signatures_use_once(tmp_path):
    used = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32), keras.layers.Dense(8)])
    unused = keras.layers.Dense(1000)  # e.g. a discriminator: no signature reads it
    unused.build((None, 64))
    model = keras.Sequential([used])
    endpoints = {"f": (lambda x: {"y": used(x)}, [tf.TensorSpec([None, 64], tf.float32, name="x")]),
                 "g": (lambda x: {"y": 2.0 * used(x)}, [tf.TensorSpec([None, 64], tf.float32, name="x")])}
    export_dir = export_signatures(model, str(tmp_path / "export"), endpoints)

    values_bytes = 4 * sum(int(np.prod(v.shape)) for v in used.variables)  # 2,344 float32 values
    stored = os.path.getsize(os.path.join(export_dir, "variables", "variables.data-00000-of-00001"))
    assert values_bytes <= stored < values_bytes + 1024, (stored, values_bytes)  # once, plus a small header
    x = np.random.default_rng(0).standard_normal((3, 64)).astype(np.float32)
    out = run_in_fresh_process(f"""
    import json
    import numpy as np
    import tensorflow as tf
    loaded = tf.saved_model.load({export_dir!r})
    x = np.array({x.tolist()!r}, np.float32)
    print(json.dumps({{"f": loaded.signatures["f"](x=tf.constant(x))["y"].numpy().tolist(),
                       "g": loaded.signatures["g"](x=tf.constant(x))["y"].numpy().tolist()}}))
    """)
    np.testing.assert_allclose(out["f"], used(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["g"], 2.0 * np.asarray(used(x)), rtol=1e-5, atol=1e-6)
