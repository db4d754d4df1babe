import numpy as np
import tensorflow_datasets as tfds

from keras_gen import data
from keras_gen.data import offline, tfds_sources


def _find(patch, region):
    """Top-left corners where `patch` occurs exactly in `region`."""
    size = patch.shape[0]
    candidates = np.argwhere(np.all(region[: region.shape[0] - size + 1, : region.shape[1] - size + 1] == patch[0, 0], -1))
    return [(r, c) for r, c in candidates if np.array_equal(region[r:r + size, c:c + size], patch)]


def test_photo_patches_are_seeded_and_test_patches_come_from_held_out_regions():
    train, train_labels = offline.photo_patches("train")
    test, test_labels = offline.photo_patches("test")
    assert train.shape == (5000, 64, 64, 3) and test.shape == (1000, 64, 64, 3) and train.dtype == np.uint8
    assert np.bincount(train_labels).tolist() == [2500, 2500] and np.bincount(test_labels).tolist() == [500, 500]
    again, _ = offline.photo_patches.__wrapped__("train")  # not the cached arrays: drawn again from the seed
    np.testing.assert_array_equal(again, train)
    assert len({patch.tobytes() for patch in train[:200]}) >= 195  # random positions (drawn with replacement)
    # The two regions of each photo are disjoint column ranges that together are the whole photograph.
    from sklearn.datasets import load_sample_images

    photos = load_sample_images().images
    for (train_region, label), (test_region, _) in zip(offline.photo_regions("train"), offline.photo_regions("test")):
        np.testing.assert_array_equal(np.concatenate([train_region, test_region], axis=1), photos[label])
        assert test_region.shape[1] == offline.PHOTO_TEST_COLUMNS
    # Each patch is a crop of its own split's region of its photograph and occurs nowhere in the other split's.
    regions = {split: [r for r, _ in offline.photo_regions(split)] for split in ("train", "test")}
    for index in (0, 1, 499, 500, 999):
        assert _find(test[index], regions["test"][test_labels[index]])
        assert not _find(test[index], regions["train"][test_labels[index]])
    for index in (0, 2500, 4999):
        assert _find(train[index], regions["train"][train_labels[index]])
    info = data.get_info("photo_patches_64")
    assert info.image_shape == (64, 64, 3) and info.num_classes == 2
    images, labels = data.as_numpy("photo_patches_64", "test", value_range="unit")
    np.testing.assert_allclose(images, test / 255.0, atol=1e-6)
    np.testing.assert_array_equal(labels, test_labels)


def test_mnist_5k_32_is_mnist_5k_zero_padded():
    padded, labels = data.as_numpy("mnist_5k_32", "test")
    digits, digit_labels = data.as_numpy("mnist_5k", "test")
    assert padded.shape == (500, 32, 32, 1)
    np.testing.assert_array_equal(padded[:, 2:30, 2:30], digits)
    np.testing.assert_array_equal(labels, digit_labels)
    border = np.ones((32, 32), bool)
    border[2:30, 2:30] = False
    assert padded[:, border].max() == 0.0


def test_celeb_a_is_the_centred_108_crop_resized_to_64(monkeypatch, tmp_path):
    import tensorflow as tf

    monkeypatch.setattr(tfds_sources, "network_reachable", lambda: True)
    with tfds.testing.mock_data(num_examples=3):
        images, labels = next(iter(data.load("celeb_a", "train", batch_size=3, value_range="unit", with_labels=True,
                                             shuffle=False, data_dir=str(tmp_path))))
        raw = [example["image"].numpy() for example in
               tfds.builder("celeb_a", data_dir=str(tmp_path)).as_dataset(split="train", shuffle_files=False)]
    assert data.get_info("celeb_a").image_shape == (64, 64, 3)
    assert images.shape == (3, 64, 64, 3) and raw[0].shape == (218, 178, 3) and np.all(labels.numpy() == 0)
    for image, photo in zip(images.numpy(), raw):
        face = photo[55:163, 35:143].astype(np.float32)  # rows (218 - 108) / 2 .., columns (178 - 108) / 2 ..
        expected = np.round(tf.image.resize(face, (64, 64), method="area").numpy()) / 255
        np.testing.assert_allclose(image, expected, atol=1e-6)
        whole = np.round(tf.image.resize(photo.astype(np.float32), (64, 64), method="area").numpy()) / 255
        assert np.abs(image - whole).mean() > 0.05  # a crop, not the whole photo squeezed
