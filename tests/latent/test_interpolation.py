import numpy as np
import pytest

from keras_gen.latent.interpolation import interpolate, lerp, slerp


def test_lerp_is_the_straight_line():
    path = lerp([0.0, 2.0], [4.0, -2.0], 5)
    np.testing.assert_allclose(path, [[0, 2], [1, 1], [2, 0], [3, -1], [4, -2]])


def test_slerp_keeps_endpoints_moves_at_constant_angle_and_interpolates_norms():
    start, end = np.array([3.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    path = slerp(start, end, 5)
    np.testing.assert_allclose(path[0], start, atol=1e-6)
    np.testing.assert_allclose(path[-1], end, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), [3.0, 2.5, 2.0, 1.5, 1.0], rtol=1e-5)
    angles = np.arctan2(path[:, 1], path[:, 0])
    np.testing.assert_allclose(np.diff(angles), np.pi / 8, rtol=1e-5)
    np.testing.assert_allclose(path[:, 2], 0.0)


def test_slerp_of_parallel_codes_falls_back_to_the_line():
    np.testing.assert_allclose(slerp([1.0, 1.0], [2.0, 2.0], 3), lerp([1.0, 1.0], [2.0, 2.0], 3), atol=1e-6)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="Received: steps=1"):
        lerp([0.0], [1.0], 1)
    with pytest.raises(ValueError, match="start=\\(2,\\), end=\\(3,\\)"):
        slerp([0.0, 1.0], [1.0, 2.0, 3.0], 4)
    with pytest.raises(ValueError, match="Received: method='cubic'"):
        interpolate([0.0], [1.0], 3, method="cubic")
