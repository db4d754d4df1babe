"""`folder:PATH` datasets: files written here, values checked by hand."""

import logging
import os

import numpy as np
import pytest
from PIL import Image

from keras_gen import data
from keras_gen.data import folder, paired


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(folder.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(folder, "_MEMORY", {})


def _save(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(np.asarray(array, np.uint8)).save(path)
    return str(path)


def _blocks(values, block=2):
    """A square image of constant `block` x `block` blocks: values (n, n[, 3]) -> (n*block, n*block[, 3])."""
    return np.asarray(values, np.uint8).repeat(block, axis=0).repeat(block, axis=1)


def test_center_crop_and_area_resize_values_are_exact(tmp_path):
    # 8 wide x 4 high: the centred 4x4 square is columns 2..5; outside it, 255s that must not leak in.
    centre = _blocks([[[10, 20, 30], [40, 50, 60]], [[70, 80, 90], [100, 110, 120]]])  # (4, 4, 3)
    wide = np.full((4, 8, 3), 255, np.uint8)
    wide[:, 2:6] = centre
    _save(tmp_path / "imgs" / "wide.png", wide)
    tall = np.full((8, 4, 3), 255, np.uint8)  # 4 wide x 8 high: rows 2..5
    tall[2:6] = centre
    _save(tmp_path / "imgs" / "nested" / "deeper" / "tall.PNG", tall)  # recursive, any letter case
    images = folder.decode_images(folder.list_images(str(tmp_path / "imgs")),
                                  folder.parse_folder_name(f"folder:{tmp_path / 'imgs'},resolution=2"))
    expected = np.array([[[10, 20, 30], [40, 50, 60]], [[70, 80, 90], [100, 110, 120]]], np.uint8)
    assert images.shape == (2, 2, 2, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images[0], expected)  # sorted: "nested/deeper/tall.PNG" before "wide.png"
    np.testing.assert_array_equal(images[1], expected)
    same_size = folder.read_image(str(tmp_path / "imgs" / "wide.png"), 4, 3)
    np.testing.assert_array_equal(same_size, centre)  # no resize at the stored size: the crop exactly


def test_grayscale_and_rgb_through_the_registry(tmp_path):
    for i, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255), (200, 200, 200)]):
        _save(tmp_path / "photos" / "train" / f"{i}.png", np.tile(np.array(colour, np.uint8), (6, 6, 1)))
    _save(tmp_path / "photos" / "test" / "0.png", np.zeros((6, 6, 3), np.uint8))
    name = f"folder:{tmp_path / 'photos'},resolution=3"
    assert data.get_info(name).image_shape == (3, 3, 3) and data.get_info(name).num_classes == 0
    rgb, labels = data.as_numpy(name, "train", value_range="unit")
    assert rgb.shape == (4, 3, 3, 3) and np.all(labels == 0)
    np.testing.assert_allclose(rgb[:, 0, 0], np.array([(255, 0, 0), (0, 255, 0), (0, 0, 255), (200, 200, 200)]) / 255)
    gray, _ = data.as_numpy(name + ",color=grayscale", "train", value_range="signed")
    assert gray.shape == (4, 3, 3, 1)
    # PIL's ITU-R 601-2 luma in integer arithmetic: L = (19595 R + 38470 G + 7471 B + 2^15) >> 16.
    luma = [(19595 * r + 38470 * g + 7471 * b + 32768) >> 16 for r, g, b in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    assert luma == [76, 150, 29]  # 0.299, 0.587, 0.114 of 255, rounded
    np.testing.assert_allclose(gray[:3, 1, 1, 0], np.array(luma) / 127.5 - 1, atol=1e-6)
    test, _ = data.as_numpy(name, "test")
    assert test.shape == (1, 3, 3, 3) and test.max() == 0.0  # train/ and test/ subfolders are the splits
    batch = next(iter(data.load(name, "train", batch_size=4, seed=1)))
    assert sorted(map(tuple, batch.numpy()[:, 0, 0])) == sorted(map(tuple, rgb[:, 0, 0]))  # shuffled, all there


def test_a_corrupt_file_is_named_or_skipped_with_a_warning(tmp_path, caplog):
    good = _save(tmp_path / "set" / "good.png", np.full((4, 4, 3), 7))
    _save(tmp_path / "set" / "also_good.jpg", np.full((4, 4, 3), 9))
    truncated = tmp_path / "set" / "sub" / "broken.png"
    os.makedirs(truncated.parent)
    truncated.write_bytes(open(good, "rb").read()[:40])
    (tmp_path / "set" / "notes.txt").write_text("not an image, ignored")
    spec = folder.parse_folder_name(f"folder:{tmp_path / 'set'},resolution=4")
    paths = folder.list_images(spec.path)
    assert [os.path.basename(p) for p in paths] == ["also_good.jpg", "good.png", "broken.png"]
    with pytest.raises(folder.ImageFolderError, match=f"(?s)1 of 3 image files cannot be decoded.*{truncated}.*on_error=skip"):
        folder.decode_images(paths, spec)
    skipping = folder.parse_folder_name(spec.name + ",on_error=skip")
    with caplog.at_level(logging.WARNING):
        images = folder._cached_decode(paths, skipping)
    assert images.shape == (2, 4, 4, 3)
    assert abs(int(images[0, 0, 0, 0]) - 9) <= 2 and images[1, 0, 0, 0] == 7  # sorted: also_good.jpg, good.png
    assert "Skipped 1 of 3" in caplog.text and str(truncated) in caplog.text
    caplog.clear()
    folder._MEMORY.clear()  # from the disk cache now: the skip is reported again, never silent
    with caplog.at_level(logging.WARNING):
        again = folder._cached_decode(paths, skipping)
    np.testing.assert_array_equal(again, images)
    assert "1 of 3 image files" in caplog.text and "skipped" in caplog.text


def test_empty_missing_and_malformed_folders_are_clear_errors(tmp_path):
    os.makedirs(tmp_path / "empty" / "sub")
    (tmp_path / "empty" / "sub" / "readme.md").write_text("x")
    with pytest.raises(folder.ImageFolderError, match=f"No image files .* under '{tmp_path / 'empty'}'"):
        data.as_numpy(f"folder:{tmp_path / 'empty'}", "train")
    with pytest.raises(folder.ImageFolderError, match=f"No folder at '{tmp_path / 'nowhere'}'"):
        data.get_info(f"folder:{tmp_path / 'nowhere'}")
    with pytest.raises(folder.ImageFolderError, match="Received: size=64"):
        data.get_info(f"folder:{tmp_path / 'empty'},size=64")
    with pytest.raises(folder.ImageFolderError, match="Received: color='sepia'"):
        data.get_info(f"folder:{tmp_path / 'empty'},color=sepia")
    with pytest.raises(folder.ImageFolderError, match="Received: resolution='big'"):
        data.get_info(f"folder:{tmp_path / 'empty'},resolution=big")
    _save(tmp_path / "one" / "a.png", np.zeros((4, 4, 3)))
    with pytest.raises(folder.ImageFolderError, match="at least 2 images"):
        data.as_numpy(f"folder:{tmp_path / 'one'}", "test")


def test_a_flat_folder_is_split_by_file_name_hash(tmp_path):
    for i in range(20):
        _save(tmp_path / "flat" / f"{i:02d}.png", np.full((4, 4, 3), i))
    name = f"folder:{tmp_path / 'flat'},resolution=4,test_fraction=0.25"
    train, _ = data.as_numpy(name, "train", value_range="unit")
    test, _ = data.as_numpy(name, "test", value_range="unit")
    train_ids = set(np.rint(train[:, 0, 0, 0] * 255).astype(int))
    test_ids = set(np.rint(test[:, 0, 0, 0] * 255).astype(int))
    assert len(test_ids) == 5 and len(train_ids) == 15 and train_ids | test_ids == set(range(20))
    # The split depends on the relative names only, not on where the folder is.
    names = lambda spec: [os.path.basename(p) for p in folder.split_paths(spec, "test")]  # noqa: E731
    before = names(folder.parse_folder_name(name))
    os.rename(tmp_path / "flat", tmp_path / "moved")
    moved = f"folder:{tmp_path / 'moved'},resolution=4,test_fraction=0.25"
    assert names(folder.parse_folder_name(moved)) == before and len(before) == 5


def test_the_disk_cache_is_used_and_invalidated_by_an_edit(tmp_path, monkeypatch):
    path = _save(tmp_path / "c" / "train" / "a.png", np.full((4, 4, 3), 1))
    _save(tmp_path / "c" / "test" / "b.png", np.full((4, 4, 3), 2))
    name = f"folder:{tmp_path / 'c'},resolution=4"
    first, _ = data.as_numpy(name, "train", value_range="unit")
    assert len(os.listdir(tmp_path / "cache")) == 1
    folder._MEMORY.clear()
    monkeypatch.setattr(folder, "decode_images", lambda *a, **k: pytest.fail("decoded again despite the cache"))
    np.testing.assert_array_equal(data.as_numpy(name, "train", value_range="unit")[0], first)
    monkeypatch.undo()
    monkeypatch.setenv(folder.CACHE_DIR_ENV, str(tmp_path / "cache"))
    _save(path, np.full((4, 4, 3), 3))
    os.utime(path, ns=(10**18, 10**18))  # a different modification time: a different cache key
    edited, _ = data.as_numpy(name, "train", value_range="unit")
    np.testing.assert_allclose(edited, 3 / 255, atol=1e-6)


def _cyclegan_folder(root):
    for split, count in (("train", 3), ("test", 2)):
        for domain, value in (("A", 40), ("B", 200)):
            for i in range(count):
                _save(root / f"{split}{domain}" / f"{i}.png", np.full((8, 10, 3), value + i))
    return root


def test_cyclegan_layout_gives_two_unpaired_domains(tmp_path):
    root = _cyclegan_folder(tmp_path / "horse2zebra")
    name = f"folder:{root},resolution=8"
    info = paired.get_paired_info(name)
    assert not info.paired and info.source_shape == info.target_shape == (8, 8, 3)
    paired.check_pairing(info, "unpaired", "cyclegan")
    with pytest.raises(ValueError, match="needs aligned pairs"):
        paired.check_pairing(info, "aligned", "pix2pix")
    a, b = next(iter(paired.load_pairs(name, "train", batch_size=3, value_range="unit", shuffle=False)))
    np.testing.assert_allclose(np.asarray(a)[:, 0, 0, 0] * 255, [40, 41, 42], atol=1e-4)
    np.testing.assert_allclose(np.asarray(b)[:, 0, 0, 0] * 255, [200, 201, 202], atol=1e-4)
    sources, targets = paired.pairs_as_numpy(name, "test", value_range="unit")
    assert sources.shape == targets.shape == (2, 8, 8, 3)
    # The plain registry reads the targets (domain B), like every paired set.
    np.testing.assert_allclose(data.as_numpy(name, "test")[0][:, 0, 0, 0] * 255, [200, 201], atol=1e-4)


def test_side_by_side_pairs_split_each_image_in_halves(tmp_path):
    for split, count in (("train", 2), ("val", 1)):
        for i in range(count):
            pair = np.concatenate([np.full((6, 6, 3), 10 + i), np.full((6, 6, 3), 100 + i)], axis=1)  # A | B
            _save(tmp_path / "facades" / split / f"{i}.png", pair)
    name = f"folder:{tmp_path / 'facades'},resolution=6"
    info = paired.get_paired_info(name)
    assert info.paired and info.source_shape == (6, 6, 3)
    paired.check_pairing(info, "aligned", "pix2pix")
    sources, targets = paired.pairs_as_numpy(name, "train", value_range="unit")
    np.testing.assert_allclose(sources[:, 0, 0, 0] * 255, [10, 11], atol=1e-4)
    np.testing.assert_allclose(targets[:, 3, 5, 2] * 255, [100, 101], atol=1e-4)
    swapped, _ = paired.pairs_as_numpy(name + ",direction=b2a", "test", value_range="unit")  # val/ is the test split
    np.testing.assert_allclose(swapped[:, 0, 0, 0] * 255, [100], atol=1e-4)
    _save(tmp_path / "squares" / "train" / "x.png", np.zeros((6, 6, 3)))
    _save(tmp_path / "squares" / "test" / "y.png", np.zeros((6, 12, 3)))
    with pytest.raises(folder.ImageFolderError, match=f"{tmp_path / 'squares' / 'train' / 'x.png'}.*twice as wide"):
        paired.pairs_as_numpy(f"folder:{tmp_path / 'squares'},resolution=6", "train")
