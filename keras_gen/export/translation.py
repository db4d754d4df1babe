"""Image-to-image export: a SavedModel whose `translate` signature maps an image (or label map) to an image.

Every image crossing the signature is float32 in [0, 1] (the models work in [-1, 1] inside). Inputs of the
wrong height, width or channel count are rejected with an error naming the expected shape; they are never
cropped or resized inside the SavedModel (resize before calling, as the CLI and the app do, and say so).

- pix2pix / SRGAN: `translate(images) -> {"images"}`.
- SPADE: `translate(label_map int32 (batch, H, W) class ids, seed int32 scalar) -> {"images"}`, the style
  latent drawn from N(0, I) with `seed`; with a style encoder also
  `translate_with_style(label_map, style_images) -> {"images"}`.
- CycleGAN: `translate(images, direction: string scalar "a2b" | "b2a") -> {"images"}`.
"""

import numpy as np
import tensorflow as tf

from keras_gen.export.common import Endpoints, after_checks, export_signatures
from keras_gen.models.cyclegan import CycleGAN
from keras_gen.utils.value_range import to_signed, to_unit
from keras_gen.utils.latents import stateless_latents


def _check_label_map(label_map, num_classes):
    checks = [
        tf.debugging.assert_non_negative(label_map, message="`label_map` class ids must be >= 0"),
        tf.debugging.assert_less(label_map, num_classes, message=f"`label_map` class ids must be < {num_classes}"),
    ]
    label_map = after_checks(checks, label_map)
    return tf.one_hot(label_map, num_classes, dtype=tf.float32)


def export_translation(model, export_dir):
    """Writes `export_dir`: the SavedModel of `translation_signatures(model)`."""
    return export_signatures(model, export_dir, *translation_signatures(model))


def translation_signatures(model):
    """`(endpoints, metadata)` for a trained `ImageTranslationGAN` or `CycleGAN` (its `name` is its family)."""
    family = model.name
    if isinstance(model, CycleGAN):
        return _cyclegan_signatures(model, family)
    source_shape = tuple(int(d) for d in model.generator.inputs[0].shape[1:])
    target_shape = tuple(int(d) for d in model.generator.outputs[0].shape[1:])
    metadata = {"model": family, "value_range": "unit", "target_shape": list(target_shape)}
    if not model.uses_latent:
        def translate(images):
            return {"images": to_unit(model.generator(to_signed(images), training=False))}

        endpoints = {"translate": (translate, [tf.TensorSpec((None,) + source_shape, tf.float32, name="images")])}
        metadata["source_shape"] = list(source_shape)
        metadata["source"] = "image"
        return endpoints, metadata

    height, width, num_classes = source_shape
    latent_dim = int(model.latent_dim)

    def translate(label_map, seed):
        one_hot = _check_label_map(label_map, num_classes)
        z = stateless_latents(tf.shape(label_map)[0], latent_dim, seed)
        return {"images": to_unit(model.generator([one_hot, z], training=False))}

    label_spec = tf.TensorSpec((None, height, width), tf.int32, name="label_map")
    endpoints = {"translate": (translate, [label_spec, tf.TensorSpec((), tf.int32, name="seed")])}
    if model.style_encoder is not None:
        def translate_with_style(label_map, style_images):
            one_hot = _check_label_map(label_map, num_classes)
            z, _ = model.style_encoder(to_signed(style_images), training=False)
            return {"images": to_unit(model.generator([one_hot, z], training=False))}

        style_spec = tf.TensorSpec((None,) + target_shape, tf.float32, name="style_images")
        endpoints["translate_with_style"] = (translate_with_style, [label_spec, style_spec])
    metadata.update({"source": "label_map", "label_map_shape": [height, width], "num_label_classes": num_classes,
                     "latent_dim": latent_dim, "style_encoder": model.style_encoder is not None})
    return endpoints, metadata


def _cyclegan_signatures(model, family):
    image_shape = tuple(int(d) for d in model.generator_ab.inputs[0].shape[1:])

    def translate(images, direction):
        images = to_signed(images)
        direction = after_checks([tf.debugging.assert_equal(
            tf.logical_or(tf.equal(direction, "a2b"), tf.equal(direction, "b2a")), True,
            message="`direction` must be 'a2b' or 'b2a'",
        )], direction)
        outputs = tf.cond(
            tf.equal(direction, "a2b"),
            lambda: model.generator_ab(images, training=False),
            lambda: model.generator_ba(images, training=False),
        )
        return {"images": to_unit(outputs)}

    endpoints = {
        "translate": (translate, [tf.TensorSpec((None,) + image_shape, tf.float32, name="images"),
                                  tf.TensorSpec((), tf.string, name="direction")])
    }
    metadata = {"model": family, "value_range": "unit", "source": "image", "source_shape": list(image_shape),
                "target_shape": list(image_shape), "directions": ["a2b", "b2a"]}
    return endpoints, metadata


class TranslationEndpoints(Endpoints):
    """`translate` as numpy functions over a trained model or its SavedModel export (images in [0, 1]).

    Lets the app work the same whether it is handed a model directory or an export.

    Attributes:
        family: "pix2pix", "srgan", "spade" or "cyclegan".
        source: "image" or "label_map".
        source_shape: `(H, W, C)` of source images, or `(H, W)` of label maps.
        target_shape: `(H, W, C)` of outputs.
        num_label_classes, has_style_encoder, directions: what the model accepts.
    """

    def _read_export(self, metadata):
        self.family = metadata["model"]
        self.source = metadata["source"]
        self.source_shape = tuple(metadata.get("source_shape") or metadata["label_map_shape"])
        self.target_shape = tuple(metadata["target_shape"])
        self.num_label_classes = int(metadata.get("num_label_classes", 0))
        self.has_style_encoder = bool(metadata.get("style_encoder", False))
        self.directions = tuple(metadata.get("directions", ()))

    def _read_model(self, model):
        self.family = model.name
        self.directions = ("a2b", "b2a") if isinstance(model, CycleGAN) else ()
        generator = model.generator_ab if isinstance(model, CycleGAN) else model.generator
        input_shape = tuple(int(d) for d in generator.inputs[0].shape[1:])
        self.target_shape = tuple(int(d) for d in generator.outputs[0].shape[1:])
        latent = not isinstance(model, CycleGAN) and model.uses_latent
        self.source = "label_map" if latent else "image"
        self.source_shape = input_shape[:2] if latent else input_shape
        self.num_label_classes = input_shape[-1] if latent else 0
        self.has_style_encoder = latent and model.style_encoder is not None

    def translate(self, images, direction="a2b"):
        """(batch, H, W, C) images in [0, 1] -> outputs in [0, 1]."""
        images = np.asarray(images, np.float32)
        if self._model is None:
            inputs = {"images": tf.constant(images)}
            if self.directions:
                inputs["direction"] = tf.constant(direction)
            return self._signatures["translate"](**inputs)["images"].numpy()
        if isinstance(self._model, CycleGAN):
            return to_unit(self._model.translate(to_signed(images), direction)).numpy()
        return to_unit(self._model.translate(to_signed(images))).numpy()

    def translate_label_map(self, label_map, seed=0, style_images=None):
        """(batch, H, W) int class ids -> outputs in [0, 1]; the style from `style_images` or N(0, I) with `seed`."""
        label_map = np.asarray(label_map, np.int32)
        if self._model is None:
            if style_images is not None:
                return self._signatures["translate_with_style"](
                    label_map=tf.constant(label_map), style_images=tf.constant(np.asarray(style_images, np.float32))
                )["images"].numpy()
            return self._signatures["translate"](label_map=tf.constant(label_map), seed=tf.constant(int(seed)))["images"].numpy()
        one_hot = np.eye(self.num_label_classes, dtype=np.float32)[label_map]
        if style_images is not None:
            z = self._model.encode_style(to_signed(style_images))
        else:
            z = stateless_latents(len(label_map), self._model.latent_dim, int(seed))
        return to_unit(self._model.translate(one_hot, z)).numpy()
