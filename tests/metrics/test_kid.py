import numpy as np
import pytest

from keras_gen.metrics.kid import kernel_inception_distance, mmd2_unbiased, polynomial_kernel


def test_polynomial_kernel_value():
    x = np.array([[1.0, 2.0]])
    y = np.array([[3.0, -1.0]])
    assert polynomial_kernel(x, y)[0, 0] == pytest.approx((1.0 / 2 * (3.0 - 2.0) + 1.0) ** 3)


def test_mmd2_matches_explicit_double_sum():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(6, 3)) + 1.0
    k = lambda a, b: (a @ b / 3.0 + 1.0) ** 3
    xx = sum(k(x[i], x[j]) for i in range(5) for j in range(5) if i != j) / 20
    yy = sum(k(y[i], y[j]) for i in range(6) for j in range(6) if i != j) / 30
    xy = sum(k(x[i], y[j]) for i in range(5) for j in range(6)) / 30
    assert mmd2_unbiased(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-10)


def test_kid_is_unbiased_on_identical_distributions():
    # Many independent small draws from one distribution: the unbiased estimator averages to ~0 (a biased
    # V-statistic would sit clearly above 0 at this sample size), and can go negative on single draws.
    rng = np.random.default_rng(1)
    estimates = [mmd2_unbiased(rng.normal(size=(20, 4)), rng.normal(size=(20, 4))) for _ in range(400)]
    standard_error = np.std(estimates) / np.sqrt(len(estimates))
    assert abs(np.mean(estimates)) < 3 * standard_error
    assert min(estimates) < 0  # unbiased, so not clipped at zero
    biased = []
    for _ in range(100):
        x, y = rng.normal(size=(20, 4)), rng.normal(size=(20, 4))
        biased.append(polynomial_kernel(x, x).mean() + polynomial_kernel(y, y).mean() - 2 * polynomial_kernel(x, y).mean())
    assert np.mean(biased) > 10 * standard_error


def test_kid_subsets_mean_std_and_shift_detection():
    rng = np.random.default_rng(2)
    real, same = rng.normal(size=(300, 8)), rng.normal(size=(300, 8))
    shifted = rng.normal(size=(300, 8)) + 1.0
    same_result = kernel_inception_distance(real, same, num_subsets=20, subset_size=100)
    shifted_result = kernel_inception_distance(real, shifted, num_subsets=20, subset_size=100)
    assert abs(same_result.mean) < 3 * same_result.std
    assert shifted_result.mean > 5 * shifted_result.std > 0
    assert shifted_result.standard_error == pytest.approx(shifted_result.std / np.sqrt(20))
    # Seeded: the same call gives the same subsets.
    assert kernel_inception_distance(real, shifted, num_subsets=20, subset_size=100) == shifted_result


def test_kid_bad_inputs_name_the_parameter():
    with pytest.raises(ValueError, match="num_subsets=0"):
        kernel_inception_distance(np.zeros((4, 2)), np.zeros((4, 2)), num_subsets=0)
    with pytest.raises(ValueError, match="fake shape"):
        kernel_inception_distance(np.zeros((4, 2)), np.zeros((4, 3)))
