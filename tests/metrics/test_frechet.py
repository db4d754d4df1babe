import numpy as np
import pytest
import scipy.linalg

from keras_gen.metrics.frechet import (
    FeatureStatistics, frechet_distance, frechet_distance_from_features, trace_sqrt_product,
)


def _random_covariance(rng, dim):
    factor = rng.normal(size=(dim, dim))
    return factor @ factor.T / dim + 0.1 * np.eye(dim)


def test_fd_of_a_set_with_itself_is_zero():
    features = np.random.default_rng(0).normal(size=(500, 16)) * 3.0 + 5.0
    assert frechet_distance_from_features(features, features) == pytest.approx(0.0, abs=1e-8)


def test_fd_between_gaussians_matches_closed_form():
    rng = np.random.default_rng(1)
    dim = 8
    mean1, mean2 = rng.normal(size=dim), rng.normal(size=dim)
    cov1, cov2 = _random_covariance(rng, dim), _random_covariance(rng, dim)
    # Closed form computed independently, with scipy's general matrix square root of the (non-symmetric) product.
    expected = np.sum((mean1 - mean2) ** 2) + np.trace(cov1 + cov2 - 2.0 * np.real(scipy.linalg.sqrtm(cov1 @ cov2)))
    assert frechet_distance(mean1, cov1, mean2, cov2) == pytest.approx(expected, rel=1e-9)


def test_fd_of_samples_converges_to_closed_form():
    rng = np.random.default_rng(2)
    dim = 4
    mean1, mean2 = np.zeros(dim), np.full(dim, 0.5)
    cov1, cov2 = np.diag([1.0, 2.0, 0.5, 1.0]), np.eye(dim) * 0.25
    # Diagonal covariances: the closed form reduces to sum((sqrt(a) - sqrt(b))^2) for the trace term.
    expected = np.sum((mean1 - mean2) ** 2) + np.sum((np.sqrt(np.diag(cov1)) - np.sqrt(np.diag(cov2))) ** 2)
    samples1 = rng.multivariate_normal(mean1, cov1, size=200_000)
    samples2 = rng.multivariate_normal(mean2, cov2, size=200_000)
    assert frechet_distance_from_features(samples1, samples2) == pytest.approx(expected, abs=0.02)


def test_streaming_statistics_equal_one_shot():
    rng = np.random.default_rng(3)
    # A large mean: the naive sum-of-squares formula loses digits here; the merged update does not.
    features = rng.normal(size=(1003, 6)) + 1e4
    streamed = FeatureStatistics()
    for start in range(0, len(features), 97):  # uneven batches, the last one short
        streamed.update(features[start:start + 97])
    one_shot = FeatureStatistics.from_features(features)
    assert streamed.count == one_shot.count == 1003
    np.testing.assert_allclose(streamed.mean, one_shot.mean, rtol=1e-12)
    np.testing.assert_allclose(streamed.covariance, one_shot.covariance, rtol=1e-9)
    np.testing.assert_allclose(streamed.covariance, np.cov(features, rowvar=False), rtol=1e-9)


def test_trace_sqrt_product_is_real_for_singular_covariances():
    rng = np.random.default_rng(4)
    low_rank = rng.normal(size=(3, 10))
    cov = low_rank.T @ low_rank  # rank 3 of 10: sqrtm of such products often goes complex
    value = trace_sqrt_product(cov, cov)
    assert np.isfinite(value) and value == pytest.approx(np.trace(cov), rel=1e-6)


def test_bad_inputs_name_the_parameter():
    with pytest.raises(ValueError, match="covariance2"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(4))
    with pytest.raises(ValueError, match="features"):
        FeatureStatistics().update(np.zeros(5))
    with pytest.raises(ValueError, match="count=1"):
        FeatureStatistics.from_features(np.zeros((1, 3))).covariance
