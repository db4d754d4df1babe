"""SavedModel export with named serving signatures, through `keras.export.ExportArchive`."""

import json
import os

import keras
import tensorflow as tf


def export_signatures(model, export_dir, endpoints, metadata=None):
    """Writes a SavedModel at `export_dir` whose signatures are `endpoints`.

    Args:
        model: the Keras model whose variables the endpoints use (tracked into the archive).
        export_dir: output folder (a SavedModel, loadable with plain `tf.saved_model.load`).
        endpoints: `{name: (function, [tf.TensorSpec, ...])}`; each function takes the specs' tensors
            and returns a dict of named tensors (those names are what TF Serving answers with).
        metadata: JSON-able dict written next to the SavedModel as `keras_gen_export.json`, so tools and
            apps can read shapes and value ranges without importing keras_gen.
    """
    archive = keras.export.ExportArchive()
    archive.track(model)
    for name, (function, input_signature) in endpoints.items():
        archive.add_endpoint(name=name, fn=function, input_signature=input_signature)
    archive.write_out(export_dir, verbose=False)
    with open(os.path.join(export_dir, "keras_gen_export.json"), "w") as f:
        json.dump({"signatures": sorted(endpoints), **(metadata or {})}, f, indent=2, sort_keys=True)
    return export_dir


def check_batch_images(images, image_shape, name="images"):
    """Inside a signature: rejects images whose (H, W, C) differ from `image_shape` with a clear message."""
    check = tf.debugging.assert_equal(
        tf.shape(images)[1:],
        tf.constant(image_shape, tf.int32),
        message=f"`{name}` must have shape (batch, {', '.join(map(str, image_shape))})",
    )
    with tf.control_dependencies([check]):  # the check runs before any layer sees the images
        return tf.identity(images)


def read_metadata(export_dir):
    path = os.path.join(export_dir, "keras_gen_export.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def open_export(export_dir):
    """`(signatures, metadata)` of a keras-gen export; a clear error when `export_dir` holds no SavedModel."""
    if not os.path.exists(os.path.join(export_dir, "saved_model.pb")):
        raise FileNotFoundError(f"No SavedModel at export_dir={export_dir!r}.")
    return tf.saved_model.load(export_dir).signatures, read_metadata(export_dir)


def after_checks(checks, *tensors):
    """`tensors` passed through only once every assertion op in `checks` has run.

    Inside a signature, an assertion is not ordered before the computation it guards: a bad input could then
    fail first in some layer with a cryptic message. Routing the inputs through this makes the check speak first.
    """
    with tf.control_dependencies(checks):
        outputs = tuple(tf.identity(t) for t in tensors)
    return outputs if len(outputs) > 1 else outputs[0]
