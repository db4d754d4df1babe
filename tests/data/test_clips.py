import os
import time

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from keras_gen import data
from keras_gen.data import clips, tfds_sources
from keras_gen.data.offline import mnist_5k_arrays


def test_bounce_reflects_position_and_velocity_at_both_borders_exactly():
    # limit 4: 0.5 -> 3.5 -> (6.5 mirrored at 4) 1.5 with velocity -3 -> (-1.5 mirrored at 0) 1.5 with velocity +3.
    position, velocity = np.array([0.5, 2.0]), np.array([3.0, -0.5])
    trace = []
    for _ in range(3):
        position, velocity = clips.bounce(position, velocity, 4.0)
        trace.append((position.tolist(), velocity.tolist()))
    assert trace == [([3.5, 1.5], [3.0, -0.5]), ([1.5, 1.0], [-3.0, -0.5]), ([1.5, 0.5], [3.0, -0.5])]
    position, velocity = clips.bounce(np.array([4.0]), np.array([0.0]), 4.0)  # at the border, standing still
    assert position.tolist() == [4.0] and velocity.tolist() == [0.0]


def test_bouncing_trajectory_stays_inside_and_reflects_each_axis_at_the_border():
    rng = np.random.default_rng(3)
    reflections = 0
    for _ in range(20):
        positions, velocities = clips.bouncing_trajectory(rng, 40, 10.0, (1.0, 3.0))
        assert positions.min() >= 0.0 and positions.max() <= 10.0
        speeds = np.linalg.norm(velocities, axis=1)
        np.testing.assert_allclose(speeds, speeds[0], rtol=0, atol=1e-12)  # reflection keeps the speed
        for t in range(39):
            free = positions[t] + velocities[t]
            for axis in range(2):
                if 0.0 <= free[axis] <= 10.0:  # no border crossed: a straight step, velocity unchanged
                    assert positions[t + 1, axis] == free[axis] and velocities[t + 1, axis] == velocities[t, axis]
                else:  # mirrored at the border it crossed, that velocity component negated
                    mirrored = -free[axis] if free[axis] < 0 else 20.0 - free[axis]
                    assert positions[t + 1, axis] == mirrored and velocities[t + 1, axis] == -velocities[t, axis]
                    reflections += 1
    assert reflections > 20  # the check above did see borders


def test_moving_digits_keep_whole_digits_inside_the_frame():
    clip_array, labels, classes, trajectories = clips.moving_digits_arrays.__wrapped__(
        "test", canvas=32, num_frames=6, num_digits=2, num_clips=12, seed=5)
    assert clip_array.shape == (12, 6, 32, 32, 1) and clip_array.dtype == np.uint8
    assert np.array_equal(labels, classes[:, 0]) and classes.shape == (12, 2)
    assert trajectories.min() >= 0 and trajectories.max() <= 32 - 14  # top-left corners of 14x14 digits
    # Where the two digits' windows do not overlap, the frame's total intensity is both digits' whole intensity:
    # no digit is cut at a border. Recover each digit from the first such frame and compare.
    checked = 0
    for n in range(12):
        for t in range(6):
            corners = np.rint(trajectories[n, :, t]).astype(int)
            if np.any(np.abs(corners[0] - corners[1]) >= 14):  # separated along y or x
                top, left = corners[0]
                digit = clip_array[n, t, top:top + 14, left:left + 14, 0].astype(np.int64)
                top2, left2 = corners[1]
                other = clip_array[n, t, top2:top2 + 14, left2:left2 + 14, 0].astype(np.int64)
                assert clip_array[n, t].astype(np.int64).sum() == digit.sum() + other.sum()
                checked += 1
    assert checked >= 5
    # The same seed draws the same clips; another seed others.
    again = clips.moving_digits_arrays.__wrapped__("test", 32, 6, 2, 12, 5)[0]
    other = clips.moving_digits_arrays.__wrapped__("test", 32, 6, 2, 12, 6)[0]
    assert np.array_equal(again, clip_array) and not np.array_equal(other, clip_array)


def test_moving_digits_use_the_split_digits_and_the_64_pixel_protocol():
    clip_array, _, classes, trajectories = clips.moving_digits_arrays.__wrapped__("train", 64, 3, 2, 4, 0)
    assert clip_array.shape == (4, 3, 64, 64, 1)
    assert trajectories.max() <= 64 - 28
    # The first digit of clip 0, frame 0, is a real 28x28 train digit, unscaled (where it does not overlap).
    top, left = np.rint(trajectories[0, 0, 0]).astype(int)
    window = clip_array[0, 0, top:top + 28, left:left + 28, 0]
    train_digits = mnist_5k_arrays()["train"][0][..., 0]
    assert np.any(np.all(np.maximum(train_digits, 0) <= window[None], axis=(1, 2)) & (train_digits.sum((1, 2)) > 0))


def test_load_clips_value_range_labels_and_registry():
    assert {"moving_digits", "moving_digits_32", "moving_mnist", "synthetic_clips"} <= set(clips.clip_dataset_names())
    assert "moving_mnist" not in clips.clip_dataset_names(offline_only=True)
    assert clips.get_clip_info("moving_digits").clip_shape == (20, 64, 64, 1)
    assert clips.get_clip_info("moving_digits_32").clip_shape == (10, 32, 32, 1)
    batch, labels = next(iter(clips.load_clips("synthetic_clips", "train", 8, value_range="signed", with_labels=True,
                                               shuffle=False)))
    raw = list(clips._synthetic_clips("train", None).take(8))
    np.testing.assert_allclose(batch.numpy(), np.stack([c.numpy() for c, _ in raw]) / 127.5 - 1.0, atol=1e-6)
    assert labels.numpy().tolist() == [int(l) for _, l in raw]
    with pytest.raises(ValueError, match="Received: dataset='mnist_5k'"):
        clips.load_clips("mnist_5k")
    with pytest.raises(ValueError, match="Received: split='train'"):
        clips.load_clips("moving_mnist", "train")
    with pytest.raises(ValueError, match="Received: value_range='bytes'"):
        clips.load_clips("synthetic_clips", value_range="bytes")
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        clips.load_clips("synthetic_clips", batch_size=0)


def test_tfds_moving_mnist_with_mock_data(monkeypatch, tmp_path):
    monkeypatch.setattr(tfds_sources, "network_reachable", lambda: True)
    with tfds.testing.mock_data(num_examples=5):
        batch, labels = next(iter(clips.load_clips("moving_mnist", "test", 4, with_labels=True, data_dir=str(tmp_path))))
        raw = [ex["image_sequence"].numpy() for ex in
               tfds.builder("moving_mnist", data_dir=str(tmp_path)).as_dataset(split="test", shuffle_files=False)]
    assert batch.shape == (4, 20, 64, 64, 1) and labels.numpy().tolist() == [0, 0, 0, 0]
    np.testing.assert_allclose(batch.numpy(), np.stack(raw[:4]) / 255.0, atol=1e-6)  # test split: not shuffled


def test_tfds_moving_mnist_fails_fast_offline(monkeypatch, tmp_path):
    monkeypatch.setattr(tfds_sources, "network_reachable", lambda: False)
    start = time.time()
    with pytest.raises(data.DatasetUnavailableError, match="'moving_mnist'"):
        next(iter(clips.load_clips("moving_mnist", "test", data_dir=str(tmp_path))))
    assert time.time() - start < 30


def test_frame_folders_and_gifs_are_clips(tmp_path, monkeypatch):
    monkeypatch.setattr(clips, "_CLIP_DATASETS", dict(clips._CLIP_DATASETS))  # the registration below is undone after
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (2, 5, 8, 8), dtype=np.uint8)
    for n in range(2):
        os.makedirs(tmp_path / f"clip{n}")
        for t in range(5):
            Image.fromarray(frames[n, t]).save(tmp_path / f"clip{n}" / f"{t:03d}.png")
    gif_frames = [Image.fromarray(np.full((8, 8), 40 * t, np.uint8)) for t in range(4)]
    gif_frames[0].save(tmp_path / "z.gif", save_all=True, append_images=gif_frames[1:])
    (tmp_path / "notes.txt").write_text("ignored")
    loaded = clips.frame_folder_clips(str(tmp_path), (4, 8, 8, 1))
    assert loaded.shape == (3, 4, 8, 8, 1)
    assert np.array_equal(loaded[:2, ..., 0], frames[:, :4])  # same size: frames kept exactly, first T in order
    assert loaded[2, :, 0, 0, 0].tolist() == [0, 40, 80, 120]
    info = clips.register_clip_folder("test_user_clips", str(tmp_path), (4, 8, 8, 1), test_fraction=0.34)
    assert info.num_classes == 0
    train = next(iter(clips.load_clips("test_user_clips", "train", 8, shuffle=False)))
    assert train.shape == (2, 4, 8, 8, 1)
    with pytest.raises(ValueError, match="5 frames; 6 are needed"):
        clips.frame_folder_clips(str(tmp_path), (6, 8, 8, 1))
    (tmp_path / "movie.mp4").write_bytes(b"\x00")
    with pytest.raises(ValueError, match="No video decoder for '.mp4'"):
        clips.frame_folder_clips(str(tmp_path), (4, 8, 8, 1))
    with pytest.raises(ValueError, match="Received: path="):
        clips.frame_folder_clips(str(tmp_path / "missing"), (4, 8, 8, 1))
