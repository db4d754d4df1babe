"""Text-to-image export: `generate(text: tf.string (batch,), seed: int32) -> {"images": (batch, H, W, C) in [0, 1]}`.

The caption vocabulary is inside the SavedModel (the model's `TextVectorization` layer): clients send raw strings,
unknown words map to the OOV token. Before the model runs, the signature rejects, naming `text`: a batch of size 0
or above `MAX_SAMPLES`, an empty or blank caption, bytes that are not UTF-8, and a caption of more than
`max_words` words (the encoder's sequence length; longer text would be cut silently) or `MAX_CAPTION_BYTES` bytes.
"""

import numpy as np
import tensorflow as tf

from keras_gen.export.common import MAX_SAMPLES, Endpoints, after_checks, export_signatures
from keras_gen.utils.text import MAX_CAPTION_BYTES, check_captions
from keras_gen.utils.value_range import to_unit


def max_words(model):
    """The text encoder's sequence length: captions longer than this would be truncated."""
    return int(model.text_encoder.get_layer(f"{model.text_encoder.name}_vectorize").get_config()["output_sequence_length"])


def _longest(lengths):
    """The largest entry, 0 for none (an empty batch fails its own check)."""
    return tf.reduce_max(tf.concat([tf.cast(lengths, tf.int64), tf.zeros([1], tf.int64)], 0))


def checked_text(text, words):
    """`text` once every check on it has passed (inside a signature)."""
    count = tf.size(text)
    # Valid UTF-8 survives a transcode that drops invalid bytes unchanged.
    valid = tf.equal(tf.strings.unicode_transcode(text, "UTF-8", "UTF-8", errors="ignore"), text)
    word_counts = tf.strings.split(text).row_lengths()
    checks = [
        tf.debugging.assert_positive(count, message="`text` must hold at least one caption (batch size 0)"),
        tf.debugging.assert_less_equal(count, MAX_SAMPLES, message=f"`text` may hold at most {MAX_SAMPLES} captions"),
        tf.debugging.assert_equal(tf.reduce_all(valid), True, message="`text` must be valid UTF-8"),
        tf.debugging.assert_equal(tf.reduce_all(tf.strings.length(tf.strings.strip(text)) > 0), True,
                                  message="`text` must not contain empty captions"),
        tf.debugging.assert_less_equal(_longest(tf.strings.length(text)), tf.constant(MAX_CAPTION_BYTES, tf.int64),
                                       message=f"`text` captions must have at most {MAX_CAPTION_BYTES} bytes"),
        tf.debugging.assert_less_equal(_longest(word_counts), tf.cast(words, tf.int64),
                                       message=f"`text` captions must have at most {words} words"),
    ]
    return after_checks(checks, text)


def text_to_image_signatures(model):
    """`(endpoints, metadata)` for `export_signatures`."""
    words = max_words(model)

    def generate(text, seed):
        text = checked_text(text, words)
        z, noise = model.draws(tf.size(text), seed)
        return {"images": to_unit(model.generate(text, z, noise))}

    endpoints = {"generate": (generate, [tf.TensorSpec((None,), tf.string, name="text"),
                                         tf.TensorSpec((), tf.int32, name="seed")])}
    metadata = {
        "model": model.name,
        "image_shape": list(model.image_shape),
        "latent_dim": model.latent_dim,
        "condition_dim": model.condition_dim,
        "max_words": words,
        "example_captions": list(model.example_captions),
        "value_range": "unit",
    }
    return endpoints, metadata


def export_text_to_image(model, export_dir):
    return export_signatures(model, export_dir, *text_to_image_signatures(model))


class TextToImageEndpoints(Endpoints):
    """`generate(captions, seed)` as a numpy function over a trained `TextToImageGAN` or its export (for apps)."""

    def _read_export(self, metadata):
        self.image_shape = tuple(metadata["image_shape"])
        self.max_words = int(metadata["max_words"])
        self.example_captions = list(metadata.get("example_captions", []))

    def _read_model(self, model):
        self.image_shape = model.image_shape
        self.max_words = max_words(model)
        self.example_captions = list(model.example_captions)

    def generate(self, captions, seed=0):
        """One image in [0, 1] per caption; the same seed gives the same images from a model and its export."""
        captions = check_captions(captions, self.max_words, limit=MAX_SAMPLES)
        if self._model is not None:
            return np.asarray(to_unit(self._model.sample(captions, int(seed))))
        return self._signatures["generate"](text=tf.constant(captions), seed=tf.constant(int(seed), tf.int32))["images"].numpy()
