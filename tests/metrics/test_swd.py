import math

import numpy as np
import pytest

from keras_gen.metrics import swd


def test_projected_wasserstein_of_shifted_gaussians_is_the_projected_shift():
    # N(0, I) vs N(mu, I): along a unit direction t the projections are N(0, 1) and N(t.mu, 1), W1 = |t.mu|.
    rng = np.random.default_rng(0)
    mu = np.array([3.0, -1.0, 0.5, 2.0])
    a = rng.standard_normal((40_000, 4))
    b = rng.standard_normal((40_000, 4)) + mu
    directions = swd.random_directions(4, 16, seed=1)
    np.testing.assert_allclose(np.linalg.norm(directions, axis=0), 1.0, rtol=1e-12)
    distances = swd.projected_wasserstein(a, b, directions)
    np.testing.assert_allclose(distances, np.abs(mu @ directions), atol=0.03)


def test_projected_wasserstein_of_scaled_gaussians_is_the_scale_gap_times_mean_abs_normal():
    # N(0, s1^2 I) vs N(0, s2^2 I): every projection gives W1 = |s1 - s2| E|Z| = |s1 - s2| sqrt(2 / pi).
    rng = np.random.default_rng(1)
    a = 0.5 * rng.standard_normal((40_000, 6))
    b = 2.0 * rng.standard_normal((40_000, 6))
    distances = swd.projected_wasserstein(a, b, swd.random_directions(6, 8, seed=2))
    np.testing.assert_allclose(distances, 1.5 * math.sqrt(2 / math.pi), rtol=0.02)


def test_sliced_wasserstein_averages_over_the_sphere():
    # E|t.mu| over unit t uniform on S^(d-1) = |mu| Gamma(d/2) / (sqrt(pi) Gamma((d+1)/2)).
    rng = np.random.default_rng(2)
    d, mu = 3, np.array([0.0, 0.0, 4.0])
    # b = a + mu exactly, so each projection's W1 is exactly |t.mu|: only the directions are random. For d = 3,
    # |t.mu| is uniform on [0, 4] (std 1.15): 4 x 1024 directions give a standard error of 0.9%.
    a = rng.standard_normal((200, d))
    expected = 4.0 * math.gamma(d / 2) / (math.sqrt(math.pi) * math.gamma((d + 1) / 2))  # = 2.0 for d = 3
    assert expected == pytest.approx(2.0)
    value = swd.sliced_wasserstein(a, a + mu, num_directions=1024, num_repeats=4, seed=3)
    assert value == pytest.approx(expected, rel=0.03)
    assert swd.sliced_wasserstein(a, a + mu, 1024, 4, seed=3) == value  # seeded
    assert swd.sliced_wasserstein(a, a.copy(), 1024, 4, seed=3) == 0.0


def test_laplacian_pyramid_reconstructs_and_has_the_right_sizes():
    images = np.random.default_rng(3).random((2, 32, 32, 3))
    levels = swd.laplacian_pyramid(images, 3)
    assert [level.shape for level in levels] == [(2, 32, 32, 3), (2, 16, 16, 3), (2, 8, 8, 3)]
    rebuilt = levels[-1]
    for band in reversed(levels[:-1]):
        rebuilt = band + swd.pyramid_up(rebuilt)
    np.testing.assert_allclose(rebuilt, images, atol=1e-12)
    # A constant image has no detail: band-pass levels are 0, the coarsest level keeps the constant.
    constant = np.full((1, 16, 16, 1), 0.25)
    flat = swd.laplacian_pyramid(constant, 2)
    np.testing.assert_allclose(flat[0], 0.0, atol=1e-12)
    np.testing.assert_allclose(flat[1], 0.25, atol=1e-12)


def test_patch_descriptors_are_the_neighbourhoods_at_the_positions():
    level = np.arange(2 * 10 * 10 * 2, dtype=np.float64).reshape(2, 10, 10, 2)
    rows, cols = np.array([[0, 3]] * 2), np.array([[1, 2]] * 2)
    descriptors = swd.patch_descriptors(level, rows, cols, patch_size=7)
    assert descriptors.shape == (4, 7 * 7 * 2)
    np.testing.assert_array_equal(descriptors[1], level[0, 3:10, 2:9].ravel())
    np.testing.assert_array_equal(descriptors[2], level[1, 0:7, 1:8].ravel())
    normalized = swd.normalize_descriptors(descriptors, 2).reshape(4, 49, 2)
    np.testing.assert_allclose(normalized.mean(axis=(0, 1)), 0.0, atol=1e-12)
    np.testing.assert_allclose(normalized.std(axis=(0, 1)), 1.0, atol=1e-12)


def test_multiscale_swd_is_zero_for_identical_sets_and_orders_distributions():
    rng = np.random.default_rng(4)
    from scipy import ndimage

    smooth = lambda n: ndimage.gaussian_filter(rng.random((n, 32, 32, 3)), (0, 2, 2, 0))  # noqa: E731  blurred noise
    real, same_kind, noise = smooth(100), smooth(100), rng.random((100, 32, 32, 3))
    identical = swd.multiscale_swd(real, real.copy(), patches_per_image=32, num_directions=32, num_repeats=2)
    assert list(identical) == ["swd_32", "swd_16", "swd_mean"]
    assert all(value == 0.0 for value in identical.values())
    close = swd.multiscale_swd(real, same_kind, patches_per_image=64, num_directions=32, num_repeats=2)
    far = swd.multiscale_swd(real, noise, patches_per_image=64, num_directions=32, num_repeats=2)
    # Two draws of blurred noise differ only by sampling; white noise has other detail (finest level: 4x) and
    # other coarse structure.
    assert 0.0 < close["swd_32"] < far["swd_32"] / 3, (close, far)
    assert 0.0 < close["swd_16"] < far["swd_16"] / 1.5, (close, far)
    again = swd.multiscale_swd(real, noise, patches_per_image=64, num_directions=32, num_repeats=2)
    assert again == far  # seeded


def test_multiscale_swd_rejects_bad_shapes():
    with pytest.raises(ValueError, match="one shape.*real_images.shape=\\(2, 32, 32, 3\\)"):
        swd.multiscale_swd(np.zeros((2, 32, 32, 3)), np.zeros((3, 32, 32, 3)))
    with pytest.raises(ValueError, match="min_resolution=16"):
        swd.multiscale_swd(np.zeros((2, 8, 8, 3)), np.zeros((2, 8, 8, 3)))
