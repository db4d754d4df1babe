"""VAE export: a SavedModel with `sample`, `decode`, `encode` and `reconstruct` signatures for TF Serving."""

import numpy as np
import tensorflow as tf

from keras_gen.export.common import Endpoints, checked_count, export_signatures
from keras_gen.utils.latents import stateless_latents

def export_vae(model, export_dir):
    """Writes `export_dir`: the SavedModel of `vae_signatures(model)`."""
    return export_signatures(model, export_dir, *vae_signatures(model))


def vae_signatures(model):
    """`(endpoints, metadata)` for `export_signatures`; every signature takes and returns float32 (images in [0, 1])."""
    image_shape = tuple(int(d) for d in model.image_shape)
    latent_dim = int(model.latent_dim)

    def sample(count, seed):
        z = stateless_latents(checked_count(count), latent_dim, seed)
        return {"images": model.decode(z)}

    def decode(z):
        return {"images": model.decode(z)}

    def encode(images):
        mean, scale = model.encode(images)
        return {"mean": mean, "scale": scale}

    def reconstruct(images):
        return {"images": model(images)}

    image_spec = tf.TensorSpec((None,) + image_shape, tf.float32, name="images")
    endpoints = {
        "sample": (sample, [tf.TensorSpec((), tf.int32, name="count"), tf.TensorSpec((), tf.int32, name="seed")]),
        "decode": (decode, [tf.TensorSpec((None, latent_dim), tf.float32, name="z")]),
        "encode": (encode, [image_spec]),
        "reconstruct": (reconstruct, [image_spec]),
    }
    metadata = {"model": "vae", "image_shape": list(image_shape), "latent_dim": latent_dim, "value_range": "unit"}
    return endpoints, metadata


class VAEEndpoints(Endpoints):
    """encode/decode/sample/reconstruct as numpy functions, over a trained Keras VAE or its SavedModel export."""

    def _read_export(self, metadata):
        inputs = {name: self._signatures[name].structured_input_signature[1] for name in ("decode", "encode")}
        self.latent_dim = int(metadata.get("latent_dim") or inputs["decode"]["z"].shape[-1])
        self.image_shape = tuple(metadata.get("image_shape") or inputs["encode"]["images"].shape[1:])

    def _read_model(self, model):
        self.latent_dim = int(model.latent_dim)
        self.image_shape = tuple(model.image_shape)

    def encode(self, images):
        """(batch, H, W, C) -> posterior means (batch, latent_dim)."""
        images = tf.constant(np.asarray(images, np.float32))
        if self._model is not None:
            return np.asarray(self._model.encode(images)[0])
        return self._signatures["encode"](images=images)["mean"].numpy()

    def decode(self, z):
        z = tf.constant(np.asarray(z, np.float32))
        if self._model is not None:
            return np.asarray(self._model.decode(z))
        return self._signatures["decode"](z=z)["images"].numpy()

    def reconstruct(self, images):
        return self.decode(self.encode(images))

    def sample(self, count, seed):
        if self._model is not None:
            return np.asarray(self._model.generate(int(count), int(seed)))
        return self._signatures["sample"](count=tf.constant(int(count)), seed=tf.constant(int(seed)))["images"].numpy()
