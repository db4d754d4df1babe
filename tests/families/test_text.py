import types

import numpy as np
import pytest
from PIL import Image

from keras_gen.cli.text import COMMANDS
from keras_gen.families.text import generate_images
from keras_gen.training.runner import load_trained
from keras_gen.utils.images import make_grid

pytestmark = pytest.mark.xdist_group("families")


def test_generate_verb_writes_the_library_images(family_run, tmp_path):
    model, config = load_trained(family_run("text2image").output_dir)
    out = str(tmp_path / "seven.png")
    args = types.SimpleNamespace(text="a thick, slanted seven | a zebra two", num_samples=3, seed=4, out=out)
    COMMANDS["generate"](model, config, None, args)
    expected = make_grid(generate_images(model, ["a thick, slanted seven"] * 3 + ["a zebra two"] * 3, 4), ncols=3)
    written = np.asarray(Image.open(out).convert("L"), np.int16)
    np.testing.assert_allclose(written, expected[..., 0].repeat(2, 0).repeat(2, 1), atol=1)
    for text, message in (("", "needs --text"), ("a | ", "empty captions"), (" ".join(["w"] * 40), "at most 16 words")):
        with pytest.raises(ValueError, match=message):
            COMMANDS["generate"](model, config, None, types.SimpleNamespace(text=text, num_samples=1, seed=0, out=out))
