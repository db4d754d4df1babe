"""Progressive GAN export: the EMA generator at the level the model has reached, with the GAN family's signatures
(so the GAN app and tools serve it): `sample(count, seed)`, `generate(z)`, `sample_truncated(count, seed,
truncation)`, each returning `{"images": float32 (batch, H, W, C) in [0, 1]}` at the dataset's image shape.

A model exported before its growth finished samples at its current resolution (upsampled to the final size): the
export does not refuse it, and `keras_gen_export.json` records the growth state (`level`, `current_resolution`,
`final_resolution`, `growth_complete`, `images_seen`) so a client can tell.
"""

import tensorflow as tf

from keras_gen.export.common import after_checks, checked_count, export_signatures
from keras_gen.models.progan import restore_shape
from keras_gen.utils.latents import stateless_latents
from keras_gen.utils.value_range import to_unit


def export_progan(model, export_dir):
    """Writes `export_dir`: the SavedModel of `progan_signatures(model)`."""
    return export_signatures(model, export_dir, *progan_signatures(model))


def progan_signatures(model):
    """`(endpoints, metadata)` for `export_signatures`."""
    latent_dim = int(model.latent_dim)
    generator = model.ema_generator if model.ema_generator is not None else model.generator

    def run(z):
        images = generator(z, model.level(), training=False)
        return {"images": to_unit(restore_shape(images, model.source_shape))}

    def sample(count, seed):
        return run(stateless_latents(checked_count(count), latent_dim, seed))

    def sample_truncated(count, seed, truncation):
        truncation = after_checks([tf.debugging.assert_positive(truncation, message="`truncation` must be > 0")],
                                  truncation)
        return run(stateless_latents(checked_count(count), latent_dim, seed, truncation=truncation))

    def generate(z):
        return run(z)

    count_spec = tf.TensorSpec((), tf.int32, name="count")
    seed_spec = tf.TensorSpec((), tf.int32, name="seed")
    endpoints = {
        "sample": (sample, [count_spec, seed_spec]),
        "generate": (generate, [tf.TensorSpec((None, latent_dim), tf.float32, name="z")]),
        "sample_truncated": (sample_truncated, [count_spec, seed_spec, tf.TensorSpec((), tf.float32, name="truncation")]),
    }
    metadata = {
        "model": model.name,
        "image_shape": [int(d) for d in model.image_shape],
        "latent_dim": latent_dim,
        "num_classes": None,
        "prior": "gaussian",
        "value_range": "unit",
        **model.growth(),
    }
    return endpoints, metadata

