"""GAN export: the generator as a SavedModel with `sample` and `generate` signatures (images in [0, 1]).

Unconditional: `sample(count, seed)`, `generate(z)`. Class-conditional: `sample(count, seed, labels)` and
`generate(z, labels)`, one int32 label per image; a label outside [0, num_classes) fails with an error that
names the range. Gaussian-prior models also get `sample_truncated(count, seed, truncation[, labels])`.
"""

import numpy as np
import tensorflow as tf

from keras_gen.export.common import Endpoints, checked_count, export_signatures
from keras_gen.utils.labels import check_labels, cycle_labels
from keras_gen.utils.latents import stateless_latents
from keras_gen.utils.value_range import to_unit

def export_gan(model, export_dir):
    """Writes `export_dir`: the SavedModel of `gan_signatures(model)`."""
    return export_signatures(model, export_dir, *gan_signatures(model))


def gan_signatures(model):
    """`(endpoints, metadata)` for `export_signatures`; every signature returns `{"images": float32 (batch, H, W, C) in [0, 1]}`."""
    latent_dim = int(model.latent_dim)
    num_classes = model.num_classes
    image_shape = tuple(int(d) for d in model.generator.output_shape[1:])

    def checked_labels(labels, batch):
        message = f"`labels` must be in [0, {num_classes}) (one class per image)"
        checks = [
            tf.debugging.assert_greater_equal(labels, 0, message=message),
            tf.debugging.assert_less(labels, num_classes, message=message),
            tf.debugging.assert_equal(tf.size(labels), batch, message="`labels` must have one entry per image"),
        ]
        with tf.control_dependencies(checks):  # the checks run before the generator sees the labels
            return tf.identity(labels)

    def latents(count, seed, truncation=None):
        if truncation is not None:
            with tf.control_dependencies([tf.debugging.assert_positive(truncation, message="`truncation` must be > 0")]):
                truncation = tf.identity(truncation)
        return stateless_latents(count, latent_dim, seed, model.prior, truncation)

    def run(z, labels=None):
        if labels is None:
            return {"images": to_unit(model.sampler(z, training=False))}
        labels = checked_labels(labels, tf.shape(z)[0])
        return {"images": to_unit(model.sampler([z, labels], training=False))}

    count_spec = tf.TensorSpec((), tf.int32, name="count")
    seed_spec = tf.TensorSpec((), tf.int32, name="seed")
    z_spec = tf.TensorSpec((None, latent_dim), tf.float32, name="z")
    truncation_spec = tf.TensorSpec((), tf.float32, name="truncation")
    labels_spec = tf.TensorSpec((None,), tf.int32, name="labels")

    if num_classes is None:
        def sample(count, seed):
            count = checked_count(count)
            return run(latents(count, seed))

        def sample_truncated(count, seed, truncation):
            count = checked_count(count)
            return run(latents(count, seed, truncation))

        def generate(z):
            return run(z)

        endpoints = {
            "sample": (sample, [count_spec, seed_spec]),
            "generate": (generate, [z_spec]),
            "sample_truncated": (sample_truncated, [count_spec, seed_spec, truncation_spec]),
        }
    else:
        def sample(count, seed, labels):
            count = checked_count(count)
            return run(latents(count, seed), labels)

        def sample_truncated(count, seed, truncation, labels):
            count = checked_count(count)
            return run(latents(count, seed, truncation), labels)

        def generate(z, labels):
            return run(z, labels)

        endpoints = {
            "sample": (sample, [count_spec, seed_spec, labels_spec]),
            "generate": (generate, [z_spec, labels_spec]),
            "sample_truncated": (sample_truncated, [count_spec, seed_spec, truncation_spec, labels_spec]),
        }
    if model.prior != "gaussian":
        del endpoints["sample_truncated"]
    metadata = {
        "model": model.name,
        "image_shape": list(image_shape),
        "latent_dim": latent_dim,
        "num_classes": num_classes,
        "prior": model.prior,
        "value_range": "unit",
    }
    return endpoints, metadata


class GANEndpoints(Endpoints):
    """sample/generate as numpy functions over a trained Keras `GAN` or its SavedModel export (for apps)."""

    def _read_export(self, metadata):
        self.latent_dim = int(metadata["latent_dim"])
        self.num_classes = metadata.get("num_classes")
        self.image_shape = tuple(metadata["image_shape"])
        self.prior = metadata.get("prior", "gaussian")

    def _read_model(self, model):
        self.latent_dim = int(model.latent_dim)
        self.num_classes = model.num_classes
        # A model whose images are not its generator's output (ProGAN crops them to the dataset's) names their shape.
        shape = getattr(model, "image_shape", None) or model.generator.output_shape[1:]
        self.image_shape = tuple(int(d) for d in shape)
        self.prior = model.prior

    @property
    def conditional(self):
        return self.num_classes is not None

    def _labels(self, labels, count):
        if not self.conditional:
            return {}
        labels = cycle_labels(count, self.num_classes) if labels is None else labels
        return {"labels": tf.constant(check_labels(labels, self.num_classes, count=count))}

    def latents(self, count, seed, truncation=None):
        """The latents `sample(count, seed, truncation)` decodes (same stateless draw as the export)."""
        return stateless_latents(int(count), self.latent_dim, int(seed), self.prior,
                                 float(truncation) if truncation else None).numpy()

    def generate(self, z, labels=None):
        """(batch, latent_dim) -> images in [0, 1]."""
        z = np.asarray(z, np.float32)
        if self._model is not None:
            return to_unit(np.asarray(self._model.generate(z, labels if self.conditional else None)))
        return self._signatures["generate"](z=tf.constant(z), **self._labels(labels, len(z)))["images"].numpy()

    def sample(self, count, seed, labels=None, truncation=None):
        if labels is None and self.conditional:
            labels = cycle_labels(int(count), self.num_classes)
        return self.generate(self.latents(count, seed, truncation), labels)
