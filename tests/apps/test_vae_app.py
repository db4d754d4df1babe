import numpy as np
import pytest
from PIL import Image

from tests.apps.serving import read, serve

# With pytest-xdist, tests that share the session's trained families run in one worker (trained once there).
pytestmark = pytest.mark.xdist_group("families")


@pytest.fixture(scope="module")
def served(family_run):
    with serve("vae_app", family_run("vae").output_dir) as served_app:
        yield served_app


def test_random_code_sets_sliders_and_shows_their_decoding(served):
    client, vae = served
    *sliders, image_path = client.predict(7, api_name="/random_code")
    expected_z = np.random.default_rng(7).standard_normal(4).astype(np.float32)
    np.testing.assert_allclose(sliders, expected_z, atol=1e-6)
    image = read(image_path)
    assert image.shape == (8 * 18, 8 * 18)  # one 16x16 tile with 1 px padding, shown 8x larger
    expected = vae.decode(expected_z[None])[0, :, :, 0]
    np.testing.assert_allclose(image[8:-8:8, 8:-8:8], expected, atol=1 / 255 + 1e-6)


def test_edit_reconstructs_and_edits_an_uploaded_digit(served, tmp_path):
    from gradio_client import handle_file

    client, vae = served
    digit = np.zeros((16, 16), np.uint8)
    digit[3:13, 7:9] = 255  # a "1"
    Image.fromarray(digit).save(tmp_path / "one.png")
    original, reconstruction, edited = (read(p) for p in client.predict(handle_file(str(tmp_path / "one.png")), 2, 3.0,
                                                                         api_name="/edit"))
    np.testing.assert_allclose(original[8:-8:8, 8:-8:8], digit / 255.0, atol=1 / 255 + 1e-6)
    z = vae.encode(digit[None, :, :, None] / 255.0)[0].copy()
    np.testing.assert_allclose(reconstruction[8:-8:8, 8:-8:8], vae.decode(z[None])[0, :, :, 0], atol=2 / 255)
    z[2] = 3.0
    np.testing.assert_allclose(edited[8:-8:8, 8:-8:8], vae.decode(z[None])[0, :, :, 0], atol=2 / 255)


def test_traversal_grid_has_one_row_per_dimension(served):
    client, vae = served
    grid = read(client.predict([0, 3], 5, 2.0, api_name="/traverse"))
    assert grid.shape == (4 * (2 * 17 + 1), 4 * (5 * 17 + 1))  # 2 rows x 5 columns, 1 px padding, shown 4x
    for row, dimension in enumerate((0, 3)):
        for column, value in enumerate(np.linspace(-2.0, 2.0, 5)):
            z = np.zeros((1, vae.latent_dim), np.float32)
            z[0, dimension] = value
            top, left = 4 * (1 + row * 17), 4 * (1 + column * 17)
            np.testing.assert_allclose(grid[top:top + 64:4, left:left + 64:4], vae.decode(z)[0, :, :, 0],
                                       atol=1 / 255 + 1e-6, err_msg=f"row {row}, column {column}")


def test_slider_endpoint_names_its_inputs_and_uploads_are_capped(served, tmp_path):
    from gradio_client import handle_file

    client, vae = served
    parameters = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/decode_sliders"]["parameters"]
    assert [p["parameter_name"] for p in parameters] == [f"z_{i}" for i in range(vae.latent_dim)]
    big = tmp_path / "big.png"  # a valid PNG over the 5 MB upload cap (random pixels do not compress)
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (1400, 1400, 3), dtype=np.uint8)).save(big)
    assert big.stat().st_size > 5 * 1024 * 1024
    with pytest.raises(Exception, match="(?i)exceeds the maximum file size|file size|too large|413"):
        client.predict(handle_file(str(big)), 0, 1.0, api_name="/edit")
