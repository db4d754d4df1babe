import numpy as np
import pytest

from keras_gen.latent import tools


def identity_decode(z):
    """A 'decoder' whose image is the code itself, so grids can be checked by value."""
    z = np.asarray(z, np.float32)
    return z.reshape(len(z), 1, -1, 1)


def test_traversal_varies_one_dimension_per_row():
    codes = tools.traversal_codes(np.array([0.5, -0.5, 0.0]), [0, 2], [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(codes, [
        [-1, -0.5, 0], [0, -0.5, 0], [1, -0.5, 0],
        [0.5, -0.5, -1], [0.5, -0.5, 0], [0.5, -0.5, 1],
    ])
    grid = tools.traverse(identity_decode, np.zeros(3), [1], [2.0, 3.0])
    assert grid.shape == (2, 1, 3, 1)
    np.testing.assert_allclose(grid[:, 0, :, 0], [[0, 2, 0], [0, 3, 0]])  # the decoded traversal codes


def test_edit_sets_or_adds_only_the_named_dimensions():
    z = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(tools.edit_codes(z, {1: -4.0}), [1.0, -4.0, 3.0])
    np.testing.assert_allclose(tools.edit_codes(z, {0: 1.0, 2: -1.0}, mode="add"), [2.0, 2.0, 2.0])
    encode = lambda images: np.asarray(images).reshape(len(images), -1)  # noqa: E731
    reconstruction, edited = tools.edit(encode, identity_decode, np.array([[[1.0], [2.0], [3.0]]]), {2: 0.0})
    np.testing.assert_allclose(reconstruction.ravel(), [1, 2, 3])
    np.testing.assert_allclose(edited.ravel(), [1, 2, 0])


def test_interpolate_images_goes_from_one_code_to_the_other():
    encode = lambda images: np.asarray(images).reshape(len(images), -1)  # noqa: E731
    a, b = np.zeros((1, 2, 1)), np.ones((1, 2, 1))
    path = tools.interpolate_images(encode, identity_decode, a, b, steps=3)
    np.testing.assert_allclose(path.reshape(3, 2), [[0, 0], [0.5, 0.5], [1, 1]])


def test_out_of_range_dimensions_are_named():
    with pytest.raises(ValueError, match="dimension=5"):
        tools.traversal_codes(np.zeros(3), [5], [0.0])
    with pytest.raises(ValueError, match="dimension=-1"):
        tools.edit_codes(np.zeros(3), {-1: 0.0})
    with pytest.raises(ValueError, match="Received: mode='multiply'"):
        tools.edit_codes(np.zeros(3), {0: 1.0}, mode="multiply")
