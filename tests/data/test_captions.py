import os
import re

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from keras_gen.data import captions, digit_attributes, tfds_sources


def bar(width, top=4, bottom=23, left=12):
    """A vertical ink bar `width` pixels wide, rows top..bottom, on a 28x28 background."""
    image = np.zeros((28, 28), np.uint8)
    image[top:bottom + 1, left:left + width] = 255
    return image


def test_thickness_size_slant_position_of_hand_drawn_strokes():
    # 1-wide bar: every ink pixel touches the background. 3-wide, 20 high: edge columns 1, centre column 2 except
    # its two end pixels (1): (20 + 20 + 18 * 2 + 2) / 60 = 1.3.
    assert digit_attributes.stroke_thickness(bar(1)) == pytest.approx(1.0)
    assert digit_attributes.stroke_thickness(bar(3)) == pytest.approx(1.3)
    assert digit_attributes.digit_size(bar(3)) == 20 and digit_attributes.digit_size(bar(3, 10, 19)) == 10
    assert digit_attributes.slant(bar(3)) == pytest.approx(0.0)
    # Rows 4..23 at centre 13.5; the bar's columns 12..14 centre on 13: half a pixel left of the image centre.
    np.testing.assert_allclose(digit_attributes.offset(bar(3)), [0.0, -0.5])
    leaning = np.zeros((28, 28), np.uint8)
    for y in range(4, 24):  # x moves right by half a pixel per row going up
        leaning[y, int(round(14 + 0.5 * (13.5 - y)))] = 255
    assert digit_attributes.slant(leaning) == pytest.approx(0.5, abs=0.03)
    assert digit_attributes.slant(leaning[:, ::-1]) == pytest.approx(-0.5, abs=0.03)
    corner = np.zeros((28, 28), np.uint8)
    corner[3:9, 4:8] = 255  # centre (5.5, 5.5): 8 up, 8 left
    assert digit_attributes.measure(corner[None])[0]["position"] == "top left"
    assert digit_attributes.measure(corner[::-1, ::-1][None])[0]["position"] == "bottom right"
    # 4 wide: (2 * 20 + 2 * (18 * 2 + 2)) / 80 = 1.45, beyond the thick band's 1.3.
    assert digit_attributes.stroke_thickness(bar(4)) == pytest.approx(1.45)
    words = digit_attributes.measure(np.stack([bar(1), bar(4), bar(4, 10, 19)])[..., None])
    assert [w["thickness"] for w in words] == ["thin", "thick", "thick"]
    assert [w["size"] for w in words] == ["large", "large", "small"]
    assert words[0]["slant"] == "upright"
    # uint8 and [0, 1] floats are the same image.
    assert digit_attributes.stroke_thickness(bar(3).astype(np.float32) / 255) == pytest.approx(1.3)


def test_write_caption_only_with_clear_attributes():
    measured = {"thickness": "thick", "size": None, "slant": "slanted", "position": "center"}
    assert captions.write_caption("a {thickness}, {slant} {digit}", 7, measured) == "a thick, slanted seven"
    assert captions.write_caption("a {size} {digit}", 7, measured) is None
    assert captions.write_caption("a {slant} {numeral}", 8, {**measured, "slant": "upright"}) == "an upright 8"
    assert captions.mentions("a {thickness}, {slant} {digit}", 7, measured) == {
        "class": 7, "thickness": "thick", "slant": "slanted"}


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_caption_says_what_is_measured_on_its_image(split):
    data = captions.captioned_digits(split)
    templates = captions.TRAIN_TEMPLATES if split == "train" else captions.HELD_OUT_TEMPLATES
    assert set(data.templates) == set(templates)  # every template is used
    measured = digit_attributes.measure(data.images)
    assert measured == list(data.measured)
    for caption, index, template, said in zip(data.captions, data.image_index, data.templates, data.said):
        label = int(data.labels[index])
        assert said["class"] == label
        assert attributes_in(caption, template) == {k: v for k, v in said.items() if k != "class"}
        for name, word in said.items():
            if name != "class":
                assert measured[index][name] == word, (caption, name, measured[index])
        words = re.findall(r"\w+", caption)
        assert digit_attributes.DIGIT_WORDS[label] in words or str(label) in words
    # Captions per digit: 3 for training, 3 for test (repeats allowed there).
    assert len(data.captions) <= 3 * len(data.images)
    assert len(data.images) == (4500 if split == "train" else 500)


def attributes_in(caption, template):
    """Reads the attribute words back out of a caption with its template as a pattern."""
    pattern = re.escape(template).replace(r"\{digit\}", r"(?P<digit>\w+)").replace(r"\{numeral\}", r"(?P<numeral>\d)")
    for name in digit_attributes.ATTRIBUTES:
        pattern = pattern.replace(r"\{" + name + r"\}", rf"(?P<{name}>[a-z ]+?)")
    pattern = pattern.replace(r"a\ ", r"an?\ ") if pattern.startswith(r"a\ ") else pattern
    match = re.fullmatch(pattern, caption)
    assert match, (caption, template)
    return {k: v for k, v in match.groupdict().items() if k in digit_attributes.ATTRIBUTES}


def test_held_out_templates_and_combinations_never_appear_in_training():
    train, test = captions.captioned_digits("train"), captions.captioned_digits("test")
    assert not set(captions.TRAIN_TEMPLATES) & set(captions.HELD_OUT_TEMPLATES)
    assert not set(train.templates) & set(captions.HELD_OUT_TEMPLATES)
    assert set(test.templates) <= set(captions.HELD_OUT_TEMPLATES)
    # No training caption could have been written by a held-out template.
    held_out_patterns = [re.compile(re.escape(t).replace(r"\{", "{").replace(r"\}", "}")
                                    .format(digit=r"\w+", numeral=r"\d", thickness="[a-z]+", size="[a-z]+",
                                            slant="[a-z]+", position="[a-z ]+")) for t in captions.HELD_OUT_TEMPLATES]
    assert not any(p.fullmatch(str(c)) for p in held_out_patterns for c in train.captions)
    assert not any(captions.is_held_out_combo(s) for s in train.said)
    assert any(captions.is_held_out_combo(s) for s in test.said)  # the test split does ask for them
    assert not set(map(str, train.captions)) & set(map(str, test.captions))


def test_captioned_batches_pair_images_with_their_captions():
    images, texts = next(iter(captions.load_captioned("captioned_digits", "test", batch_size=5, shuffle=False)))
    data = captions.captioned_digits("test")
    assert images.shape == (5, 28, 28, 1) and texts.dtype.name == "string"
    np.testing.assert_allclose(images.numpy(), data.images[data.image_index[:5]] / 127.5 - 1, atol=1e-6)
    assert [t.decode() for t in texts.numpy()] == list(data.captions[:5])
    with pytest.raises(ValueError, match="dataset='mnist_5k'"):
        captions.load_captioned("mnist_5k")


def _text_c10_fixture(root, classes=5, per_class=2):
    for c in range(classes):
        name = f"{c + 1:03d}.Bird_{c}"
        os.makedirs(root / "images" / name)
        os.makedirs(root / "text_c10" / name)
        for i in range(per_class):
            stem = f"Bird_{c}_{i}"
            Image.fromarray(np.full((40, 30, 3), 10 * c + i, np.uint8)).save(root / "images" / name / f"{stem}.jpg",
                                                                             quality=100)
            (root / "text_c10" / name / f"{stem}.txt").write_text(f"bird {c} image {i} caption a\n\nbird {c} caption b\n")


def test_text_c10_loader_reads_captions_next_to_images(tmp_path):
    _text_c10_fixture(tmp_path)
    train, test = captions.text_c10_pairs(str(tmp_path), "train"), captions.text_c10_pairs(str(tmp_path), "test")
    assert len(train) == 4 * 2 * 2 and len(test) == 1 * 2 * 2  # 4 train classes, 1 test class, 2 lines per file
    assert test[0][1] == "bird 4 image 0 caption a" and test[0][0].endswith("Bird_4_0.jpg")
    ds = captions.load_captioned("cub_200_captions", "test", batch_size=4, value_range="unit", data_dir=str(tmp_path))
    images, texts = next(iter(ds))
    assert images.shape == (4, 64, 64, 3)
    assert [t.decode() for t in texts.numpy()] == [c for _, c in test]
    np.testing.assert_allclose(images.numpy()[0], 40 / 255, atol=2 / 255)  # the grey of Bird_4_0, resized
    with pytest.raises(FileNotFoundError, match="text_c10"):
        captions.text_c10_pairs(str(tmp_path / "missing"), "train")


def test_coco_captions_through_tfds_with_mock_data(tmp_path, monkeypatch):
    monkeypatch.setattr(tfds_sources, "network_reachable", lambda: True)
    with tfds.testing.mock_data(num_examples=3):
        raw = list(tfds.builder("coco_captions", data_dir=str(tmp_path)).as_dataset(split="train", shuffle_files=False))
        ds = captions.load_captioned("coco_captions", "train", batch_size=100, shuffle=False, data_dir=str(tmp_path))
        images, texts = next(iter(ds))
    expected = [t for example in raw for t in example["captions"]["text"].numpy()]
    assert len(expected) > 0 and list(texts.numpy()) == expected  # one element per caption, in order
    assert images.shape == (len(expected), 64, 64, 3)
