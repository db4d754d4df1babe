import numpy as np
import pytest
from PIL import Image

from tests.apps.serving import read, serve

# With pytest-xdist, tests that share the session's trained families run in one worker (trained once there).
pytestmark = pytest.mark.xdist_group("families")

@pytest.fixture(scope="module")
def served(family_run):
    with serve("vqvae2_app", family_run("vqvae2_prior").output_dir) as served_app:
        yield served_app


def test_class_conditional_samples_match_the_library(served):
    client, vqvae = served
    grid = read(client.predict("0,3", 5, api_name="/sample"))
    assert grid.shape == (4 * (16 + 2), 4 * (2 * 17 + 1))  # one row of 2 tiles, 1 px padding, shown 4x
    expected = vqvae.sample([0, 3], 5)
    for index in range(2):  # each tile: 1 px padding, then 16 px, every 4th screen pixel
        left = 4 * (1 + index * 17)
        np.testing.assert_allclose(grid[4:4 + 64:4, left:left + 64:4], expected[index, :, :, 0], atol=1 / 255 + 1e-6)


def test_reconstruction_shows_input_output_and_both_code_grids(served, tmp_path):
    from gradio_client import handle_file

    client, vqvae = served
    digit = np.zeros((16, 16), np.uint8)
    digit[3:13, 6:10] = 255
    Image.fromarray(digit).save(tmp_path / "digit.png")
    panels = read(client.predict(handle_file(str(tmp_path / "digit.png")), api_name="/reconstruct"))
    assert panels.shape == (8 * 18, 8 * (4 * 17 + 1))  # input, reconstruction, top codes, bottom codes; shown 8x
    top, bottom = vqvae.encode(digit[None, :, :, None] / 255.0)
    reconstruction = vqvae.decode(top, bottom)[0, :, :, 0]
    np.testing.assert_allclose(panels[8:8 + 128:8, 8 * 18:8 * 18 + 128:8], reconstruction, atol=2 / 255)


def test_labels_out_of_range_are_refused(served):
    client, _ = served
    with pytest.raises(Exception, match=r"`labels` must be in \[0, 4\)\. Received: labels=\[9\]"):
        client.predict("9", 0, api_name="/sample")
