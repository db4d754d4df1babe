"""Nearest training images of generated samples: does the generator copy its training set?

Goodfellow et al. (https://arxiv.org/abs/1406.2661), figure 2: showing each sample next to its nearest
training example is the simplest check that the model does not just memorize.
"""

import numpy as np


def _flat(images, name):
    images = np.asarray(images, np.float32)
    if images.ndim < 2 or len(images) == 0:
        raise ValueError(f"`{name}` must be a non-empty batch. Received: {name}.shape={images.shape}")
    return images.reshape(len(images), -1)


def nearest_neighbours(samples, training_images, k=5, feature_fn=None, batch_size=1024):
    """Indices and Euclidean distances of the `k` nearest training images of each sample.

    Args:
        samples: (N, ...) generated images.
        training_images: (M, ...) training images, same value range as `samples`.
        k: neighbours per sample.
        feature_fn: optional `images -> (num, F)` embedding (e.g. a classifier's features); default: pixels.
        batch_size: training images compared at once (bounds memory).

    Returns:
        `(indices (N, k) int, distances (N, k) float32)`, nearest first.
    """
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"`k` must be a positive integer. Received: k={k!r}")
    def embed(images):  # (num, ...) -> (num, F)
        images = np.asarray(images, np.float32)
        return _flat(feature_fn(images) if feature_fn else images, "features")

    _flat(samples, "samples")
    _flat(training_images, "training_images")
    queries = embed(samples)
    training_images = np.asarray(training_images, np.float32)
    if len(training_images) < k:
        raise ValueError(f"`training_images` must hold at least k={k} images. Received: {len(training_images)}")
    distances, indices = [], []
    for start in range(0, len(training_images), batch_size):
        keys = embed(training_images[start : start + batch_size])
        # ||q - x||^2 = ||q||^2 - 2 q.x + ||x||^2, (N, batch)
        squared = (queries**2).sum(1)[:, None] - 2.0 * queries @ keys.T + (keys**2).sum(1)[None]
        distances.append(np.sqrt(np.maximum(squared, 0.0)))
        indices.append(np.arange(start, start + len(keys)))
    distances, indices = np.concatenate(distances, axis=1), np.concatenate(indices)
    order = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return indices[order], np.take_along_axis(distances, order, axis=1).astype(np.float32)


def neighbour_grid(samples, training_images, k=5, feature_fn=None):
    """(N * (k + 1), ...) images: each sample followed by its `k` nearest training images (one row each)."""
    indices, _ = nearest_neighbours(samples, training_images, k, feature_fn)
    samples, training_images = np.asarray(samples, np.float32), np.asarray(training_images, np.float32)
    rows = [np.concatenate([samples[i : i + 1], training_images[indices[i]]]) for i in range(len(samples))]
    return np.concatenate(rows)
