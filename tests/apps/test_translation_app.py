import numpy as np
import pytest
from PIL import Image

from keras_gen.data import paired
from keras_gen.families import get_family
from keras_gen.training.config import TrainConfig
from tests.apps.serving import read, serve


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app over an (untrained) SPADE export, as `keras-gen app` would serve it."""
    export_dir = str(tmp_path_factory.mktemp("app") / "spade")
    config = TrainConfig(model="spade", dataset="digits_labelmap", latent_dim=4, options={"base_filters": "4", "num_scales": "1", "style_encoder": "false"})
    family = get_family("spade")
    family.export(family.build(config, paired.get_paired_info("digits_labelmap")), export_dir)
    with serve("translation_app", export_dir) as served_app:
        yield served_app


def test_painted_label_map_is_read_by_grey_level_and_rendered(served, tmp_path):
    from gradio_client import handle_file

    client, endpoints = served
    painting = np.zeros((64, 64, 3), np.uint8)  # background
    painting[8:56, 24:40] = 128  # rim
    painting[16:48, 28:36] = 255  # core
    Image.fromarray(painting).save(tmp_path / "map.png")
    editor = {"background": handle_file(str(tmp_path / "map.png")), "layers": [],
              "composite": handle_file(str(tmp_path / "map.png"))}
    seen_path, output_path = client.predict(editor, 3, None, api_name="/generate")
    seen, output = read(seen_path), read(output_path)
    expected_ids = np.zeros((32, 32), np.int64)
    expected_ids[4:28, 12:20] = 1
    expected_ids[8:24, 14:18] = 2
    np.testing.assert_allclose(seen[::8, ::8], expected_ids / 2.0, atol=1 / 255 + 1e-6)  # shown 8x larger
    expected = endpoints.translate_label_map(expected_ids[None], seed=3)[0, :, :, 0]
    np.testing.assert_allclose(output[::8, ::8], expected, atol=1 / 255 + 1e-6)


def test_palette_and_label_map_reading():
    from keras_gen_apps.translation_app import label_map_from_picture, palette

    assert palette(3) == ["#000000", "#808080", "#ffffff"]
    picture = np.array([[0, 100, 200, 255]], np.uint8)
    np.testing.assert_array_equal(label_map_from_picture(picture, (1, 4), 3), [[0, 1, 2, 2]])
