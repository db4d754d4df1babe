"""VQ-VAE-2 export: a SavedModel with `encode` (images -> code indices), `decode` (codes -> images),
`reconstruct`, and, for a model with priors, `sample` (labels + seed -> images)."""


import numpy as np
import tensorflow as tf

from keras_gen.export.common import MAX_SAMPLES, Endpoints, after_checks, export_signatures
from keras_gen.models.vqvae2 import VQVAE2, VQVAE2Prior

def export_vqvae2(model, export_dir):
    """Writes `export_dir`: the SavedModel of `vqvae2_signatures(model)`."""
    return export_signatures(model, export_dir, *vqvae2_signatures(model))


def vqvae2_signatures(model):
    """`(endpoints, metadata)` for `export_signatures`; for a `VQVAE2` (stage 1) or a `VQVAE2Prior` (stage 2, adds `sample`).

    Signatures (images are float32 in [0, 1]; codes int32):
        encode(images (b, H, W, C)) -> {top_indices (b, H/4, W/4), bottom_indices (b, H/2, W/2)}
        decode(top_indices, bottom_indices) -> {images}
        reconstruct(images) -> {images}
        sample(labels (b,), seed ()) -> {images, top_indices, bottom_indices}   (stage 2 only; for an
            unconditional top prior only the number of labels matters)
    """
    if isinstance(model, VQVAE2Prior):
        vqvae, priors = model.vqvae, model
    elif isinstance(model, VQVAE2):
        vqvae, priors = model, None
    else:
        raise ValueError(f"`model` must be a VQVAE2 or a VQVAE2Prior. Received: model={type(model).__name__}")
    image_shape = tuple(int(d) for d in vqvae.image_shape)
    top_grid, bottom_grid = vqvae.top_grid_shape, vqvae.bottom_grid_shape

    def encode(images):
        top_indices, bottom_indices = vqvae.encode(images)
        return {"top_indices": top_indices, "bottom_indices": bottom_indices}

    def decode(top_indices, bottom_indices):
        # Out-of-range codes would silently gather zeros on some devices: reject them.
        checks = []
        for name, codes, size in (("top_indices", top_indices, vqvae.top_quantizer.num_embeddings),
                                  ("bottom_indices", bottom_indices, vqvae.bottom_quantizer.num_embeddings)):
            checks.append(tf.debugging.assert_non_negative(codes, message=f"`{name}` must be >= 0"))
            checks.append(tf.debugging.assert_less(codes, size, message=f"`{name}` must be < {size}"))
        checks.append(tf.debugging.assert_equal(tf.shape(top_indices)[0], tf.shape(bottom_indices)[0],
                                                message="`top_indices` and `bottom_indices` must have the same batch size"))
        top_indices, bottom_indices = after_checks(checks, top_indices, bottom_indices)
        return {"images": vqvae.decode_indices(top_indices, bottom_indices)}

    def reconstruct(images):
        return {"images": vqvae(images, training=False)}

    image_spec = tf.TensorSpec((None,) + image_shape, tf.float32, name="images")
    endpoints = {
        "encode": (encode, [image_spec]),
        "decode": (decode, [tf.TensorSpec((None,) + top_grid, tf.int32, name="top_indices"),
                            tf.TensorSpec((None,) + bottom_grid, tf.int32, name="bottom_indices")]),
        "reconstruct": (reconstruct, [image_spec]),
    }
    metadata = {
        "model": "vqvae2",
        "image_shape": list(image_shape),
        "top_grid_shape": list(top_grid),
        "bottom_grid_shape": list(bottom_grid),
        "top_num_embeddings": int(vqvae.top_quantizer.num_embeddings),
        "bottom_num_embeddings": int(vqvae.bottom_quantizer.num_embeddings),
        "value_range": "unit",
    }
    if priors is not None:
        num_classes = priors.num_classes

        def sample(labels, seed):
            count = tf.shape(labels)[0]
            checks = [
                tf.debugging.assert_positive(count, message="`labels` must hold at least one label"),
                tf.debugging.assert_less_equal(count, MAX_SAMPLES, message=f"at most {MAX_SAMPLES} labels per request"),
            ]
            if num_classes:
                checks.append(tf.debugging.assert_non_negative(labels, message="`labels` must be >= 0"))
                checks.append(tf.debugging.assert_less(labels, num_classes, message=f"`labels` must be < {num_classes}"))
            labels = after_checks(checks, labels)
            top_indices, bottom_indices = priors.sample_codes(labels=labels, seed=seed)
            return {"images": vqvae.decode_indices(top_indices, bottom_indices), "top_indices": top_indices,
                    "bottom_indices": bottom_indices}

        endpoints["sample"] = (sample, [tf.TensorSpec((None,), tf.int32, name="labels"),
                                        tf.TensorSpec((), tf.int32, name="seed")])
        metadata.update(model="vqvae2_prior", num_classes=num_classes)
    return endpoints, metadata


class VQVAE2Endpoints(Endpoints):
    """encode/decode/reconstruct/sample as numpy functions over a trained model or its SavedModel export."""

    def _read_export(self, metadata):
        self.image_shape = tuple(metadata["image_shape"])
        self.can_sample = "sample" in self._signatures
        self.num_classes = metadata.get("num_classes")

    def _read_model(self, model):
        vqvae = model.vqvae if isinstance(model, VQVAE2Prior) else model
        self.image_shape = tuple(vqvae.image_shape)
        self.can_sample = isinstance(model, VQVAE2Prior)
        self.num_classes = model.num_classes if self.can_sample else None
        self._vqvae = vqvae

    def encode(self, images):
        """-> (top_indices, bottom_indices) numpy int32."""
        images = tf.constant(np.asarray(images, np.float32))
        if self._model is not None:
            return tuple(np.asarray(t) for t in self._vqvae.encode(images))
        out = self._signatures["encode"](images=images)
        return out["top_indices"].numpy(), out["bottom_indices"].numpy()

    def decode(self, top_indices, bottom_indices):
        top, bottom = tf.constant(np.asarray(top_indices, np.int32)), tf.constant(np.asarray(bottom_indices, np.int32))
        if self._model is not None:
            return np.asarray(self._vqvae.decode_indices(top, bottom))
        return self._signatures["decode"](top_indices=top, bottom_indices=bottom)["images"].numpy()

    def reconstruct(self, images):
        return self.decode(*self.encode(images))

    def sample(self, labels, seed):
        if not self.can_sample:
            raise ValueError("This is a stage-1 VQ-VAE-2 without priors: train `--model=vqvae2_prior` to sample.")
        labels = tf.constant(np.asarray(labels, np.int32).reshape(-1))
        if self._model is not None:
            return np.asarray(self._model.generate(labels=labels, seed=int(seed)))
        return self._signatures["sample"](labels=labels, seed=tf.constant(int(seed)))["images"].numpy()
