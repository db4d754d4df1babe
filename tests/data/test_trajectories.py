import os

import numpy as np
import pytest

from keras_gen.data import social_force, trajectories


def _write(path, rows):
    with open(path, "w") as f:
        for frame, pedestrian, x, y in rows:
            f.write(f"{frame:.1f}\t{pedestrian:.1f}\t{x:.2f}\t{y:.2f}\n")


def _fixture_rows():
    """22 frames (0, 10, ..., 210). Pedestrian 1 walks x = frame index the whole time; pedestrian 2 from frame
    index 1 on (y = 1); pedestrian 3 only in frames 0-4 (never in a whole 20-frame window)."""
    rows = []
    for index in range(22):
        frame = 10 * index
        rows.append((frame, 1, index, 0.0))
        if index >= 1:
            rows.append((frame, 2, -index, 1.0))
        if index <= 4:
            rows.append((frame, 3, 5.0, 5.0))
    return rows


def test_eth_ucy_windows_are_exact(tmp_path):
    path = tmp_path / "scene.txt"
    _write(path, _fixture_rows())
    windows = trajectories.scene_windows(trajectories.read_eth_ucy(str(path)))
    # Windows start at frame indices 0, 1, 2: the first holds pedestrian 1 only, the others 1 and 2.
    assert [w.shape for w in windows] == [(1, 20, 2), (2, 20, 2), (2, 20, 2)]
    np.testing.assert_array_equal(windows[0][0, :, 0], np.arange(20))
    np.testing.assert_array_equal(windows[2][0, :, 0], np.arange(2, 22))
    np.testing.assert_array_equal(windows[2][1], np.stack([-np.arange(2, 22), np.ones(20)], -1))
    padded = trajectories.pad_windows(windows, ["a"] * 3)
    assert padded.trajectories.shape == (3, 2, 20, 2)
    assert padded.mask.tolist() == [[True, False], [True, True], [True, True]]
    assert padded.observed.shape == (3, 2, 8, 2) and padded.future.shape == (3, 2, 12, 2)
    np.testing.assert_array_equal(padded.trajectories[0, 1], 0.0)


def test_leave_one_scene_out_and_clear_errors(tmp_path):
    for scene in ("eth", "hotel"):
        os.makedirs(tmp_path / scene)
        _write(tmp_path / scene / "part.txt", _fixture_rows())
    _write(tmp_path / "zara1.txt", _fixture_rows()[:30])  # a loose file is a scene too (too short: no window)
    test = trajectories.load_windows("eth_ucy", "test", str(tmp_path), test_scene="hotel")
    assert test.scenes == ("hotel",) * 3
    train = trajectories.load_windows("eth_ucy", "train", str(tmp_path), test_scene="hotel")
    assert train.scenes == ("eth",) * 3  # eth, plus zara1 without any window
    with pytest.raises(ValueError, match="test_scene='univ'"):
        trajectories.load_windows("eth_ucy", "test", str(tmp_path), test_scene="univ")
    with pytest.raises(FileNotFoundError, match="data_dir"):
        trajectories.load_windows("eth_ucy", "test", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="Received: dataset='eth'"):
        trajectories.load_windows("eth", "test")
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2 3\n")
    with pytest.raises(ValueError, match="4 columns"):
        trajectories.read_eth_ucy(str(bad))


def test_batches_are_cut_to_their_most_crowded_scene():
    windows = trajectories.pad_windows([np.ones((1, 20, 2)), np.ones((3, 20, 2)), np.ones((1, 20, 2))], "abc")
    batches = list(trajectories.trajectory_dataset(windows, 2, shuffle=False, drop_remainder=False))
    assert [tuple(b[0].shape) for b in batches] == [(2, 3, 20, 2), (1, 1, 20, 2)]
    assert batches[0][1].numpy().tolist() == [[True, False, False], [True, True, True]]


def test_head_on_pedestrians_pass_without_touching():
    crowd = social_force._Crowd()
    crowd.add(np.array([[-5.0, 0.0], [5.0, 0.1]]), np.array([[10.0, 0.0], [-10.0, 0.1]]), np.array([1.3, 1.3]))
    gaps = []
    for _ in range(120):  # 12 s: both cross the whole corridor
        crowd.step(walls=(-2.5, 2.5))
        gaps.append(np.linalg.norm(crowd.positions[0] - crowd.positions[1]))
    assert min(gaps) > 0.4  # they swerve instead of walking into each other (about 0.5 m apart at best)
    assert crowd.positions[0, 0] > 5 and crowd.positions[1, 0] < -5  # and both got past


def test_simulated_scenes_are_seeded_and_plausible():
    first = social_force.simulate_scene("corridor", seed=3, num_frames=40)
    np.testing.assert_array_equal(first, social_force.simulate_scene("corridor", seed=3, num_frames=40))
    assert not np.array_equal(first, social_force.simulate_scene("corridor", seed=4, num_frames=40))
    assert set(np.unique(first[:, 0])) == set(range(0, 400, 10))
    assert np.abs(first[:, 3]).max() < 2.5  # inside the corridor's walls
    # Walking speeds between frames (0.4 s) are those of people: 0.3-2.6 m/s.
    for pedestrian in np.unique(first[:, 1])[:10]:
        path = first[first[:, 1] == pedestrian, 2:]
        if len(path) > 1:
            speeds = np.linalg.norm(np.diff(path, axis=0), axis=-1) / 0.4
            assert 0.3 < speeds.mean() < 2.6
    with pytest.raises(ValueError, match="scene='plaza'"):
        social_force.simulate_scene("plaza", seed=0)
