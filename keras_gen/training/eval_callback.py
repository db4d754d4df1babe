"""A callback that tracks sample quality during `fit`: the Fréchet distance every N epochs, logged like a loss."""

import math

import keras
import numpy as np

from keras_gen.metrics.features import get_feature_network
from keras_gen.metrics.frechet import FeatureStatistics, frechet_distance_from_statistics


class FrechetDistanceCallback(keras.callbacks.Callback):
    """Computes the Fréchet distance between generated and real images every `every` epochs.

    The value is written into the epoch `logs` under `name`, so `History`, `keras.callbacks.CSVLogger` and
    `keras.callbacks.TensorBoard` (as `epoch_fd`) record it, and `EarlyStopping`/`ModelCheckpoint` can monitor
    it. Put this callback *before* those in the `callbacks` list: Keras calls them in order with one shared
    `logs` dict. Epochs without an evaluation log NaN, so CSV files keep one column from the first epoch on.

    Samples are drawn from the same seed each time, so successive values differ because the model changed,
    not because of the draw. The real-image statistics are computed once.

    Args:
        sample_fn: `(model, num, seed) -> images` floats in [0, 1] (a family's `sample_images`).
        real_images: (N, H, W, C) floats in [0, 1], the reference set.
        feature_network: "auto" (MNIST classifier for grayscale, InceptionV3 for colour), "mnist_classifier",
            "inception_v3", a `FeatureNetwork` or a Keras classifier.
        every: evaluate after every `every`-th epoch (and after the last one).
        num_samples: generated images per evaluation (small during training; ~1,000 is a usable trend).
        batch_size: images per `sample_fn` and feature-network call.
        seed: the sampling seed (batch i uses `seed + i`).
        name: the key in `logs`.
        inception_weights: InceptionV3 weights file for `feature_network="inception_v3"`.
    """

    def __init__(self, sample_fn, real_images, feature_network="auto", every=1, num_samples=1000,
                 batch_size=250, seed=0, name="fd", inception_weights=None):
        super().__init__()
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"`every` must be a positive integer. Received: every={every!r}")
        if not isinstance(num_samples, int) or num_samples < 2:
            raise ValueError(f"`num_samples` must be an integer >= 2. Received: num_samples={num_samples!r}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
        real_images = np.asarray(real_images)
        if real_images.ndim != 4 or len(real_images) < 2:
            raise ValueError(f"`real_images` must be (num >= 2, height, width, channels). Received: shape={real_images.shape}")
        self.sample_fn = sample_fn
        self.real_images = real_images
        self.feature_network = feature_network
        self.inception_weights = inception_weights
        self.every = every
        self.num_samples = num_samples
        self.batch_size = batch_size
        self.seed = seed
        self.name = name
        self._network = None
        self._real_stats = None

    def _statistics(self, batches):
        stats = FeatureStatistics()
        for images in batches:
            features, _ = self._network(np.asarray(images), batch_size=self.batch_size)
            stats.update(features)
        return stats

    def frechet_distance(self):
        """Samples `num_samples` images from the current model and returns their FD to the real images."""
        if self._network is None:
            self._network = get_feature_network(self.feature_network, inception_weights=self.inception_weights,
                                                channels=self.real_images.shape[-1])
        if self._real_stats is None:
            self._real_stats = self._statistics(
                self.real_images[start:start + self.batch_size] for start in range(0, len(self.real_images), self.batch_size))
        generated = (
            self.sample_fn(self.model, min(self.batch_size, self.num_samples - start), self.seed + index)
            for index, start in enumerate(range(0, self.num_samples, self.batch_size))
        )
        return frechet_distance_from_statistics(self._real_stats, self._statistics(generated))

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        last_epoch = self.params.get("epochs") if self.params else None
        if (epoch + 1) % self.every == 0 or (last_epoch is not None and epoch + 1 == last_epoch):
            logs[self.name] = self.frechet_distance()
        else:
            logs[self.name] = math.nan


def frechet_distance_callback(sample_images, dataset, every=1, num_samples=1000, split="test", data_dir=None,
                              feature_network="auto", seed=0, inception_weights=None):
    """A `FrechetDistanceCallback` against a registered dataset split (the usual way to add one to a run).

    Args:
        sample_images: a family's `(model, num, seed) -> images in [0, 1]`.
        dataset: registered dataset name (e.g. `config.dataset`); its `split` is the reference set.
        every, num_samples, feature_network, seed, inception_weights: see `FrechetDistanceCallback`.
        split: the reference split ("test" keeps the training digits out of the reference).
        data_dir: tensorflow-datasets folder for tfds-backed datasets.
    """
    from keras_gen.metrics.evaluate import load_real_images

    real_images, _ = load_real_images(dataset, split, data_dir=data_dir)
    return FrechetDistanceCallback(sample_images, real_images, feature_network=feature_network, every=every,
                                   num_samples=num_samples, seed=seed, inception_weights=inception_weights)
