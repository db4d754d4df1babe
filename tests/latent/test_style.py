import numpy as np
import pytest

from keras_gen.latent.style import (interpolate_styles, mix_styles, style_mixing_grid, truncate_styles,
                                    truncation_sweep)

RNG = np.random.default_rng(0)
WS_A = RNG.normal(size=(2, 4, 3)).astype("float32")
WS_B = RNG.normal(size=(3, 4, 3)).astype("float32")


def fake_synthesize(ws):
    """An 'image' that records its latents: (batch, num_ws, w_dim, 1)."""
    return np.asarray(ws)[..., None]


def test_style_mixing_grid_rows_take_coarse_styles_from_a_columns_fine_from_b():
    grid, ncols = style_mixing_grid(fake_synthesize, WS_A, WS_B, crossover=2)
    assert ncols == 4 and grid.shape == (3 * 4, 4, 3, 1)
    cells = grid.reshape(3, 4, 4, 3)
    np.testing.assert_array_equal(cells[0, 0], 1.0)  # blank corner
    np.testing.assert_array_equal(cells[0, 1:], WS_B)  # top row: the B sources
    np.testing.assert_array_equal(cells[1:, 0], WS_A)  # first column: the A sources
    for i in range(2):
        for j in range(3):
            np.testing.assert_array_equal(cells[1 + i, 1 + j, :2], WS_A[i, :2])
            np.testing.assert_array_equal(cells[1 + i, 1 + j, 2:], WS_B[j, 2:])


def test_mixing_equal_latents_is_no_mixing_and_crossover_is_checked():
    for crossover in range(5):
        np.testing.assert_array_equal(mix_styles(WS_A, WS_A, crossover), WS_A)
    with pytest.raises(ValueError, match=r"crossover=5"):
        mix_styles(WS_A, WS_A, 5)


def test_truncation_sweep_and_interpolation():
    w_avg = np.array([1.0, 2.0, 3.0], "float32")
    grid, ncols = truncation_sweep(fake_synthesize, WS_A, w_avg, psis=(0.0, 0.5, 1.0), cutoff=3)
    assert ncols == 3 and grid.shape == (6, 4, 3, 1)
    cells = grid[..., 0].reshape(2, 3, 4, 3)
    np.testing.assert_allclose(cells[:, 0, :3], np.broadcast_to(w_avg, (2, 3, 3)))  # psi 0: the average
    np.testing.assert_allclose(cells[:, 0, 3], WS_A[:, 3])  # rows past the cutoff untouched
    np.testing.assert_allclose(cells[:, 1, :3], (w_avg + WS_A[:, :3]) / 2, rtol=1e-6)
    np.testing.assert_allclose(cells[:, 2], WS_A, rtol=1e-6)
    np.testing.assert_allclose(truncate_styles(WS_A, w_avg, 0.0), np.broadcast_to(w_avg, WS_A.shape))
    path = interpolate_styles(WS_A[0], WS_A[1], 5)
    assert path.shape == (5, 4, 3)
    np.testing.assert_allclose(path[0], WS_A[0])
    np.testing.assert_allclose(path[4], WS_A[1], rtol=1e-6)
    np.testing.assert_allclose(path[2], (WS_A[0] + WS_A[1]) / 2, rtol=1e-5, atol=1e-6)
