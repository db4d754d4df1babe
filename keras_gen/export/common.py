"""SavedModel export with named serving signatures, through `keras.export.ExportArchive`."""

import json
import os

import keras
import tensorflow as tf

MAX_SAMPLES = 1024  # one request may not ask the server for more images than this


def checked_endpoint(function, input_signature):
    """`(function with its inputs' shapes checked, the signature it is exported with)`.

    A SavedModel signature does not enforce the shapes of its `TensorSpec`s when called: a tensor of another rank
    or size reaches the computation and fails there with a cryptic message, or not at all (a vector passed as a
    scalar seed). So each input is exported with an unknown shape and its first op is `tf.ensure_shape` against
    its spec, which fails with "Shape of tensor <input name> [...] is not compatible with expected shape [...]"
    (when the function is optimized for the shapes it is called with, and at run time otherwise; a check ordered
    by control dependencies would lose to the shape inference of the ops it guards). The specs' shapes stay on
    record in the export's `keras_gen_export.json`. Then `checked_values` refuses NaN/Inf and empty batches, except
    NaN/Inf in the inputs a function lists in its `nonfinite_inputs` attribute (which then checks them itself, e.g.
    padding that a mask drops).
    """
    specs = list(input_signature)
    nonfinite_allowed = set(getattr(function, "nonfinite_inputs", ()))

    def checked(*inputs):
        inputs = [tf.ensure_shape(value, spec.shape) for value, spec in zip(inputs, specs)]
        return function(*(checked_values(value, spec, finite=spec.name not in nonfinite_allowed)
                          for value, spec in zip(inputs, specs)))

    loose = [tf.TensorSpec(None, spec.dtype, name=spec.name) for spec in specs]
    return checked, loose


def checked_values(value, spec, finite=True):
    """`value` once its values are known to be usable: floats finite (with `finite`), and an input with a batch axis
    not empty.

    NaN or Inf would otherwise flow through a generator into NaN images, and an empty batch into an empty answer
    that a client cannot tell from a bug; both fail here with an error that names the input.
    """
    checks = []
    if finite and spec.dtype.is_floating:
        checks.append(tf.debugging.assert_all_finite(value, f"`{spec.name}` must be finite (no NaN or Inf)"))
    if spec.shape.rank and spec.shape[0] is None:
        checks.append(tf.debugging.assert_positive(
            tf.shape(value)[0], message=f"`{spec.name}` must hold at least one item (its batch size is 0)"))
    return after_checks(checks, value) if checks else value


def describe_inputs(endpoints):
    """`{signature: {input: {"shape": [...], "dtype": ...}}}` (None for the batch size) for the metadata file."""
    return {name: {spec.name: {"shape": list(spec.shape), "dtype": spec.dtype.name} for spec in specs}
            for name, (_, specs) in endpoints.items()}


def export_signatures(model, export_dir, endpoints, metadata=None):
    """Writes a SavedModel at `export_dir` whose signatures are `endpoints`.

    Args:
        model: the Keras model the endpoints use: its variables reach the archive through the endpoints that read
            them, its text layers' lookup tables are tracked.
        export_dir: output folder (a SavedModel, loadable with plain `tf.saved_model.load`).
        endpoints: `{name: (function, [tf.TensorSpec, ...])}`; each function takes the specs' tensors
            and returns a dict of named tensors (those names are what TF Serving answers with). Every input is
            checked against its spec's shape first (`checked_endpoint`).
        metadata: JSON-able dict written next to the SavedModel as `keras_gen_export.json`, so tools and
            apps can read shapes and value ranges without importing keras_gen; the inputs of every signature
            are added under "inputs".
    """
    archive = keras.export.ExportArchive()
    # `add_endpoint` tracks every variable the endpoints use; only the lookup tables of text layers reached by a
    # custom call path need tracking by hand. No `archive.track(model)`: with it, Keras 3.15 writes each variable's
    # values twice (the export doubles in size), and variables no signature reads (a discriminator, the raw
    # generator next to its EMA) would be shipped for nothing.
    for layer in model._flatten_layers(include_self=True):
        layer = getattr(layer, "_lookup_layer", layer)  # a TextVectorization's StringLookup
        if isinstance(getattr(layer, "lookup_table", None), tf.lookup.StaticHashTable):
            archive.track(layer.lookup_table)
    for name, (function, input_signature) in endpoints.items():
        checked, loose_signature = checked_endpoint(function, input_signature)
        archive.add_endpoint(name=name, fn=checked, input_signature=loose_signature)
    archive.write_out(export_dir, verbose=False)
    metadata = {"signatures": sorted(endpoints), "inputs": describe_inputs(endpoints), **(metadata or {})}
    with open(os.path.join(export_dir, "keras_gen_export.json"), "w") as f:
        json.dump(metadata, f, indent=2, sort_keys=True)
    return export_dir


def checked_count(count, limit=MAX_SAMPLES, name="count"):
    """Inside a signature: `count` once it is known to be in [1, limit] (checked before any op sized by it);
    `name`: the input's name in the error message."""
    return after_checks([
        tf.debugging.assert_positive(count, message=f"`{name}` must be >= 1"),
        tf.debugging.assert_less_equal(count, limit, message=f"`{name}` must be <= {limit}"),
    ], count)


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


class Endpoints:
    """Numpy front end over a trained Keras model or its SavedModel export, so apps and tools work the same
    whichever they are handed. Subclasses read their attributes in `_read_model` or `_read_export`, and call
    `self._model` (None for an export) or `self._signatures`.
    """

    def __init__(self, model=None, export_dir=None):
        if (model is None) == (export_dir is None):
            raise ValueError(
                "Give exactly one of `model` or `export_dir`. Received: "
                f"model={None if model is None else type(model).__name__}, export_dir={export_dir!r}"
            )
        self._model = model
        self._signatures = None
        if export_dir is not None:
            self._signatures, metadata = open_export(export_dir)
            self._read_export(metadata)
        else:
            self._read_model(model)

    def _read_model(self, model):
        raise NotImplementedError

    def _read_export(self, metadata):
        raise NotImplementedError


def after_checks(checks, *tensors):
    """`tensors` passed through only once every assertion op in `checks` has run.

    Inside a signature, an assertion is not ordered before the computation it guards: a bad input could then
    fail first in some layer with a cryptic message. Routing the inputs through this makes the check speak first.
    """
    with tf.control_dependencies(checks):
        outputs = tuple(tf.identity(t) for t in tensors)
    return outputs if len(outputs) > 1 else outputs[0]
