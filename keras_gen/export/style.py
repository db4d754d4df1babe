"""StyleGAN2 export: the EMA generator as a SavedModel (images in [0, 1]).

Signatures (`labels` only for a class-conditional model):
    sample(count, seed, truncation[, labels])  images of `count` seeded latents, truncation psi in [0, 1]
    mix(seed_a, seed_b, crossover[, labels])   one image: rows < crossover of w(seed_a), the rest of w(seed_b);
                                               `labels` holds the classes of A and B
    mapping(z[, labels])                       -> w (batch, w_dim)
    synthesize(ws)                             per-layer latents (batch, num_ws, w_dim) -> images
The tracked average of w and the truncation cutoff are in `keras_gen_export.json`, so tools can truncate and mix
any latents through `synthesize`.
"""

import numpy as np
import tensorflow as tf

from keras_gen.export.common import Endpoints, after_checks, checked_count
from keras_gen.latent.style import truncate_styles
from keras_gen.models.stylegan2 import mix_rows, truncate
from keras_gen.utils.labels import check_labels, cycle_labels
from keras_gen.utils.latents import stateless_latents
from keras_gen.utils.value_range import to_unit


def stylegan2_signatures(model):
    """`(endpoints, metadata)` for `export_signatures`."""
    z_dim, num_ws, num_classes = model.z_dim, model.num_ws, model.num_classes

    def checked_labels(labels, batch):
        message = f"`labels` must be in [0, {num_classes}) (one class per image)"
        return after_checks([
            tf.debugging.assert_greater_equal(labels, 0, message=message),
            tf.debugging.assert_less(labels, num_classes, message=message),
            tf.debugging.assert_equal(tf.size(labels), batch, message="`labels` must have one entry per image"),
        ], labels)

    def map_latents(z, labels=None):
        w = model.ema_mapping(z if labels is None else [z, labels], training=False)
        return tf.repeat(tf.cast(w, tf.float32)[:, None, :], num_ws, axis=1)

    def images(ws):
        return {"images": to_unit(model.ema_synthesis(ws, training=False))}

    def sample(count, seed, truncation, labels=None):
        count = checked_count(count)
        truncation = after_checks([
            tf.debugging.assert_greater_equal(truncation, 0.0, message="`truncation` must be in [0, 1]"),
            tf.debugging.assert_less_equal(truncation, 1.0, message="`truncation` must be in [0, 1]"),
        ], truncation)
        z = stateless_latents(count, z_dim, seed)
        labels = None if labels is None else checked_labels(labels, count)
        return images(truncate(map_latents(z, labels), model.w_avg, truncation, model.truncation_cutoff))

    def mix(seed_a, seed_b, crossover, labels=None):
        crossover = after_checks([
            tf.debugging.assert_greater_equal(crossover, 0, message=f"`crossover` must be in [0, {num_ws}]"),
            tf.debugging.assert_less_equal(crossover, num_ws, message=f"`crossover` must be in [0, {num_ws}]"),
        ], crossover)
        z = tf.concat([stateless_latents(1, z_dim, seed_a), stateless_latents(1, z_dim, seed_b)], axis=0)
        labels = None if labels is None else checked_labels(labels, 2)
        ws = map_latents(z, labels)
        return images(mix_rows(ws[:1], ws[1:], crossover))

    def mapping(z, labels=None):
        labels = None if labels is None else checked_labels(labels, tf.shape(z)[0])
        return {"w": tf.cast(model.ema_mapping(z if labels is None else [z, labels], training=False), tf.float32)}

    def synthesize(ws):
        return images(ws)

    count_spec = tf.TensorSpec((), tf.int32, name="count")
    seed_spec = tf.TensorSpec((), tf.int32, name="seed")
    truncation_spec = tf.TensorSpec((), tf.float32, name="truncation")
    seed_a_spec = tf.TensorSpec((), tf.int32, name="seed_a")
    seed_b_spec = tf.TensorSpec((), tf.int32, name="seed_b")
    crossover_spec = tf.TensorSpec((), tf.int32, name="crossover")
    z_spec = tf.TensorSpec((None, z_dim), tf.float32, name="z")
    ws_spec = tf.TensorSpec((None, num_ws, model.w_dim), tf.float32, name="ws")
    endpoints = {
        "sample": (sample, [count_spec, seed_spec, truncation_spec]),
        "mix": (mix, [seed_a_spec, seed_b_spec, crossover_spec]),
        "mapping": (mapping, [z_spec]),
        "synthesize": (synthesize, [ws_spec]),
    }
    if num_classes is not None:
        labels_spec = tf.TensorSpec((None,), tf.int32, name="labels")
        endpoints = {name: (function, [*specs, labels_spec if name != "mix" else tf.TensorSpec((2,), tf.int32, name="labels")])
                     for name, (function, specs) in endpoints.items() if name != "synthesize"}
        endpoints["synthesize"] = (synthesize, [ws_spec])
    metadata = {
        "model": model.name,
        "image_shape": [int(d) for d in model.synthesis.output_shape[1:]],
        "source_shape": None if model.source_shape is None else list(model.source_shape),
        "z_dim": z_dim, "w_dim": model.w_dim, "num_ws": num_ws, "num_classes": num_classes,
        "w_avg": np.asarray(model.w_avg.numpy(), np.float32).tolist(),
        "truncation_cutoff": model.truncation_cutoff,
        "value_range": "unit",
    }
    return endpoints, metadata


class StyleEndpoints(Endpoints):
    """Numpy front end over a trained `StyleGAN2` or its export: latents, mapping, synthesis, sample, mix."""

    def _read_export(self, metadata):
        self.z_dim, self.w_dim, self.num_ws = metadata["z_dim"], metadata["w_dim"], metadata["num_ws"]
        self.num_classes = metadata.get("num_classes")
        self.image_shape = tuple(metadata["image_shape"])
        self.w_avg = np.asarray(metadata["w_avg"], np.float32)
        self.truncation_cutoff = metadata.get("truncation_cutoff")

    def _read_model(self, model):
        self.z_dim, self.w_dim, self.num_ws = model.z_dim, model.w_dim, model.num_ws
        self.num_classes = model.num_classes
        self.image_shape = tuple(int(d) for d in model.synthesis.output_shape[1:])
        self.w_avg = np.asarray(model.w_avg.numpy(), np.float32)
        self.truncation_cutoff = model.truncation_cutoff

    @property
    def conditional(self):
        return self.num_classes is not None

    def _labels(self, labels, count):
        if not self.conditional:
            return None
        labels = cycle_labels(count, self.num_classes) if labels is None else labels
        return check_labels(labels, self.num_classes, count=count)

    def latents(self, count, seed):
        """The z that `sample(count, seed)` maps (the export's stateless draw)."""
        return stateless_latents(int(count), self.z_dim, int(seed)).numpy()

    def mapping(self, z, labels=None):
        """`(batch, z_dim)` -> per-layer latents `(batch, num_ws, w_dim)` (every row the same w)."""
        z = np.asarray(z, np.float32)
        labels = self._labels(labels, len(z))
        if self._model is not None:
            return np.asarray(self._model.map(z, labels))
        kwargs = {} if labels is None else {"labels": tf.constant(labels)}
        w = self._signatures["mapping"](z=tf.constant(z), **kwargs)["w"].numpy()
        return np.repeat(w[:, None], self.num_ws, axis=1)

    def synthesize(self, ws):
        """`(batch, num_ws, w_dim)` -> images in [0, 1]."""
        ws = np.asarray(ws, np.float32)
        if self._model is not None:
            return to_unit(np.asarray(self._model.synthesize(ws)))
        return self._signatures["synthesize"](ws=tf.constant(ws))["images"].numpy()

    def seeded_ws(self, seeds, labels=None):
        """One per-layer latent stack per seed (`latents(1, seed)` each)."""
        z = np.concatenate([self.latents(1, seed) for seed in seeds])
        return self.mapping(z, labels)

    def sample(self, count, seed, truncation=1.0, labels=None):
        """`count` images from `latents(count, seed)`, truncated with psi = `truncation`."""
        ws = self.mapping(self.latents(count, seed), labels)
        return self.synthesize(truncate_styles(ws, self.w_avg, float(truncation), self.truncation_cutoff))
