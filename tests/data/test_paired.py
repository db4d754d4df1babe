import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from keras_gen import data
from keras_gen.data import paired
from keras_gen.data.tfds_sources import DatasetUnavailableError


def test_offline_sets_are_registered_in_both_registries():
    assert set(paired.paired_names(offline_only=True)) == {"digits_edges", "digits_sr4", "digits_labelmap", "digits_thick"}
    assert data.get_info("digits_edges").image_shape == (32, 32, 1)
    assert "cycle_gan_horse2zebra" in data.dataset_names() and "div2k_x4" in data.dataset_names()
    targets = next(iter(data.load("digits_sr4", "test", batch_size=3)))
    assert targets.shape == (3, 32, 32, 1)
    # The targets are the first test digits, zero-padded by 2 pixels on each side.
    digits, _ = data.as_numpy("mnist_5k", "test", value_range="unit", limit=3)
    np.testing.assert_array_equal(targets.numpy(), np.pad(digits, ((0, 0), (2, 2), (2, 2), (0, 0))))


def test_digit_pairs_are_derived_from_the_same_digit():
    sources, targets = paired.pairs_as_numpy("digits_sr4", "test", value_range="unit", limit=8)
    assert sources.shape == (8, 8, 8, 1) and targets.shape == (8, 32, 32, 1)
    pooled = targets.reshape(8, 8, 4, 8, 4, 1).mean(axis=(2, 4))
    np.testing.assert_allclose(sources, pooled, atol=1 / 255 + 1e-6)

    edges, digits = paired.pairs_as_numpy("digits_edges", "test", value_range="signed", limit=8)
    assert set(np.unique(edges)) == {-1.0, 1.0}
    strokes = digits > 0.0
    assert (edges > 0).sum() > 0
    # Exactly the morphological gradient of the strokes: pixels whose 3x3 neighbourhood holds both stroke and
    # background (dilation minus erosion), recomputed with numpy shifts.
    padded = np.pad(strokes[..., 0], ((0, 0), (1, 1), (1, 1)))
    neighbourhood = np.stack([padded[:, 1 + dr:33 + dr, 1 + dc:33 + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)])
    np.testing.assert_array_equal(edges[..., 0] > 0, neighbourhood.any(axis=0) & ~neighbourhood.all(axis=0))
    # Outline pixels sit on or right next to the stroke; the digit interior far from the boundary is not outline.
    from scipy import ndimage
    near_stroke = ndimage.binary_dilation(strokes, np.ones((1, 3, 3, 1), bool))
    assert np.all(near_stroke[edges > 0])

    label_maps, digits = paired.pairs_as_numpy("digits_labelmap", "test", value_range="unit", limit=8)
    assert label_maps.shape == (8, 32, 32, 3)
    np.testing.assert_array_equal(label_maps.sum(-1), 1.0)  # one-hot
    classes = label_maps.argmax(-1)[..., None]
    assert digits[classes == 0].max() < 26 / 255 + 1e-6
    assert digits[classes == 2].min() >= 154 / 255 - 1e-6


def test_unpaired_digits_come_from_disjoint_halves_and_b_is_thicker():
    a, b = next(iter(paired.load_pairs("digits_thick", "test", batch_size=64, value_range="unit", shuffle=False)))
    a, b = a.numpy(), b.numpy()
    assert a.shape == b.shape == (64, 32, 32, 1)
    assert (b > 0.5).mean() > 1.5 * (a > 0.5).mean()  # thickened strokes cover more pixels
    images, _ = data.as_numpy("mnist_5k", "test", value_range="unit")
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
    np.testing.assert_allclose(a, padded[0:128:2], atol=1e-6)  # A: even positions, unchanged
    # B: odd positions, each pixel the maximum of its 3x3 neighbourhood (grey dilation), by numpy shifts.
    odd = np.pad(padded[1:128:2, :, :, 0], ((0, 0), (1, 1), (1, 1)))
    dilated = np.max([odd[:, 1 + dr:33 + dr, 1 + dc:33 + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)], axis=0)
    np.testing.assert_allclose(b[..., 0], dilated, atol=1e-6)


def test_load_pairs_rejects_bad_arguments():
    with pytest.raises(ValueError, match="dataset='nope'"):
        paired.load_pairs("nope")
    with pytest.raises(ValueError, match="value_range='bytes'"):
        paired.load_pairs("digits_edges", value_range="bytes")
    with pytest.raises(ValueError, match="split='validation'"):
        paired.load_pairs("digits_edges", split="validation")
    with pytest.raises(ValueError, match="batch_size=0"):
        paired.load_pairs("digits_edges", batch_size=0)


def test_tfds_sets_fail_fast_offline(tmp_path):
    source = paired.cycle_gan_source("horse2zebra", probe=lambda: False)
    with pytest.raises(DatasetUnavailableError, match="cycle_gan/horse2zebra"):
        source("train", str(tmp_path))


def test_load_pairs_offline_error_points_at_the_digit_pairs(tmp_path, monkeypatch):
    from keras_gen.data import tfds_sources

    monkeypatch.setattr(tfds_sources, "network_reachable", lambda *args, **kwargs: False)
    with pytest.raises(DatasetUnavailableError, match="digits_edges, digits_labelmap, digits_sr4, digits_thick"):
        paired.load_pairs("cycle_gan_horse2zebra", data_dir=str(tmp_path))


def test_cycle_gan_loader_with_mock_data(tmp_path):
    source = paired.cycle_gan_source("horse2zebra", size=16, probe=lambda: True)
    with tfds.testing.mock_data(num_examples=3):
        domain_a, domain_b = source("train", str(tmp_path))
        images = [image for image, _ in domain_a]
        b_images = [image for image, _ in domain_b]
        builder = tfds.builder("cycle_gan/horse2zebra", data_dir=str(tmp_path))
        raw = {split: [example["image"].numpy() for example in builder.as_dataset(split=split, shuffle_files=False)]
               for split in ("trainA", "trainB")}
    assert len(images) == 3 and len(b_images) == 3
    assert images[0].shape == (16, 16, 3) and images[0].dtype == tf.uint8
    # Domain A reads trainA and domain B trainB, in order, each image area-resized to 16x16 and rounded: the
    # exact pixels, and (an independent check) the mean colour of the raw image of any size is kept.
    for loaded, originals in ((images, raw["trainA"]), (b_images, raw["trainB"])):
        for image, original in zip(loaded, originals):
            resized = tf.image.resize(original, (16, 16), method="area", antialias=True)
            np.testing.assert_array_equal(image.numpy(), np.clip(np.round(resized.numpy()), 0, 255).astype(np.uint8))
            np.testing.assert_allclose(image.numpy().reshape(-1, 3).mean(0), original.reshape(-1, 3).mean(0), atol=0.5)


def test_div2k_loader_crops_aligned_patches_with_mock_data(tmp_path):
    hr = np.random.default_rng(0).integers(0, 255, (2, 40, 48, 3)).astype(np.uint8)
    lr = hr.reshape(2, 10, 4, 12, 4, 3).mean(axis=(2, 4)).astype(np.uint8)

    def as_dataset(self, *args, **kwargs):
        return tf.data.Dataset.from_tensor_slices({"lr": lr, "hr": hr})

    source = paired.div2k_source(hr_patch=16, probe=lambda: True)
    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        triples = list(source("test", str(tmp_path)))
    for index, (lr_patch, hr_patch, _) in enumerate(triples):
        assert lr_patch.shape == (4, 4, 3) and hr_patch.shape == (16, 16, 3)
        # The HR patch pools to the LR patch: the crops are aligned.
        pooled = hr_patch.numpy().reshape(4, 4, 4, 4, 3).mean(axis=(1, 3)).astype(np.uint8)
        np.testing.assert_array_equal(pooled, lr_patch.numpy())


def test_cityscapes_loader_keeps_class_ids_with_mock_data(tmp_path):
    labels = np.random.default_rng(1).integers(0, 34, (1, 32, 64, 1)).astype(np.uint8)
    photos = np.zeros((1, 32, 64, 3), np.uint8)

    def as_dataset(self, *args, **kwargs):
        return tf.data.Dataset.from_tensor_slices({"segmentation_label": labels, "image_left": photos})

    source = paired.cityscapes_source(size=(16, 32), probe=lambda: True)
    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        label_map, photo, _ = next(iter(source("train", str(tmp_path))))
    assert label_map.shape == (16, 32, 1) and photo.shape == (16, 32, 3)
    # Nearest neighbour: every output value is one input pixel of its 2x2 block (class ids never blend).
    blocks = labels[0].reshape(16, 2, 32, 2, 1)
    assert np.all((blocks == label_map.numpy()[:, None, :, None]).any(axis=(1, 3)))
