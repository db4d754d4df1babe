"""Feature networks for the sample-quality metrics, pinned and offline.

- `mnist_classifier`: the shipped small digit classifier (`saved_models/mnist_classifier/`): 128-d penultimate
  features and 10-way probabilities, on 28x28 grayscale (32x32 digits, padded by 2, are cropped to it). The
  standard choice for MNIST-like data.
- `inception_v3`: InceptionV3 (2048-d pool features, 1000-way probabilities) for natural images, built with
  `keras.applications.InceptionV3(weights=path)` from a weights file the user supplies (`--inception_weights`),
  because nothing here downloads at run time.

Every network takes float images in [0, 1] of any size and channel count (1 or 3) and resizes/converts them as
it needs, in batches.
"""

import os

import numpy as np
import tensorflow as tf

from keras_gen.utils.value_range import to_signed

FEATURE_NETWORKS = ("auto", "mnist_classifier", "inception_v3")
INCEPTION_WEIGHTS_FLAG = "--inception_weights"
INCEPTION_WEIGHTS_ENV = "KERAS_GEN_INCEPTION_WEIGHTS"  # used when no path is passed


class FeatureNetwork:
    """Images in [0, 1] -> (features, class probabilities), batched.

    Args:
        model: a Keras model mapping preprocessed images to `[features, probabilities]` (or features only,
            when `has_probabilities=False`).
        name: shown in metric reports (`"mnist_classifier"`, `"inception_v3"`).
        image_size: (height, width) the model expects.
        channels: 1 or 3, what the model expects.
        value_range: "unit" ([0, 1]) or "signed" ([-1, 1]) model inputs.
        has_probabilities: False for a feature-only network (no Inception Score).
        padding: images exactly `padding` pixels larger than `image_size` on every side are center-cropped
            rather than resized, so they keep the scale the network was trained at (the MNIST classifier: 2,
            for 32x32 digits zero-padded as `mnist_5k_32` and the translation digit sets make them).
    """

    def __init__(self, model, name, image_size, channels, value_range="unit", has_probabilities=True, padding=0):
        if channels not in (1, 3):
            raise ValueError(f"`channels` must be 1 or 3. Received: channels={channels}")
        if value_range not in ("unit", "signed"):
            raise ValueError(f"`value_range` must be 'unit' or 'signed'. Received: value_range={value_range!r}")
        self.model = model
        self.name = name
        self.image_size = tuple(image_size)
        self.channels = channels
        self.value_range = value_range
        self.has_probabilities = has_probabilities
        self.padding = padding

    def preprocess(self, images):
        """(batch, H, W, C) floats in [0, 1] -> the model's size, channels and value range."""
        images = tf.convert_to_tensor(images, tf.float32)
        if images.shape.rank != 4 or images.shape[-1] not in (1, 3):
            raise ValueError(f"`images` must have shape (batch, height, width, 1 or 3). Received: shape={images.shape}")
        if images.shape[-1] != self.channels:
            images = tf.image.grayscale_to_rgb(images) if self.channels == 3 else tf.image.rgb_to_grayscale(images)
        pad = self.padding
        if pad and tuple(images.shape[1:3]) == tuple(size + 2 * pad for size in self.image_size):
            images = images[:, pad:-pad, pad:-pad]
        if tuple(images.shape[1:3]) != self.image_size:
            images = tf.clip_by_value(tf.image.resize(images, self.image_size, method="bilinear", antialias=True), 0, 1)
        return to_signed(images) if self.value_range == "signed" else images

    def __call__(self, images, batch_size=256):
        """Returns `(features float32 (N, dim), probabilities float32 (N, classes) or None)` as numpy."""
        images = np.asarray(images)
        if images.ndim != 4 or len(images) == 0:
            raise ValueError(f"`images` must be a non-empty (batch, height, width, channels) array. "
                             f"Received: shape={images.shape}")
        if images.dtype == np.uint8 or images.min() < -1e-3 or images.max() > 1.0 + 1e-3:
            raise ValueError("`images` must be floats in [0, 1]. Received: "
                             f"dtype={images.dtype}, range=[{images.min():.3g}, {images.max():.3g}]")
        features, probabilities = [], []
        for start in range(0, len(images), batch_size):
            outputs = self.model(self.preprocess(images[start:start + batch_size]), training=False)
            if self.has_probabilities:
                features.append(np.asarray(outputs[0], np.float32))
                probabilities.append(np.asarray(outputs[1], np.float32))
            else:
                features.append(np.asarray(outputs, np.float32))
        return np.concatenate(features), (np.concatenate(probabilities) if probabilities else None)

    def __repr__(self):
        return f"FeatureNetwork(name={self.name!r}, image_size={self.image_size}, channels={self.channels})"


def from_classifier(classifier, name=None, padding=0):
    """A `FeatureNetwork` from a Keras classifier with a `*_features` layer (e.g. `load_mnist_classifier()`)."""
    from keras_gen.metrics.classifier import features_model

    height, width, channels = classifier.inputs[0].shape[1:]
    return FeatureNetwork(features_model(classifier), name or classifier.name, (height, width), channels, padding=padding)


def mnist_feature_network(model_dir=None):
    """The shipped MNIST classifier as a feature network (see `load_mnist_classifier`); 32x32 digits (28x28 ones
    zero-padded by `DIGIT_PADDING`) are cropped back to 28x28."""
    from keras_gen.metrics.classifier import DIGIT_PADDING, load_mnist_classifier

    return from_classifier(load_mnist_classifier(model_dir), name="mnist_classifier", padding=DIGIT_PADDING)


def inception_feature_network(weights_path):
    """InceptionV3 from a local weights file: 2048-d pool features, plus ImageNet probabilities when the file
    holds the classification top (`inception_v3_weights_tf_dim_ordering_tf_kernels.h5`), features only for a
    `..._notop.h5` file.

    Args:
        weights_path: path of Keras InceptionV3 weights (`.h5` or `.weights.h5`), e.g. downloaded once with
            `keras.applications.InceptionV3()` on a machine with network (it lands in `~/.keras/models/`).
    """
    import keras

    weights_path = weights_path or os.environ.get(INCEPTION_WEIGHTS_ENV)
    if not weights_path or not os.path.exists(weights_path):
        raise FileNotFoundError(
            f"InceptionV3 features need a local weights file: pass {INCEPTION_WEIGHTS_FLAG}=PATH or set "
            f"{INCEPTION_WEIGHTS_ENV} (for example ~/.keras/models/inception_v3_weights_tf_dim_ordering_tf_kernels.h5, "
            "downloaded once by `keras.applications.InceptionV3()` on a machine with network). keras-gen never "
            "downloads at run time; for digits use the shipped MNIST classifier instead. "
            f"Received: inception_weights={weights_path!r}"
        )
    if "notop" in os.path.basename(weights_path):
        model = keras.applications.InceptionV3(weights=weights_path, include_top=False, pooling="avg")
        return FeatureNetwork(model, "inception_v3", (299, 299), 3, value_range="signed", has_probabilities=False)
    model = keras.applications.InceptionV3(weights=weights_path, include_top=True)
    both = keras.Model(model.inputs, [model.get_layer("avg_pool").output, model.outputs[0]], name="inception_v3_features")
    return FeatureNetwork(both, "inception_v3", (299, 299), 3, value_range="signed")


def get_feature_network(network="mnist_classifier", inception_weights=None, classifier_dir=None, channels=None):
    """A `FeatureNetwork` by name, or `network` itself if it already is one (or a Keras classifier).

    Args:
        network: "auto", "mnist_classifier", "inception_v3", a `FeatureNetwork`, or a Keras classifier model.
            "auto" picks the MNIST classifier for grayscale images (`channels=1`) and InceptionV3 for colour.
        inception_weights: the InceptionV3 weights file (else `$KERAS_GEN_INCEPTION_WEIGHTS`; required for
            "inception_v3").
        classifier_dir: folder of the MNIST classifier (default: the shipped one).
        channels: channels of the images to embed, for "auto".
    """
    if isinstance(network, FeatureNetwork):
        return network
    if not isinstance(network, str):
        return from_classifier(network)
    if network == "auto":
        if channels not in (1, 3):
            raise ValueError(f"feature_network='auto' needs images with 1 or 3 channels. Received: channels={channels!r}")
        network = "mnist_classifier" if channels == 1 else "inception_v3"
    if network == "mnist_classifier":
        return mnist_feature_network(classifier_dir)
    if network == "inception_v3":
        return inception_feature_network(inception_weights)
    raise ValueError(f"`feature_network` must be one of {FEATURE_NETWORKS}. Received: feature_network={network!r}")
