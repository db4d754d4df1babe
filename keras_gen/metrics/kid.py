"""Kernel Inception Distance: an unbiased estimate of the squared MMD between feature sets.

Reference:
    Bińkowski et al., 2018, "Demystifying MMD GANs", https://arxiv.org/abs/1801.01401
"""

import collections

import numpy as np

KIDResult = collections.namedtuple("KIDResult", ["mean", "std", "standard_error"])


def polynomial_kernel(features1, features2, degree=3, gamma=None, coef0=1.0):
    """k(x, y) = (gamma x.y + coef0)^degree with gamma = 1/dim by default (the KID kernel)."""
    gamma = 1.0 / features1.shape[1] if gamma is None else gamma
    return (gamma * (features1 @ features2.T) + coef0) ** degree


def mmd2_unbiased(real_features, fake_features, **kernel_kwargs):
    """Unbiased MMD^2 estimate: within-set kernel means exclude the diagonal (each point with itself)."""
    real_features = np.asarray(real_features, np.float64)
    fake_features = np.asarray(fake_features, np.float64)
    m, n = len(real_features), len(fake_features)
    if m < 2 or n < 2:
        raise ValueError(f"MMD needs at least 2 samples per set. Received: num_real={m}, num_fake={n}")
    k_rr = polynomial_kernel(real_features, real_features, **kernel_kwargs)
    k_ff = polynomial_kernel(fake_features, fake_features, **kernel_kwargs)
    k_rf = polynomial_kernel(real_features, fake_features, **kernel_kwargs)
    real_term = (k_rr.sum() - np.trace(k_rr)) / (m * (m - 1))
    fake_term = (k_ff.sum() - np.trace(k_ff)) / (n * (n - 1))
    return float(real_term + fake_term - 2.0 * k_rf.mean())


def kernel_inception_distance(real_features, fake_features, num_subsets=100, subset_size=1000, seed=0):
    """KID: the mean of unbiased MMD^2 estimates over random subsets, with its spread.

    Args:
        real_features: (num_real, dim) features of real images.
        fake_features: (num_fake, dim) features of generated images.
        num_subsets: how many random subset pairs to average.
        subset_size: samples per subset (capped at the smaller set's size); each subset is drawn without
            replacement, different subsets independently.
        seed: seed of the subset draws.

    Returns:
        `KIDResult(mean, std, standard_error)`: `std` is the standard deviation of the per-subset estimates
        (the usual "KID std", as reported by Bińkowski et al.); `standard_error` is `std / sqrt(num_subsets)`,
        the uncertainty of the mean given these features (subsets overlap, so it is optimistic about sampling
        fresh images).
    """
    real_features = np.asarray(real_features, np.float64)
    fake_features = np.asarray(fake_features, np.float64)
    if real_features.ndim != 2 or fake_features.ndim != 2 or real_features.shape[1] != fake_features.shape[1]:
        raise ValueError("`real_features` and `fake_features` must be (num, dim) with the same dim. "
                         f"Received: real shape={real_features.shape}, fake shape={fake_features.shape}")
    if num_subsets < 1:
        raise ValueError(f"`num_subsets` must be a positive integer. Received: num_subsets={num_subsets}")
    if subset_size < 2:
        raise ValueError(f"`subset_size` must be >= 2. Received: subset_size={subset_size}")
    size = min(subset_size, len(real_features), len(fake_features))
    rng = np.random.default_rng(seed)
    estimates = np.array([
        mmd2_unbiased(real_features[rng.choice(len(real_features), size, replace=False)],
                      fake_features[rng.choice(len(fake_features), size, replace=False)])
        for _ in range(num_subsets)
    ])
    std = float(estimates.std(ddof=1)) if num_subsets > 1 else 0.0
    return KIDResult(float(estimates.mean()), std, float(std / np.sqrt(num_subsets)))
