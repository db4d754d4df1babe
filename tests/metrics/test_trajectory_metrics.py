import numpy as np
import pytest

from keras_gen.metrics.trajectory import (
    collision_rate, constant_velocity, displacement_errors, linear_regression,
)


def test_min_ade_and_fde_by_hand():
    future = np.zeros((1, 2, 2, 2))  # 1 scene, 2 real pedestrians + nothing else, 2 steps
    samples = np.zeros((1, 2, 2, 2, 2))  # 2 samples
    samples[0, 0, 0] = [[3, 4], [0, 0]]  # pedestrian 0, sample 0: errors 5, 0 -> ADE 2.5, FDE 0
    samples[0, 1, 0] = [[1, 0], [1, 0]]  #               sample 1: errors 1, 1 -> ADE 1, FDE 1
    samples[0, :, 1] = [[0, 0], [0, 2]]  # pedestrian 1, both samples: ADE 1, FDE 2
    ade, fde = displacement_errors(samples, future, np.array([[True, True]]))
    # min ADE per pedestrian (1, 1) -> 1; min FDE per pedestrian (0, 2) -> 1
    assert ade == pytest.approx(1.0) and fde == pytest.approx(1.0)
    ade, fde = displacement_errors(samples, future, np.array([[True, False]]))
    assert ade == pytest.approx(1.0) and fde == pytest.approx(0.0)
    with pytest.raises(ValueError, match="mask"):
        displacement_errors(samples, future, np.zeros((1, 2), bool))


def test_constant_velocity_and_linear_regression_extend_a_straight_walk_exactly():
    observed = np.stack([np.arange(8.0), 2 * np.arange(8.0)], -1)[None, None]  # x = t, y = 2t
    expected = np.stack([np.arange(8.0, 20.0), 2 * np.arange(8.0, 20.0)], -1)[None, None]
    np.testing.assert_allclose(constant_velocity(observed), expected)
    np.testing.assert_allclose(linear_regression(observed), expected, atol=1e-9)
    # A last step that turns: constant velocity follows it, the regression follows the fitted line.
    turned = observed.copy()
    turned[..., -1, :] = [7.0, 15.0]
    assert constant_velocity(turned)[0, 0, 0].tolist() == [8.0, 18.0]  # 6,12 -> 7,15 -> 8,18


def test_collision_rate_counts_real_pedestrians_that_come_too_close():
    samples = np.zeros((1, 1, 3, 2, 2))  # 1 scene, 1 sample, 3 pedestrians, 2 steps
    samples[0, 0, 0] = [[0, 0], [0, 0]]
    samples[0, 0, 1] = [[1, 0], [0.05, 0]]  # 5 cm from pedestrian 0 at step 2
    samples[0, 0, 2] = [[5, 5], [0, 0]]  # on pedestrian 0 at step 2, but padding
    assert collision_rate(samples, np.array([[True, True, False]]), threshold=0.1) == pytest.approx(1.0)
    assert collision_rate(samples, np.array([[True, True, False]]), threshold=0.01) == 0.0
    assert collision_rate(samples, np.array([[True, True, True]]), threshold=0.1) == pytest.approx(1.0)
    samples[0, 0, 1] = [[1, 0], [1, 0]]
    assert collision_rate(samples, np.array([[True, True, False]]), threshold=0.1) == 0.0
    assert collision_rate(samples, np.array([[True, True, True]]), threshold=0.1) == pytest.approx(2 / 3)
