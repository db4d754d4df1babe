"""Fréchet distance between Gaussian fits of two feature sets (FID when the features come from InceptionV3).

Reference:
    Heusel et al., 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
    https://arxiv.org/abs/1706.08500
"""

import numpy as np


class FeatureStatistics:
    """Streaming mean and covariance of feature vectors, in float64.

    Batches are merged with Chan et al.'s parallel update (a per-batch mean and centred scatter), which keeps
    the covariance accurate even when the features have a large mean; memory is O(dim^2) however many samples
    pass through, so 50,000 samples cost the same as 500.

    Example:
        stats = FeatureStatistics()
        for batch in feature_batches:
            stats.update(batch)
        mean, covariance = stats.mean, stats.covariance
    """

    def __init__(self, dim=None):
        self.dim = dim
        self.count = 0
        self._mean = None
        self._scatter = None  # sum over samples of (x - mean)(x - mean)^T

    def update(self, features):
        """Adds a (batch, dim) array of features."""
        features = np.asarray(features, dtype=np.float64)
        if features.ndim != 2:
            raise ValueError(f"`features` must have shape (batch, dim). Received: shape={features.shape}")
        if self.dim is None:
            self.dim = features.shape[1]
        if features.shape[1] != self.dim:
            raise ValueError(f"`features` must have {self.dim} columns, as earlier batches. Received: shape={features.shape}")
        batch_count = features.shape[0]
        if batch_count == 0:
            return self
        batch_mean = features.mean(axis=0)
        centred = features - batch_mean
        batch_scatter = centred.T @ centred  # (dim, dim)
        if self.count == 0:
            self._mean, self._scatter, self.count = batch_mean, batch_scatter, batch_count
            return self
        total = self.count + batch_count
        delta = batch_mean - self._mean
        self._scatter = self._scatter + batch_scatter + np.outer(delta, delta) * (self.count * batch_count / total)
        self._mean = self._mean + delta * (batch_count / total)
        self.count = total
        return self

    @property
    def mean(self):
        self._check_count(1)
        return self._mean.copy()

    @property
    def covariance(self):
        """Unbiased (ddof=1) covariance, as `np.cov(features, rowvar=False)`."""
        self._check_count(2)
        return self._scatter / (self.count - 1)

    def _check_count(self, minimum):
        if self.count < minimum:
            raise ValueError(f"FeatureStatistics needs at least {minimum} samples. Received: count={self.count}")

    @classmethod
    def from_features(cls, features):
        return cls().update(features)


def _sqrt_psd(matrix):
    """Symmetric square root of a positive semi-definite matrix via eigendecomposition (negative noise clipped)."""
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def trace_sqrt_product(sigma1, sigma2):
    """Tr((sigma1 sigma2)^(1/2)) for covariance matrices, computed stably.

    sigma1 sigma2 is not symmetric, and a general `sqrtm` on it can return complex values from round-off.
    It is similar to the symmetric PSD matrix A = sigma1^(1/2) sigma2 sigma1^(1/2), so both have the same
    eigenvalues and Tr((sigma1 sigma2)^(1/2)) = sum(sqrt(eigvalsh(A))).
    """
    sqrt_sigma1 = _sqrt_psd(sigma1)
    product = sqrt_sigma1 @ sigma2 @ sqrt_sigma1
    eigenvalues = np.linalg.eigvalsh((product + product.T) / 2.0)
    return float(np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))


def frechet_distance(mean1, covariance1, mean2, covariance2):
    """||mean1 - mean2||^2 + Tr(covariance1 + covariance2 - 2 (covariance1 covariance2)^(1/2)), in float64.

    Args:
        mean1, mean2: (dim,) feature means.
        covariance1, covariance2: (dim, dim) feature covariances.
    """
    mean1, mean2 = np.asarray(mean1, np.float64), np.asarray(mean2, np.float64)
    covariance1, covariance2 = np.asarray(covariance1, np.float64), np.asarray(covariance2, np.float64)
    dim = mean1.shape[-1]
    for name, value, shape in (("mean2", mean2, (dim,)), ("covariance1", covariance1, (dim, dim)),
                               ("covariance2", covariance2, (dim, dim))):
        if value.shape != shape:
            raise ValueError(f"`{name}` must have shape {shape} to match mean1. Received: {name}.shape={value.shape}")
    mean_term = float(np.sum((mean1 - mean2) ** 2))
    trace_term = float(np.trace(covariance1) + np.trace(covariance2)) - 2.0 * trace_sqrt_product(covariance1, covariance2)
    # Round-off can leave a tiny negative value for identical statistics; the distance itself is >= 0.
    return max(mean_term + trace_term, 0.0)


def frechet_distance_from_statistics(stats1, stats2):
    """Fréchet distance between two `FeatureStatistics`."""
    return frechet_distance(stats1.mean, stats1.covariance, stats2.mean, stats2.covariance)


def frechet_distance_from_features(features1, features2):
    """Fréchet distance between Gaussian fits of two (num, dim) feature arrays."""
    return frechet_distance_from_statistics(FeatureStatistics.from_features(features1),
                                            FeatureStatistics.from_features(features2))
