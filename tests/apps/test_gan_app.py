import numpy as np
import pytest

from keras_gen.latent.arithmetic import vector_arithmetic
from keras_gen.latent.interpolation import slerp
from tests.apps.serving import read, serve

# With pytest-xdist, tests that share the session's trained families run in one worker (trained once there).
pytestmark = pytest.mark.xdist_group("families")


@pytest.fixture(scope="module")
def served(family_run):
    with serve("gan_app", family_run("cgan").output_dir) as served_app:
        yield served_app


def tiles(grid, count, ncols, size=16, scale=4):
    """Undo make_grid (1 px padding) and the preview scale: (count, size, size)."""
    grid = grid[::scale, ::scale]
    out = []
    for index in range(count):
        row, col = divmod(index, ncols)
        top, left = 1 + row * (size + 1), 1 + col * (size + 1)
        out.append(grid[top:top + size, left:left + size])
    return np.stack(out)


def test_class_conditional_sample_matches_the_library(served):
    client, gan = served
    grid = read(client.predict(2, 4, 5, 0.0, api_name="/sample_class"))
    assert grid.shape == (4 * (2 * 17 + 1), 4 * (2 * 17 + 1))  # 4 images in a 2x2 grid
    expected = gan.sample(4, 5, labels=[2, 2, 2, 2])[..., 0]
    np.testing.assert_allclose(tiles(grid, 4, 2), expected, atol=1 / 255 + 1e-6)


def test_sample_with_truncation_and_interpolation(served):
    client, gan = served
    grid = read(client.predict(3, 1, 0.5, api_name="/sample"))
    np.testing.assert_allclose(tiles(grid, 3, 2), gan.sample(3, 1, truncation=0.5)[..., 0], atol=1 / 255 + 1e-6)
    row = read(client.predict(1, 2, 5, "spherical", 1, api_name="/interpolate"))
    z = slerp(gan.latents(1, 1)[0], gan.latents(1, 2)[0], 5)
    np.testing.assert_allclose(tiles(row, 5, 5), gan.generate(z, np.full(5, 1))[..., 0], atol=1 / 255 + 1e-6)


def test_vector_arithmetic_row_is_mean_a_minus_mean_b_plus_mean_c(served):
    client, gan = served
    grid = read(client.predict("1,2", "3", "4,5", 0, api_name="/arithmetic"))
    assert grid.shape == (4 * (4 * 17 + 1), 4 * (3 * 17 + 1))  # 4 rows of width 3 (mean + 2 members)
    groups = [np.concatenate([gan.latents(1, s) for s in seeds]) for seeds in ((1, 2), (3,), (4, 5))]
    expected = gan.generate(vector_arithmetic(*groups)[None], [0])[0, ..., 0]
    np.testing.assert_allclose(tiles(grid, 10, 3)[9], expected, atol=1 / 255 + 1e-6)
    assert tiles(grid, 12, 3)[10].min() == 1.0  # padding tiles are white


def test_seeds_outside_the_int32_range_and_long_seed_lists_are_refused(served):
    client, _ = served
    for seed in (-1, 2**31):
        with pytest.raises(Exception, match="(less|greater) than (minimum|maximum) value"):
            client.predict(2, seed, 0.0, api_name="/sample")
    with pytest.raises(Exception, match=r"A: at most 16 seeds. Received: 17 seeds"):
        client.predict(",".join(map(str, range(17))), "3", "4", 0, api_name="/arithmetic")
    with pytest.raises(Exception, match=r"B: seeds must be in \[0, 2147483647\]. Received: -5"):
        client.predict("1", "-5", "4", 0, api_name="/arithmetic")
