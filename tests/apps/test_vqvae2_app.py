import numpy as np
import pytest
from PIL import Image

from keras_gen.training.config import TrainConfig
from keras_gen.training.runner import train
from tests.apps.serving import read, serve

OPTIONS = {"channels": "8", "embedding_dim": "4", "top_codes": "8", "bottom_codes": "8"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("vqvae2_app")
    common = dict(dataset="synthetic_16", epochs=1, steps_per_epoch=1, batch_size=8, sample_every=0)
    train(TrainConfig(model="vqvae2", output_dir=str(root / "stage1"), options=OPTIONS, **common), verbose=0)
    prior_options = {"vqvae_dir": str(root / "stage1"), "prior_filters": "8", "prior_layers": "2"}
    train(TrainConfig(model="vqvae2_prior", output_dir=str(root / "prior"), options=prior_options, **common), verbose=0)
    with serve("vqvae2_app", str(root / "prior")) as served_app:
        yield served_app


def test_class_conditional_samples_match_the_library(served):
    client, vqvae = served
    grid = read(client.predict("0,3", 5, api_name="/sample"))
    assert grid.shape == (4 * (16 + 2), 4 * (2 * 17 + 1))  # one row of 2 tiles, 1 px padding, shown 4x
    expected = vqvae.sample([0, 3], 5)
    np.testing.assert_allclose(grid[4:4 + 64:4, 4:4 + 64:4], expected[0, :, :, 0], atol=1 / 255 + 1e-6)


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
    with pytest.raises(Exception, match=r"labels in \[0, 4\)"):
        client.predict("9", 0, api_name="/sample")
