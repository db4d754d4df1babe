import numpy as np
import pytest
import tensorflow as tf

from keras_gen.data.offline import mnist_5k_arrays
from keras_gen.metrics import video
from keras_gen.metrics.classifier import load_mnist_classifier
from keras_gen.metrics.clip_classifier import build_clip_classifier, clip_feature_function


def squares_clip(tracks, size=24, side=3, frames=None):
    """A clip of `side`-pixel squares whose top-left corners follow `tracks` (list of (T, 2) int arrays)."""
    frames = frames or len(tracks[0])
    clip = np.zeros((frames, size, size, 1), np.float32)
    for track in tracks:
        for t, (y, x) in enumerate(track):
            clip[t, y:y + side, x:x + side] = 1.0
    return clip


def test_find_digits_gives_components_with_their_centroids():
    frame = np.zeros((20, 20), np.float32)
    frame[2:5, 3:6] = 1.0  # 9 pixels, centroid (3, 4)
    frame[10:14, 12:16] = 0.5  # 16 pixels, centroid (11.5, 13.5)
    frame[18, 0] = 1.0  # a speck below min_pixels
    found = video.find_digits(frame, min_pixels=4)
    assert len(found) == 2
    np.testing.assert_allclose(found[0][0], [11.5, 13.5])  # largest first
    np.testing.assert_allclose(found[1][0], [3.0, 4.0])
    assert found[1][1].sum() == 9


def test_motion_statistics_measure_speeds_and_bounces_exactly():
    # Digit A moves right 2 px per frame, then bounces back; digit B moves down 3 px per frame without bouncing.
    a = np.array([[2, 2], [2, 4], [2, 6], [2, 4], [2, 2]])
    b = np.array([[10, 15], [13, 15], [16, 15], [19, 15], [22, 15]])
    clip = squares_clip([a, b], size=28)
    stats = video.motion_statistics(clip[None], min_pixels=4)
    assert sorted(stats["speeds"].tolist()) == [2.0] * 4 + [3.0] * 4
    assert stats["bounces"].tolist() == [1]
    # The same clip played backwards bounces once too; a frame where the squares touch is not tracked.
    stats = video.motion_statistics(clip[None, ::-1], min_pixels=4)
    assert stats["bounces"].tolist() == [1]
    summary = video.motion_summary(stats, {"speeds": np.array([2.5, 2.5]), "bounces": np.array([0])})
    assert summary["real_mean_speed"] == 2.5 and summary["generated_mean_speed"] == 2.5
    assert summary["mean_speed_relative_error"] == 0.0 and summary["real_bounces_per_clip"] == 1.0


def _two_digit_clip(first, second, frames=6):
    """A 32x32 clip of two real 14x14 digits (indices into mnist_5k test) moving apart."""
    from keras_gen.data.clips import _resized_digits, render_clip

    images = mnist_5k_arrays()["test"][0][..., 0]
    digits = _resized_digits(images[[first, second]], 14)
    tracks = [np.stack([np.array([1.0, 1.0 + t]) for t in range(frames)]),
              np.stack([np.array([17.0, 17.0 - t]) for t in range(frames)])]
    return render_clip(digits, tracks, 32).astype(np.float32) / 255.0


def test_content_consistency_tells_a_digit_swap_from_a_clip_that_keeps_its_digits():
    classifier = load_mnist_classifier()
    images, labels = mnist_5k_arrays()["test"]
    pick = {c: int(np.nonzero(labels == c)[0][0]) for c in (0, 1, 3, 7)}
    steady = _two_digit_clip(pick[0], pick[7])
    other = _two_digit_clip(pick[3], pick[1])
    swapped = np.concatenate([steady[:3], other[3:]])  # the digits change identity halfway through
    result = video.content_consistency(np.stack([steady, swapped, other]), classifier, min_pixels=4)
    assert result["judgeable_clip_fraction"] == 1.0 and result["judged_frame_fraction"] == 1.0
    assert result["frame_contents"][0] == [(0, 7)] * 6
    assert result["frame_contents"][2] == [(1, 3)] * 6
    assert result["frame_contents"][1] == [(0, 7)] * 3 + [(1, 3)] * 3
    assert result["content_consistency"] == pytest.approx(2 / 3)
    # A clip of blank frames has no judged frame: it is not judgeable, and does not count.
    blank = np.zeros_like(steady)
    result = video.content_consistency(np.stack([steady, blank]), classifier, min_pixels=4)
    assert result["content_consistency"] == 1.0 and result["judgeable_clip_fraction"] == 0.5


def test_per_frame_fd_is_zero_for_the_same_frames_and_grows_with_noise():
    classifier = load_mnist_classifier()
    images, _ = mnist_5k_arrays()["test"]
    clips = (images[:120].reshape(20, 6, 28, 28, 1) / 255.0).astype(np.float32)
    assert video.frames_for_classifier(clips).shape == (120, 28, 28, 1)
    assert video.per_frame_fd(clips, clips, classifier) == pytest.approx(0.0, abs=1e-3)
    noisy = np.clip(clips + 0.5 * np.random.default_rng(0).random(clips.shape), 0, 1).astype(np.float32)
    assert video.per_frame_fd(clips, noisy, classifier) > 10.0
    resized = video.frames_for_classifier(np.zeros((2, 3, 32, 32, 1), np.float32) + 0.25)
    assert resized.shape == (6, 28, 28, 1) and np.allclose(resized, 0.25)
    with pytest.raises(ValueError, match="Received: clips.shape=\\(3, 28, 28, 1\\)"):
        video.frames_for_classifier(clips[0, :3])


def test_clip_fd_through_a_clip_classifier_and_a_user_saved_model(tmp_path):
    rng = np.random.default_rng(0)
    clips = rng.random((12, 4, 16, 16, 1)).astype(np.float32)
    features = clip_feature_function(build_clip_classifier((4, 16, 16, 1), feature_dim=8))
    assert features(clips).shape == (12, 8)
    assert video.clip_fd(clips, clips, features) == pytest.approx(0.0, abs=1e-6)

    # A stand-in for an I3D export: mean intensity per frame of RGB 8x8 clips, as the features.
    class Features(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec((None, 4, 8, 8, 3), tf.float32, name="clips")])
        def __call__(self, clips):
            return {"features": tf.reduce_mean(clips, axis=[2, 3, 4])}

    module = Features()
    tf.saved_model.save(module, str(tmp_path), signatures=module.__call__)
    saved = video.saved_model_features(str(tmp_path))
    expected = tf.image.resize(clips.reshape(-1, 16, 16, 1), (8, 8)).numpy().reshape(12, 4, 64).mean(axis=-1)
    np.testing.assert_allclose(saved(clips), expected, atol=1e-5)  # resized to 8x8, grey repeated to RGB
    with pytest.raises(FileNotFoundError, match="not available offline"):
        video.saved_model_features(str(tmp_path / "missing"))
