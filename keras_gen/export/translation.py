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

import tensorflow as tf

from keras_gen.export.common import check_batch_images, export_signatures
from keras_gen.models.cyclegan import CycleGAN


def _to_signed(images):
    return images * 2.0 - 1.0


def _to_unit(images):
    return (tf.cast(images, tf.float32) + 1.0) / 2.0


def _check_label_map(label_map, shape, num_classes):
    tf.debugging.assert_equal(tf.shape(label_map)[1:], tf.constant(shape, tf.int32),
                              message=f"`label_map` must have shape (batch, {shape[0]}, {shape[1]})")
    tf.debugging.assert_non_negative(label_map, message="`label_map` class ids must be >= 0")
    tf.debugging.assert_less(label_map, num_classes, message=f"`label_map` class ids must be < {num_classes}")
    return tf.one_hot(label_map, num_classes, dtype=tf.float32)


def export_translation(model, export_dir, family):
    """Writes `export_dir` for a trained `ImageTranslationGAN` or `CycleGAN`; `family` names the model."""
    if isinstance(model, CycleGAN):
        return _export_cyclegan(model, export_dir, family)
    source_shape = tuple(int(d) for d in model.generator.inputs[0].shape[1:])
    target_shape = tuple(int(d) for d in model.generator.outputs[0].shape[1:])
    metadata = {"model": family, "value_range": "unit", "target_shape": list(target_shape)}
    if not model.uses_latent:
        def translate(images):
            images = check_batch_images(images, source_shape)
            return {"images": _to_unit(model.generator(_to_signed(images), training=False))}

        endpoints = {"translate": (translate, [tf.TensorSpec((None,) + source_shape, tf.float32, name="images")])}
        metadata["source_shape"] = list(source_shape)
        metadata["source"] = "image"
        return export_signatures(model, export_dir, endpoints, metadata)

    height, width, num_classes = source_shape
    latent_dim = int(model.latent_dim)

    def translate(label_map, seed):
        one_hot = _check_label_map(label_map, (height, width), num_classes)
        z = tf.random.stateless_normal(tf.stack([tf.shape(label_map)[0], latent_dim]), seed=tf.stack([seed, 0]))
        return {"images": _to_unit(model.generator([one_hot, z], training=False))}

    label_spec = tf.TensorSpec((None, height, width), tf.int32, name="label_map")
    endpoints = {"translate": (translate, [label_spec, tf.TensorSpec((), tf.int32, name="seed")])}
    if model.style_encoder is not None:
        def translate_with_style(label_map, style_images):
            one_hot = _check_label_map(label_map, (height, width), num_classes)
            style_images = check_batch_images(style_images, target_shape, name="style_images")
            z, _ = model.style_encoder(_to_signed(style_images), training=False)
            return {"images": _to_unit(model.generator([one_hot, z], training=False))}

        style_spec = tf.TensorSpec((None,) + target_shape, tf.float32, name="style_images")
        endpoints["translate_with_style"] = (translate_with_style, [label_spec, style_spec])
    metadata.update({"source": "label_map", "label_map_shape": [height, width], "num_label_classes": num_classes,
                     "latent_dim": latent_dim, "style_encoder": model.style_encoder is not None})
    return export_signatures(model, export_dir, endpoints, metadata)


def _export_cyclegan(model, export_dir, family):
    image_shape = tuple(int(d) for d in model.generator_ab.inputs[0].shape[1:])

    def translate(images, direction):
        images = _to_signed(check_batch_images(images, image_shape))
        tf.debugging.assert_equal(
            tf.logical_or(tf.equal(direction, "a2b"), tf.equal(direction, "b2a")), True,
            message="`direction` must be 'a2b' or 'b2a'",
        )
        outputs = tf.cond(
            tf.equal(direction, "a2b"),
            lambda: model.generator_ab(images, training=False),
            lambda: model.generator_ba(images, training=False),
        )
        return {"images": _to_unit(outputs)}

    endpoints = {
        "translate": (translate, [tf.TensorSpec((None,) + image_shape, tf.float32, name="images"),
                                  tf.TensorSpec((), tf.string, name="direction")])
    }
    metadata = {"model": family, "value_range": "unit", "source": "image", "source_shape": list(image_shape),
                "target_shape": list(image_shape), "directions": ["a2b", "b2a"]}
    return export_signatures(model, export_dir, endpoints, metadata)
