"""Sample-quality evaluation: one call from images (or a sampler) to a JSON-able dict of metrics.

A model family's `evaluate(model, request, options)` (`EvalRequest` says what to evaluate on) is then a few lines:

    real_images, _ = load_real_images(request.dataset, "test", data_dir=request.data_dir)
    return evaluate_generator(lambda num, seed: sample_images(model, num, seed), real_images,
                              num_samples=request.num_examples or 1000, inception_weights=request.inception_weights)

The default `feature_network="auto"` embeds grayscale images with the shipped MNIST classifier and colour
images with InceptionV3 (from the `--inception_weights` file).
"""

import dataclasses
from typing import Optional

import numpy as np

from keras_gen.metrics.features import get_feature_network
from keras_gen.metrics.frechet import FeatureStatistics, frechet_distance_from_statistics
from keras_gen.metrics.inception_score import inception_score
from keras_gen.metrics.kid import kernel_inception_distance
from keras_gen.metrics.precision_recall import precision_recall

# KID and precision/recall need the feature vectors themselves (pairwise kernels/distances), so they use at most
# this many samples per set; FD streams statistics over every sample.
DEFAULT_MAX_PAIRWISE_SAMPLES = 10_000


@dataclasses.dataclass(frozen=True)
class EvalRequest:
    """What `keras-gen evaluate` asks of a family's `evaluate(model, request, options)`.

    Attributes:
        dataset: the registered dataset whose test split is the reference.
        data_dir: tensorflow-datasets folder for tfds-backed datasets.
        num_examples: test examples (or generated samples) to use; None: the family's default.
        seed: the sampling and binarization seed.
        iw_samples: importance samples per example for likelihood estimates.
        inception_weights: a local InceptionV3 weights file for colour images.
    """

    dataset: str
    data_dir: Optional[str] = None
    num_examples: Optional[int] = None
    seed: int = 0
    iw_samples: int = 1000
    inception_weights: Optional[str] = None


def load_real_images(dataset="mnist_5k", split="test", limit=None, data_dir=None):
    """`(images float32 in [0, 1], labels)` of a registered dataset split, the reference set for the metrics."""
    from keras_gen import data

    return data.as_numpy(dataset, split, value_range="unit", data_dir=data_dir, limit=limit)


def _check_images(images, name):
    images = np.asarray(images)
    if images.ndim != 4 or len(images) < 2:
        raise ValueError(f"`{name}` must be (num >= 2, height, width, channels). Received: {name}.shape={images.shape}")
    if not np.issubdtype(images.dtype, np.floating) or images.min() < -1e-3 or images.max() > 1.0 + 1e-3:
        raise ValueError(f"`{name}` must be floats in [0, 1] (convert [-1, 1] outputs with (x + 1) / 2). Received: "
                         f"{name}.dtype={images.dtype}, range=[{images.min():.3g}, {images.max():.3g}]")
    return images


class _FeatureSet:
    """Streams feature batches: exact statistics over all of them, the first `max_kept` feature rows for the
    pairwise metrics (generated samples are i.i.d., so the first rows are a random subset), and every row of
    class probabilities (small: 50,000 x 10 for digits, 200 MB for InceptionV3's 1,000 classes)."""

    def __init__(self, max_kept):
        self.stats = FeatureStatistics()
        self.max_kept = max_kept
        self.kept_features, self.all_probabilities = [], []
        self.num_kept = 0

    def add(self, features, probabilities):
        self.stats.update(features)
        if probabilities is not None:
            self.all_probabilities.append(probabilities)
        room = self.max_kept - self.num_kept
        if room > 0:
            self.kept_features.append(features[:room])
            self.num_kept += len(features[:room])

    @property
    def features(self):
        return np.concatenate(self.kept_features)

    @property
    def probabilities(self):
        return np.concatenate(self.all_probabilities) if self.all_probabilities else None


def _quality_from_feature_sets(real, fake, network, kid_subsets, kid_subset_size, pr_k, is_splits, seed):
    fake_features, real_features = fake.features, real.features
    kid = kernel_inception_distance(real_features, fake_features, num_subsets=kid_subsets,
                                    subset_size=kid_subset_size, seed=seed)
    pr = precision_recall(real_features, fake_features, k=pr_k)
    results = {
        "fd": frechet_distance_from_statistics(real.stats, fake.stats),
        "kid": kid.mean,
        "kid_std": kid.std,
        "precision": pr.precision,
        "recall": pr.recall,
        "num_real": int(real.stats.count),
        "num_generated": int(fake.stats.count),
        "feature_network": network.name,
    }
    if fake.probabilities is not None:
        # Over every generated sample, in at most `is_splits` chunks of >= 2 samples.
        score = inception_score(fake.probabilities, splits=max(1, min(is_splits, len(fake.probabilities) // 2)))
        results["inception_score"], results["inception_score_std"] = score.mean, score.std
    else:
        results["inception_score"] = results["inception_score_std"] = None
    return results


def _feature_set(images, name, network, batch_size, max_kept, seed=0):
    images = _check_images(images, name)
    feature_set = _FeatureSet(max_kept)
    # A seeded shuffle, so the rows kept for KID/PR are a random subset even when a split is sorted by class.
    order = np.random.default_rng(seed).permutation(len(images)) if len(images) > max_kept else np.arange(len(images))
    for start in range(0, len(images), batch_size):
        feature_set.add(*network(images[np.sort(order[start:start + batch_size])], batch_size=batch_size))
    return feature_set


def sample_quality(real_images, generated_images, feature_network="auto", batch_size=256, kid_subsets=100,
                   kid_subset_size=1000, pr_k=3, is_splits=10, seed=0, max_pairwise_samples=DEFAULT_MAX_PAIRWISE_SAMPLES,
                   inception_weights=None):
    """Fréchet distance, KID, Inception-style score and precision/recall of `generated_images` against
    `real_images`, in the feature space of `feature_network`.

    Args:
        real_images: (N, H, W, C) floats in [0, 1].
        generated_images: (M, H, W, C) floats in [0, 1].
        feature_network: "auto" (the MNIST classifier for grayscale images, InceptionV3 for colour),
            "mnist_classifier", "inception_v3", a `FeatureNetwork` or a Keras classifier.
        batch_size: images per feature-network call.
        kid_subsets, kid_subset_size: KID subset protocol (see `kernel_inception_distance`).
        pr_k: k of the k-NN manifolds for precision/recall.
        is_splits: chunks for the Inception-style score.
        seed: seed of the KID subset draws.
        max_pairwise_samples: cap on the samples per set used by KID and precision/recall (FD and the
            Inception-style score use all).
        inception_weights: InceptionV3 weights file when `feature_network="inception_v3"`.

    Returns:
        A dict with `fd`, `kid`, `kid_std`, `inception_score` (None for a features-only network),
        `inception_score_std`, `precision`, `recall`, `num_real`, `num_generated`, `feature_network`.
    """
    real_images = _check_images(real_images, "real_images")
    network = get_feature_network(feature_network, inception_weights=inception_weights, channels=real_images.shape[-1])
    real = _feature_set(real_images, "real_images", network, batch_size, max_pairwise_samples)
    fake = _feature_set(generated_images, "generated_images", network, batch_size, max_pairwise_samples)
    return _quality_from_feature_sets(real, fake, network, kid_subsets, kid_subset_size, pr_k, is_splits, seed)


def label_accuracy(images, labels, classifier=None, batch_size=256):
    """Fraction of `images` that `classifier` assigns to `labels`: how well a conditional model obeys its labels.

    Args:
        images: (N, H, W, C) floats in [0, 1].
        labels: (N,) integer class labels the images were generated for.
        classifier: a Keras classifier, a `FeatureNetwork` with probabilities, or None for the shipped MNIST one.
    """
    images = _check_images(images, "images")
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(images):
        raise ValueError(f"`labels` must have one entry per image ({len(images)}). Received: labels.shape={labels.shape}")
    network = get_feature_network("mnist_classifier" if classifier is None else classifier)
    if not network.has_probabilities:
        raise ValueError(f"`classifier` must output class probabilities. Received: classifier={network!r}")
    _, probabilities = network(images, batch_size=batch_size)
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


def evaluate_generator(sample_fn, real_images, num_samples=1000, batch_size=250, feature_network="auto",
                       labels=None, seed=0, inception_weights=None, max_pairwise_samples=DEFAULT_MAX_PAIRWISE_SAMPLES,
                       kid_subsets=100, kid_subset_size=1000, pr_k=3, is_splits=10):
    """Draws `num_samples` images from `sample_fn` in batches and scores them; nothing but statistics and a
    bounded subset of features is kept, so 50,000 samples fit in memory.

    Args:
        sample_fn: `(num, seed) -> images` floats in [0, 1], (num, H, W, C). With `labels`, it is called as
            `sample_fn(num, seed, labels=batch_labels)` and must generate one image per label.
        real_images: (N, H, W, C) floats in [0, 1], the reference set (e.g. `load_real_images(...)[0]`).
        num_samples: generated images to score.
        batch_size: images per `sample_fn` call (and per feature-network call).
        feature_network: "auto" (the MNIST classifier for grayscale images, InceptionV3 for colour, which needs
            `inception_weights`), "mnist_classifier", "inception_v3", a `FeatureNetwork` or a Keras classifier.
        labels: None, or (num_samples,) integer labels for a conditional model; adds `label_accuracy`
            (judged by `feature_network` if it is a classifier, else the shipped MNIST classifier; None for
            InceptionV3 features, whose ImageNet classes are not the dataset's).
        seed: batch i is drawn with seed `seed + i`, so a run is reproducible.
        inception_weights: InceptionV3 weights file (the CLI's `--inception_weights`); default
            `$KERAS_GEN_INCEPTION_WEIGHTS`.
        max_pairwise_samples: cap on the samples per set used by KID and precision/recall.
        kid_subsets, kid_subset_size, pr_k, is_splits: metric settings (see `sample_quality`).

    Returns:
        The `sample_quality` dict, plus `label_accuracy` when `labels` is given.
    """
    if not isinstance(num_samples, (int, np.integer)) or num_samples < 2:
        raise ValueError(f"`num_samples` must be an integer >= 2. Received: num_samples={num_samples!r}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != num_samples:
            raise ValueError(f"`labels` must have num_samples={num_samples} entries. Received: labels.shape={labels.shape}")
    real_images = _check_images(real_images, "real_images")
    network = get_feature_network(feature_network, inception_weights=inception_weights, channels=real_images.shape[-1])
    real = _feature_set(real_images, "real_images", network, batch_size, max_pairwise_samples)
    fake = _FeatureSet(max_pairwise_samples)
    correct = 0
    judge = None
    if labels is not None and network.name != "inception_v3":  # ImageNet classes say nothing about dataset labels
        judge = network if network.has_probabilities else get_feature_network("mnist_classifier")
    for batch_index, start in enumerate(range(0, num_samples, batch_size)):
        num = min(batch_size, num_samples - start)
        if labels is None:
            images = sample_fn(num, seed + batch_index)
        else:
            images = sample_fn(num, seed + batch_index, labels=labels[start:start + num])
        images = _check_images(np.asarray(images), "sample_fn output")
        if len(images) != num:
            raise ValueError(f"`sample_fn({num}, seed)` must return {num} images. Received: shape={images.shape}")
        features, probabilities = network(images, batch_size=batch_size)
        fake.add(features, probabilities)
        if judge is not None:
            judged = probabilities if judge is network else judge(images, batch_size=batch_size)[1]
            correct += int(np.sum(np.argmax(judged, axis=1) == labels[start:start + num]))
    results = _quality_from_feature_sets(real, fake, network, kid_subsets, kid_subset_size, pr_k, is_splits, seed)
    if labels is not None:
        # None when no classifier for the dataset's labels exists (colour images scored with InceptionV3).
        results["label_accuracy"] = correct / num_samples if judge is not None else None
    return results
