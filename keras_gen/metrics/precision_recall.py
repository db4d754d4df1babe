"""Improved precision and recall: k-NN manifold estimates of fidelity and coverage.

Each set's manifold is the union of balls around its points with radius the distance to the point's k-th
nearest neighbour in the same set. Precision is the fraction of generated samples inside the real manifold
(fidelity); recall is the fraction of real samples inside the generated manifold (coverage).

Reference:
    Kynkäänniemi et al., 2019, "Improved Precision and Recall Metric for Assessing Generative Models",
    https://arxiv.org/abs/1904.06991
"""

import collections

import numpy as np

PrecisionRecall = collections.namedtuple("PrecisionRecall", ["precision", "recall"])


def _squared_distances(a, b):
    # (len(a), len(b)); float64 so ||a||^2 + ||b||^2 - 2 a.b does not cancel badly.
    distances = np.sum(a ** 2, axis=1)[:, None] + np.sum(b ** 2, axis=1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(distances, 0.0)


def knn_radii(features, k=3, batch_size=1000):
    """Squared distance from each point to its k-th nearest neighbour in `features` (itself excluded)."""
    features = np.asarray(features, np.float64)
    if not 1 <= k < len(features):
        raise ValueError(f"`k` must be in [1, num_samples - 1 = {len(features) - 1}]. Received: k={k}")
    radii = np.empty(len(features))
    for start in range(0, len(features), batch_size):
        distances = _squared_distances(features[start:start + batch_size], features)
        # Index 0 of the sorted row is the point itself (distance 0), so the k-th neighbour is at index k.
        radii[start:start + batch_size] = np.partition(distances, k, axis=1)[:, k]
    return radii


def manifold_coverage(reference, radii, queries, batch_size=1000):
    """Fraction of `queries` within the ball of at least one `reference` point (squared `radii`)."""
    queries = np.asarray(queries, np.float64)
    inside = np.empty(len(queries), bool)
    for start in range(0, len(queries), batch_size):
        distances = _squared_distances(queries[start:start + batch_size], reference)
        inside[start:start + batch_size] = np.any(distances <= radii[None, :], axis=1)
    return float(inside.mean())


def precision_recall(real_features, fake_features, k=3, batch_size=1000):
    """`PrecisionRecall(precision, recall)` of generated features against real ones.

    Args:
        real_features: (num_real, dim) features of real images.
        fake_features: (num_fake, dim) features of generated images.
        k: neighbourhood size (the paper's default is 3).
        batch_size: rows per distance block; memory is batch_size x num_samples floats.
    """
    real_features = np.asarray(real_features, np.float64)
    fake_features = np.asarray(fake_features, np.float64)
    if real_features.ndim != 2 or fake_features.ndim != 2 or real_features.shape[1] != fake_features.shape[1]:
        raise ValueError("`real_features` and `fake_features` must be (num, dim) with the same dim. "
                         f"Received: real shape={real_features.shape}, fake shape={fake_features.shape}")
    real_radii = knn_radii(real_features, k, batch_size)
    fake_radii = knn_radii(fake_features, k, batch_size)
    return PrecisionRecall(
        precision=manifold_coverage(real_features, real_radii, fake_features, batch_size),
        recall=manifold_coverage(fake_features, fake_radii, real_features, batch_size),
    )
