import numpy as np
import pytest

from keras_gen.latent import arithmetic, neighbours


def test_vector_arithmetic_is_mean_a_minus_mean_b_plus_mean_c():
    a = np.array([[1.0, 0.0], [3.0, 0.0]])  # mean (2, 0)
    b = np.array([[0.0, 1.0]])  # mean (0, 1)
    c = np.array([[0.0, 4.0], [0.0, 6.0], [3.0, 5.0]])  # mean (1, 5)
    np.testing.assert_allclose(arithmetic.vector_arithmetic(a, b, c), [3.0, 4.0])
    with pytest.raises(ValueError, match="Received: group_a.shape=\\(2, 2\\), group_b.shape=\\(1, 3\\)"):
        arithmetic.vector_arithmetic(a, np.ones((1, 3)), c)
    with pytest.raises(ValueError, match="Received: group_b.shape=\\(0, 2\\)"):
        arithmetic.vector_arithmetic(a, np.ones((0, 2)), c)


def test_groups_by_class():
    latents = np.arange(12, dtype=np.float32).reshape(6, 2)
    labels = np.array([0, 1, 2, 0, 1, 2])
    result, groups = arithmetic.arithmetic_by_class(latents, labels, (2, 0, 1))
    np.testing.assert_allclose(groups[0], [[4, 5], [10, 11]])
    # mean(class 2) - mean(class 0) + mean(class 1) = (7, 8) - (3, 4) + (5, 6)
    np.testing.assert_allclose(result, [9.0, 10.0])
    assert [len(g) for g in arithmetic.groups_by_class(latents, labels, (0, 1), group_size=1)] == [1, 1]
    with pytest.raises(ValueError, match="No latent has class 7"):
        arithmetic.groups_by_class(latents, labels, (0, 7))
    with pytest.raises(ValueError, match="Received: classes=\\[0, 1\\]"):
        arithmetic.arithmetic_by_class(latents, labels, (0, 1))


def test_nearest_neighbours_finds_the_closest_training_images():
    training = np.stack([np.full((2, 2, 1), v, np.float32) for v in (0.0, 0.5, 1.0, 0.9)])
    samples = np.stack([np.full((2, 2, 1), 0.95, np.float32), np.full((2, 2, 1), 0.1, np.float32)])
    indices, distances = neighbours.nearest_neighbours(samples, training, k=2, batch_size=3)
    np.testing.assert_array_equal(indices, [[2, 3], [0, 1]])
    np.testing.assert_allclose(distances, [[0.1, 0.1], [0.2, 0.8]], atol=1e-5)  # sqrt(4 * 0.05^2) = 0.1
    grid = neighbours.neighbour_grid(samples, training, k=2)
    assert grid.shape == (6, 2, 2, 1)
    np.testing.assert_allclose(grid[1], training[2])
    # One row per sample: the sample, then its neighbours nearest first.
    np.testing.assert_allclose(grid, np.stack([samples[0], training[2], training[3], samples[1], training[0], training[1]]))
    with pytest.raises(ValueError, match="Received: k=0"):
        neighbours.nearest_neighbours(samples, training, k=0)


def test_arithmetic_rows_decode_means_members_and_result():
    groups = [np.array([[1.0], [3.0]]), np.array([[0.5]]), np.array([[2.0], [4.0], [6.0]])]
    decode = lambda z: np.asarray(z, np.float32).reshape(-1, 1, 1, 1) / 10.0  # noqa: E731
    images, width = arithmetic.arithmetic_rows(decode, groups)
    assert width == 4 and images.shape == (16, 1, 1, 1)
    np.testing.assert_allclose(images[:4, 0, 0, 0], [0.2, 0.1, 0.3, 1.0])  # mean(A), A..., white padding
    np.testing.assert_allclose(images[4:6, 0, 0, 0], [0.05, 1.0])  # one member: no separate mean
    np.testing.assert_allclose(images[12, 0, 0, 0], (2.0 - 0.5 + 4.0) / 10.0)  # mean(A) - mean(B) + mean(C)
