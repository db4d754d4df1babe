"""Pedestrian trajectory datasets: the ETH/UCY text format, windows of 8 observed + 12 future positions, and a
small registry of trajectory datasets (the image registry in `registry.py` is image-only).

A file holds one row per (frame, pedestrian): `frame id x y`, whitespace-separated, positions in metres, frames at
2.5 fps. A window is 20 consecutive frames of a scene; its pedestrians are those present in all 20 (the Social GAN
convention). Scenes have different numbers of pedestrians, so a batch of windows is padded on the pedestrian axis
and carries a boolean `mask` (True: a real pedestrian).

Datasets:
    crowds_sim: the offline default. Social force crowds (`social_force.py`): corridor with two opposing flows,
        crossing flows, walking groups. `train` and `test` are simulations of every scene with different seeds.
    eth_ucy: ETH/UCY files from `--data_dir` (never downloaded): one sub-folder per scene (`eth/`, `hotel/`,
        `univ/`, `zara1/`, `zara2/`) holding `.txt` files, or `.txt` files directly (one scene each, named by the
        file). Leave-one-scene-out: `test` is the scene named by the `test_scene` option, `train` all the others.
"""

import dataclasses
import functools
import glob
import os

import numpy as np
import tensorflow as tf

from keras_gen.data import social_force

OBS_LEN = 8
PRED_LEN = 12
SEQ_LEN = OBS_LEN + PRED_LEN
ETH_UCY_SCENES = ("eth", "hotel", "univ", "zara1", "zara2")


@dataclasses.dataclass(frozen=True)
class TrajectoryInfo:
    name: str
    obs_len: int = OBS_LEN
    pred_len: int = PRED_LEN
    description: str = ""


@dataclasses.dataclass(frozen=True)
class Windows:
    """Windows of one split, padded to the most crowded one.

    Attributes:
        trajectories: float32 (windows, pedestrians, 20, 2), zeros where `mask` is False.
        mask: bool (windows, pedestrians).
        scenes: the scene name of each window.
    """

    trajectories: np.ndarray
    mask: np.ndarray
    scenes: tuple

    def __len__(self):
        return len(self.trajectories)

    @property
    def observed(self):
        return self.trajectories[:, :, :OBS_LEN]

    @property
    def future(self):
        return self.trajectories[:, :, OBS_LEN:]

    def take(self, limit):
        if limit is None or limit >= len(self):
            return self
        return Windows(self.trajectories[:limit], self.mask[:limit], self.scenes[:limit])


def read_eth_ucy(path):
    """Rows `(frame, pedestrian id, x, y)` (float64, (n, 4)) of one ETH/UCY text file."""
    try:
        rows = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except ValueError as error:
        raise ValueError(f"Not an ETH/UCY text file (frame id x y per line): path={path!r} ({error})") from None
    if rows.size and rows.shape[1] != 4:
        raise ValueError(f"An ETH/UCY file has 4 columns (frame id x y). Received: path={path!r} with "
                         f"{rows.shape[1]} columns")
    return rows.reshape(-1, 4)


def scene_windows(rows, seq_len=SEQ_LEN, stride=1, min_pedestrians=1):
    """Every window of `seq_len` consecutive frames of one scene, as a list of (pedestrians, seq_len, 2) arrays.

    A pedestrian belongs to a window when it is in every one of its frames (in order of id). Windows start at every
    `stride`-th frame; those with fewer than `min_pedestrians` are dropped.
    """
    frames = np.unique(rows[:, 0])
    positions = {}  # frame -> {id: (x, y)}
    for frame, pedestrian, x, y in rows:
        positions.setdefault(frame, {})[pedestrian] = (x, y)
    windows = []
    for start in range(0, len(frames) - seq_len + 1, stride):
        window_frames = frames[start:start + seq_len]
        present = set(positions[window_frames[0]])
        for frame in window_frames[1:]:
            present &= set(positions[frame])
        if len(present) < min_pedestrians:
            continue
        ids = sorted(present)
        windows.append(np.array([[positions[f][i] for f in window_frames] for i in ids], np.float32))
    return windows


def pad_windows(windows, scenes):
    """`Windows` from a list of (pedestrians_i, seq_len, 2) arrays, padded with zeros to the largest."""
    if not windows:
        raise ValueError("No window of 20 frames with a pedestrian in all of them: the scenes are too short.")
    width = max(len(w) for w in windows)
    trajectories = np.zeros((len(windows), width) + windows[0].shape[1:], np.float32)
    mask = np.zeros((len(windows), width), bool)
    for i, window in enumerate(windows):
        trajectories[i, :len(window)] = window
        mask[i, :len(window)] = True
    return Windows(trajectories, mask, tuple(scenes))


def _scene_files(data_dir):
    """`{scene: [files]}` of an ETH/UCY folder: sub-folders are scenes, loose .txt files are one scene each."""
    scenes = {}
    for path in sorted(glob.glob(os.path.join(data_dir, "*"))):
        if os.path.isdir(path):
            files = sorted(glob.glob(os.path.join(path, "**", "*.txt"), recursive=True))
            if files:
                scenes[os.path.basename(path)] = files
        elif path.endswith(".txt"):
            scenes[os.path.splitext(os.path.basename(path))[0]] = [path]
    return scenes


def load_eth_ucy(data_dir, split, test_scene="eth"):
    """Leave-one-scene-out windows of an ETH/UCY folder: `test` is `test_scene`, `train` every other scene."""
    if not data_dir or not os.path.isdir(data_dir):
        raise FileNotFoundError(f"eth_ucy reads ETH/UCY text files from a local folder (--data_dir); no folder at "
                                f"data_dir={data_dir!r}. See BUILD.md, section Trajectory prediction.")
    scenes = _scene_files(data_dir)
    if test_scene not in scenes:
        raise ValueError(f"`test_scene` must be one of the scenes in data_dir ({', '.join(scenes) or 'none'}). "
                         f"Received: test_scene={test_scene!r}")
    names = [test_scene] if split == "test" else [s for s in scenes if s != test_scene]
    windows, labels = [], []
    for name in names:
        for path in scenes[name]:
            found = scene_windows(read_eth_ucy(path))
            windows += found
            labels += [name] * len(found)
    return pad_windows(windows, labels)


@functools.lru_cache(maxsize=8)
def load_simulated(split, num_frames=400):
    """Windows of the simulated crowds: every scene simulated with the split's seeds (train 0-2, test 100)."""
    seeds = (100,) if split == "test" else (0, 1, 2)
    windows, labels = [], []
    for scene in social_force.SCENES:
        for seed in seeds:
            rows = social_force.simulate_scene(scene, seed=seed + 1000 * social_force.SCENES.index(scene),
                                               num_frames=num_frames)
            found = scene_windows(rows, stride=2 if split == "train" else 4, min_pedestrians=2)
            windows += found
            labels += [scene] * len(found)
    return pad_windows(windows, labels)


TRAJECTORY_DATASETS = {
    "crowds_sim": TrajectoryInfo("crowds_sim", description="social force crowds (corridor, crossing, groups), offline"),
    "crowds_sim_tiny": TrajectoryInfo("crowds_sim_tiny", description="a short simulation of the same scenes (tests)"),
    "eth_ucy": TrajectoryInfo("eth_ucy", description="ETH/UCY text files from --data_dir, leave-one-scene-out"),
}


def get_trajectory_info(name):
    if name not in TRAJECTORY_DATASETS:
        raise ValueError(f"Unknown trajectory dataset {name!r}. Valid datasets: {', '.join(TRAJECTORY_DATASETS)}. "
                         f"Received: dataset={name!r}")
    return TRAJECTORY_DATASETS[name]


def load_windows(name, split, data_dir=None, test_scene="eth"):
    """`Windows` of a registered trajectory dataset's split (`train` or `test`)."""
    get_trajectory_info(name)
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be train or test. Received: split={split!r}")
    if name == "eth_ucy":
        return load_eth_ucy(data_dir, split, test_scene)
    return load_simulated(split, num_frames=40 if name == "crowds_sim_tiny" else 400)


def trajectory_dataset(windows, batch_size, shuffle=True, seed=0, repeat=False, drop_remainder=True):
    """`tf.data` of `(trajectories (batch, pedestrians, 20, 2), mask (batch, pedestrians))`; each batch is cut to
    its own most crowded window (no wasted padding), the mask marking the real pedestrians."""
    counts = windows.mask.sum(axis=1)
    dataset = tf.data.Dataset.from_tensor_slices((windows.trajectories, windows.mask, counts))
    if shuffle:
        dataset = dataset.shuffle(len(windows), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)

    def trim(trajectories, mask, count):
        width = tf.reduce_max(count)
        return trajectories[:, :width], mask[:, :width]

    return dataset.map(trim).prefetch(tf.data.AUTOTUNE)
