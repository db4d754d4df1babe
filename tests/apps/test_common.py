"""apps/common.py (installed as keras_gen_apps.common): images handed to Gradio as whole files, seeds and seed lists bounded."""

import os

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from keras_gen_apps import common


def test_image_file_writes_the_array_as_png_named_by_content():
    grey = (np.arange(48, dtype=np.uint8).reshape(6, 8) * 5)
    path = common.image_file(grey)
    np.testing.assert_array_equal(np.asarray(Image.open(path)), grey)
    assert common.image_file(grey.copy()) == path  # same picture, same file
    assert common.image_file(grey.T) != path  # same bytes in another shape is another picture
    colour = np.random.default_rng(0).random((4, 5, 3))
    np.testing.assert_array_equal(np.asarray(Image.open(common.image_file(colour))),
                                  np.rint(colour * 255).astype(np.uint8))
    one_channel = grey[..., None]
    np.testing.assert_array_equal(np.asarray(Image.open(common.image_file(one_channel))), grey)
    assert not [name for name in os.listdir(os.path.dirname(path)) if name.startswith(".staging_")]


def test_image_file_keeps_only_the_newest_files(monkeypatch):
    monkeypatch.setattr(common, "MAX_SERVED_IMAGES", 3)
    paths = [common.image_file(np.full((2, 2), value, np.uint8)) for value in range(5)]
    assert [os.path.exists(path) for path in paths] == [False, False, True, True, True]


def test_launch_hands_image_outputs_over_as_files(monkeypatch):
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kwargs: None)  # wiring only: no server
    picture = np.full((3, 4), 200, np.uint8)
    with gr.Blocks() as demo:
        number = gr.Number(value=1)
        image, text = gr.Image(format="png"), gr.Textbox()
        gr.Button("one").click(lambda n: picture, [number], image)
        gr.Button("two").click(lambda n: (picture, "done"), [number], [image, text])
        gr.Button("three").click(lambda n: str(n), [number], text)
    common.launch(demo, "127.0.0.1", 0)
    one, two, three = (block_fn.fn for block_fn in demo.fns.values())
    np.testing.assert_array_equal(np.asarray(Image.open(one(1))), picture)
    path, message = two(1)
    assert message == "done" and os.path.exists(path)
    assert three(5) == "5"  # an event without image outputs is left as it was
    common.launch(demo, "127.0.0.1", 0)  # a second launch does not wrap twice
    assert os.path.exists(next(iter(demo.fns.values())).fn(1))


def test_seed_bounds_and_seed_lists():
    assert common.parse_seeds("1, 2,3", "seeds") == [1, 2, 3]
    with pytest.raises(gr.Error, match="Received: 'a'"):
        common.parse_seeds("a", "seeds")
    with pytest.raises(gr.Error, match="Received: -1"):
        common.parse_seeds("-1", "seeds")
    with pytest.raises(gr.Error, match=f"Received: {common.MAX_SEED + 1}"):
        common.parse_seeds(str(common.MAX_SEED + 1), "seeds")
    with pytest.raises(gr.Error, match="at most 16 seeds"):
        common.parse_seeds(",".join(["1"] * 17), "seeds")
