import math

import numpy as np
import pytest

from keras_gen.theory import optimal_discriminator as theory

P_DATA = theory.GaussianMixture1D(means=(-2.0, 2.0), stds=(0.5, 0.7), weights=(0.5, 0.5))
P_G = theory.GaussianMixture1D(means=(0.0,), stds=(1.5,), weights=(1.0,))


def test_mixture_density_integrates_to_one_and_samples_match():
    grid = theory.default_grid(P_DATA, P_G)
    np.testing.assert_allclose(np.trapezoid(P_DATA.pdf(grid), grid), 1.0, atol=1e-6)
    samples = P_DATA.sample(20000, np.random.default_rng(0))
    np.testing.assert_allclose([samples.mean(), samples.var()], [0.0, 4.0 + 0.5 * (0.25 + 0.49)], atol=0.06)
    with pytest.raises(ValueError, match="Received: weights"):
        theory.GaussianMixture1D((0.0,), (1.0,), (0.5,))


def test_value_at_optimal_discriminator_is_minus_log4_plus_twice_jsd():
    grid = theory.default_grid(P_DATA, P_G)
    jsd = theory.jensen_shannon_divergence(P_DATA, P_G, grid)
    assert 0 < jsd < math.log(2)
    optimal = theory.optimal_discriminator(P_DATA, P_G, grid)
    np.testing.assert_allclose(theory.value_function(optimal, P_DATA, P_G, grid), -math.log(4) + 2 * jsd, atol=1e-6)
    # Any other discriminator does worse (V is maximized by D*).
    assert theory.value_function(np.clip(optimal + 0.05, 0, 1), P_DATA, P_G, grid) < -math.log(4) + 2 * jsd


def test_identical_distributions_give_one_half_and_minus_log4():
    grid = theory.default_grid(P_DATA, P_DATA)
    np.testing.assert_allclose(theory.optimal_discriminator(P_DATA, P_DATA, grid), 0.5)
    np.testing.assert_allclose(theory.jensen_shannon_divergence(P_DATA, P_DATA, grid), 0.0, atol=1e-12)
    np.testing.assert_allclose(theory.value_function(np.full_like(grid, 0.5), P_DATA, P_DATA, grid), -math.log(4), atol=1e-6)


def test_disjoint_distributions_have_jsd_log2():
    far = theory.GaussianMixture1D(means=(40.0,), stds=(0.5,), weights=(1.0,))
    np.testing.assert_allclose(theory.jensen_shannon_divergence(P_DATA, far), math.log(2), atol=1e-6)


def test_a_trained_discriminator_approaches_the_optimum():
    result = theory.compare_with_theory(P_DATA, P_G, steps=300, batch_size=256, seed=0)
    assert result["d_mean_abs_error_weighted"] < 0.06
    assert result["value_error"] < 0.05
