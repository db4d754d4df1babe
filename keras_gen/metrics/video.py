"""Video metrics: per-frame classifier FD, content consistency, motion statistics, clip-classifier FD (FVD-style).

All take clips `(N, T, H, W, C)` as floats in [0, 1] with light digits on a dark background (the moving digit
sets); the digit-level metrics find digits as connected components of the thresholded frame.

- **Per-frame classifier FD**: every frame resized (bilinear, antialiased) to the shipped MNIST classifier's
  28x28 input, the Fréchet distance of its 128-d features between generated and real frames. A 32x32 frame of two
  14-px digits becomes 28x28 holding two 12-px digits: the features describe such frames, and the distance is
  only comparable between runs on the same dataset.
- **Content consistency** (`content_consistency`): in each frame, the connected components (8-connected, pixels
  > `threshold`, at least `min_pixels`) are the digits. A frame is *judged* when it shows exactly `num_digits`
  components (digits that touch merge into one component, and that frame is not judged); each component, masked
  to its own pixels, is cropped, scaled to fit 20x20 and centred in 28x28 (the MNIST layout) and classified; the
  frame's content is the sorted tuple of the classes. A clip is *judgeable* when at least `min_judged` (2) frames
  are judged, and *consistent* when the most common tuple is the content of at least `agreement` (0.8) of its
  judged frames. Content consistency is the consistent fraction of judgeable clips; the judgeable fraction is
  reported next to it (a generator of blobs or merged digits has few judgeable clips). Real clips are measured
  the same way: their rate is the ceiling the classifier's own errors leave.
- **Motion statistics** (`motion_statistics`): between consecutive frames both judged (exactly `num_digits`
  components), components are matched by the pairing with the least total centroid distance (intensity-weighted
  centroids); each matched pair gives one speed sample (pixels per frame). A *bounce* is a sign change of the
  y or x velocity of a tracked digit over three consecutive judged frames, with both velocity components at
  least `min_step` pixels. Reported: mean/median speed, the speed distribution's 1-D Wasserstein distance to the
  real clips', and bounces per clip.
- **Clip FD** (FVD-style): the Fréchet distance of the features of a small clip classifier
  (`keras_gen.metrics.clip_classifier`) trained on moving digits. FVD proper uses I3D (Unterthiner et al.,
  https://arxiv.org/abs/1812.01717), which is not available offline; `saved_model_features(path)` takes a
  user-supplied SavedModel (e.g. an I3D export) instead.
"""

import itertools
import os

import numpy as np

from keras_gen.metrics.frechet import frechet_distance_from_features

CLASSIFIER_SIZE = 28
DIGIT_BOX = 20  # MNIST digits fit a 20x20 box centred in 28x28
CLIP_CLASSIFIER_DIR_ENV = "KERAS_GEN_CLIP_CLASSIFIER_DIR"
I3D_DIR_ENV = "KERAS_GEN_I3D_DIR"


def check_clips(clips, name="clips"):
    clips = np.asarray(clips)
    if clips.ndim != 5 or len(clips) < 1:
        raise ValueError(f"`{name}` must be (num >= 1, T, H, W, C). Received: {name}.shape={clips.shape}")
    if not np.issubdtype(clips.dtype, np.floating) or clips.min() < -1e-3 or clips.max() > 1.0 + 1e-3:
        raise ValueError(f"`{name}` must be floats in [0, 1]. Received: {name}.dtype={clips.dtype}, "
                         f"range=[{clips.min():.3g}, {clips.max():.3g}]")
    return clips.astype(np.float32)


def frames_for_classifier(clips):
    """(N, T, H, W, C) -> (N * T, 28, 28, 1): every frame, grey, resized for the MNIST classifier."""
    import tensorflow as tf

    clips = check_clips(clips)
    frames = clips.reshape(-1, *clips.shape[2:])
    if frames.shape[-1] == 3:
        frames = frames.mean(axis=-1, keepdims=True)
    if frames.shape[1:3] == (CLASSIFIER_SIZE, CLASSIFIER_SIZE):
        return frames
    return tf.image.resize(frames, (CLASSIFIER_SIZE, CLASSIFIER_SIZE), antialias=True).numpy().clip(0.0, 1.0)


def per_frame_fd(real_clips, generated_clips, classifier):
    """Fréchet distance of the MNIST classifier's features over every frame of both clip sets."""
    from keras_gen.metrics.classifier import features_model, predict_in_batches

    network = features_model(classifier)
    real = predict_in_batches(network, frames_for_classifier(real_clips))[0]
    generated = predict_in_batches(network, frames_for_classifier(generated_clips))[0]
    return frechet_distance_from_features(real, generated)


# ---------------------------------------------------------------------------------------------------------------
# digits as connected components


def find_digits(frame, threshold=0.3, min_pixels=None):
    """Connected components of a (H, W[, 1]) frame in [0, 1]: a list of `(centroid (y, x), mask (H, W) bool)`,
    largest first; components smaller than `min_pixels` (default 1% of the frame) are dropped as specks."""
    from scipy import ndimage

    frame = np.asarray(frame, np.float32)
    frame = frame[..., 0] if frame.ndim == 3 else frame
    min_pixels = max(4, int(0.01 * frame.size)) if min_pixels is None else min_pixels
    labelled, count = ndimage.label(frame > threshold, structure=np.ones((3, 3)))
    digits = []
    for index in range(1, count + 1):
        mask = labelled == index
        if mask.sum() < min_pixels:
            continue
        weights = frame * mask
        yy, xx = np.nonzero(mask)
        centroid = np.array([(yy * weights[yy, xx]).sum(), (xx * weights[yy, xx]).sum()]) / weights[yy, xx].sum()
        digits.append((centroid, mask))
    return sorted(digits, key=lambda d: -d[1].sum())


def digit_crop(frame, mask):
    """The component `mask` of `frame` alone, scaled to fit 20x20 and centred in 28x28 (float32 (28, 28, 1))."""
    from PIL import Image

    frame = np.asarray(frame, np.float32)
    frame = frame[..., 0] if frame.ndim == 3 else frame
    from scipy import ndimage

    # The faint rim of the strokes (below the threshold) belongs to the digit too: grow the mask by a pixel.
    mask = ndimage.binary_dilation(mask, structure=np.ones((3, 3)))
    yy, xx = np.nonzero(mask)
    crop = (frame * mask)[yy.min():yy.max() + 1, xx.min():xx.max() + 1]
    height, width = crop.shape
    scale = DIGIT_BOX / max(height, width)
    size = (max(1, int(round(width * scale))), max(1, int(round(height * scale))))
    resized = np.asarray(Image.fromarray(crop).resize(size, Image.BILINEAR), np.float32)
    out = np.zeros((CLASSIFIER_SIZE, CLASSIFIER_SIZE), np.float32)
    top, left = (CLASSIFIER_SIZE - resized.shape[0]) // 2, (CLASSIFIER_SIZE - resized.shape[1]) // 2
    out[top:top + resized.shape[0], left:left + resized.shape[1]] = resized
    return out.clip(0.0, 1.0)[..., None]


def clip_digits(clips, threshold=0.3, min_pixels=None):
    """`[[ [(centroid, mask), ...] per frame ] per clip]` (`find_digits` of every frame)."""
    clips = check_clips(clips)
    return [[find_digits(frame, threshold, min_pixels) for frame in clip] for clip in clips]


def content_consistency(clips, classifier, num_digits=2, agreement=0.8, min_judged=2, threshold=0.3,
                        min_pixels=None, found=None):
    """The fraction of clips whose digits keep their classes (see the module doc for the exact rule).

    Returns a dict: `content_consistency` (the fraction of *judgeable* clips, those with at least `min_judged`
    judged frames, that are consistent), `judgeable_clip_fraction`, `judged_frame_fraction` (frames with exactly
    `num_digits` components), `frame_contents` (per clip, the class tuple of every frame, None when not judged).
    """
    from keras_gen.metrics.classifier import predict_in_batches

    clips = check_clips(clips)
    found = clip_digits(clips, threshold, min_pixels) if found is None else found
    crops, owners = [], []
    for n, frames in enumerate(found):
        for t, digits in enumerate(frames):
            if len(digits) == num_digits:
                for _, mask in digits:
                    crops.append(digit_crop(clips[n, t], mask))
                    owners.append((n, t))
    classes = predict_in_batches(classifier, np.stack(crops)).argmax(axis=1) if crops else np.zeros(0, int)
    contents = [[None] * clips.shape[1] for _ in range(len(clips))]
    for start in range(0, len(owners), num_digits):
        n, t = owners[start]
        contents[n][t] = tuple(sorted(int(c) for c in classes[start:start + num_digits]))
    consistent = judgeable = 0
    for frames in contents:
        judged = [c for c in frames if c is not None]
        if len(judged) >= min_judged:
            judgeable += 1
            mode_count = max(judged.count(c) for c in set(judged))
            consistent += mode_count >= agreement * len(judged)
    judged_frames = sum(c is not None for frames in contents for c in frames)
    return {"content_consistency": consistent / judgeable if judgeable else 0.0,
            "judgeable_clip_fraction": judgeable / len(clips),
            "judged_frame_fraction": judged_frames / (len(clips) * clips.shape[1]),
            "frame_contents": contents}


def motion_statistics(clips, num_digits=2, min_step=0.5, threshold=0.3, min_pixels=None, found=None):
    """Speeds (pixels per frame) of tracked digits and bounces per clip (see the module doc).

    Returns `{"speeds": (num samples,) array, "bounces": (N,) int array}`.
    """
    clips = check_clips(clips)
    found = clip_digits(clips, threshold, min_pixels) if found is None else found
    speeds, bounces = [], []
    for frames in found:
        velocities = [None] * len(frames)  # velocities[t]: (num_digits, 2) from frame t-1 to t, ordered as frame t
        clip_bounces = 0
        for t in range(1, len(frames)):
            before, now = frames[t - 1], frames[t]
            if len(before) != num_digits or len(now) != num_digits:
                continue
            previous = np.stack([c for c, _ in before])
            current = np.stack([c for c, _ in now])
            pairing = min(itertools.permutations(range(num_digits)),
                          key=lambda p: np.linalg.norm(current - previous[list(p)], axis=1).sum())
            step = current - previous[list(pairing)]  # (num_digits, 2), digit i of frame t came from pairing[i]
            speeds.extend(np.linalg.norm(step, axis=1))
            if velocities[t - 1] is not None:
                # velocities[t - 1] is ordered as frame t-1's digits; digit i of frame t came from pairing[i].
                earlier = velocities[t - 1][list(pairing)]
                flips = (np.sign(earlier) != np.sign(step)) & (np.abs(earlier) >= min_step) & (np.abs(step) >= min_step)
                clip_bounces += int(flips.any(axis=1).sum())
            velocities[t] = step
        bounces.append(clip_bounces)
    return {"speeds": np.asarray(speeds, np.float64), "bounces": np.asarray(bounces, np.int64)}


def motion_summary(real, generated):
    """Speed and bounce statistics of two `motion_statistics` results, and how they compare."""
    from scipy.stats import wasserstein_distance

    def mean(values):  # None (JSON null) when nothing was tracked
        return float(np.mean(values)) if len(values) else None

    def median(values):
        return float(np.median(values)) if len(values) else None

    summary = {
        "real_mean_speed": mean(real["speeds"]), "generated_mean_speed": mean(generated["speeds"]),
        "real_median_speed": median(real["speeds"]), "generated_median_speed": median(generated["speeds"]),
        "real_bounces_per_clip": mean(real["bounces"]), "generated_bounces_per_clip": mean(generated["bounces"]),
        "speed_samples_real": int(len(real["speeds"])), "speed_samples_generated": int(len(generated["speeds"])),
    }
    both = len(real["speeds"]) and len(generated["speeds"])
    summary["speed_wasserstein"] = float(wasserstein_distance(real["speeds"], generated["speeds"])) if both else None
    summary["mean_speed_relative_error"] = (abs(summary["generated_mean_speed"] - summary["real_mean_speed"])
                                            / summary["real_mean_speed"]) if both else None
    return summary


# ---------------------------------------------------------------------------------------------------------------
# clip features


def saved_model_features(path):
    """`clips (N, T, H, W, C) in [0, 1] -> features (N, D)` of a user-supplied SavedModel (e.g. an I3D export;
    none ships, and none is downloaded). Its first signature must take one float32 clip tensor and return one
    output (flattened to (N, D)); clips are resized to the signature's height and width when static, and grey
    clips repeated to 3 channels when it wants 3. Untested against a real I3D export here (none is available)."""
    import tensorflow as tf

    if not os.path.exists(os.path.join(path, "saved_model.pb")):
        raise FileNotFoundError(f"No SavedModel at path={path!r} (the I3D network is not available offline: "
                                "pass a folder holding one).")
    signature = next(iter(tf.saved_model.load(path).signatures.values()))
    (input_name, spec), = signature.structured_input_signature[1].items()

    def features(clips):
        clips = check_clips(clips)
        num, frames = clips.shape[:2]
        x = clips.reshape(num * frames, *clips.shape[2:])
        if spec.shape.rank == 5 and spec.shape[2] is not None and spec.shape[2:4] != x.shape[1:3]:
            x = tf.image.resize(x, spec.shape[2:4]).numpy()
        if spec.shape.rank == 5 and spec.shape[-1] == 3 and x.shape[-1] == 1:
            x = np.repeat(x, 3, axis=-1)
        x = x.reshape(num, frames, *x.shape[1:])
        output = next(iter(signature(**{input_name: tf.constant(x, tf.float32)}).values()))
        return np.asarray(output).reshape(num, -1)

    return features


def clip_fd(real_clips, generated_clips, features):
    """Fréchet distance of `features(clips) -> (N, D)` between two clip sets (FVD with I3D features)."""
    return frechet_distance_from_features(features(check_clips(real_clips, "real_clips")),
                                          features(check_clips(generated_clips, "generated_clips")))


def video_quality(real_clips, generated_clips, classifier, clip_features=None, num_digits=2):
    """Every video metric of `generated_clips` against `real_clips` (both (N, T, H, W, C) in [0, 1]).

    Args:
        classifier: the shipped MNIST classifier (`keras_gen.metrics.classifier.load_mnist_classifier()`).
        clip_features: `clips -> (N, D)` features for the clip FD (a clip classifier's, or an I3D SavedModel's),
            or None to skip it.
        num_digits: digits per clip.
    """
    real_found, generated_found = clip_digits(real_clips), clip_digits(generated_clips)
    real_content = content_consistency(real_clips, classifier, num_digits, found=real_found)
    generated_content = content_consistency(generated_clips, classifier, num_digits, found=generated_found)
    results = {
        "per_frame_fd": per_frame_fd(real_clips, generated_clips, classifier),
        "content_consistency": generated_content["content_consistency"],
        "real_content_consistency": real_content["content_consistency"],
        "judgeable_clip_fraction": generated_content["judgeable_clip_fraction"],
        "real_judgeable_clip_fraction": real_content["judgeable_clip_fraction"],
        "judged_frame_fraction": generated_content["judged_frame_fraction"],
        "real_judged_frame_fraction": real_content["judged_frame_fraction"],
        **motion_summary(motion_statistics(real_clips, num_digits, found=real_found),
                         motion_statistics(generated_clips, num_digits, found=generated_found)),
        "num_real": int(len(real_clips)),
        "num_generated": int(len(generated_clips)),
    }
    if clip_features is not None:
        results["clip_fd"] = clip_fd(real_clips, generated_clips, clip_features)
    return results


def evaluate_video(sample_fn, request, num_digits=2, clip_classifier_dir=None, i3d_dir=None):
    """A video family's held-out numbers: `video_quality` of `request.num_examples` (default 500) generated clips
    against as many test clips of `request.dataset`.

    The clip FD uses the clip classifier in `clip_classifier_dir` (default `$KERAS_GEN_CLIP_CLASSIFIER_DIR`), or
    an I3D-style SavedModel in `i3d_dir` (default `$KERAS_GEN_I3D_DIR`); it is left out when neither is given.

    Args:
        sample_fn: `(count, seed) -> clips (count, T, H, W, C) in [0, 1]`.
        request: a `keras_gen.metrics.evaluate.EvalRequest` naming a clip dataset.
    """
    from keras_gen.data.clips import clips_as_numpy
    from keras_gen.metrics.classifier import load_mnist_classifier

    num = max(int(request.num_examples or 500), 2)
    real, _ = clips_as_numpy(request.dataset, "test", data_dir=request.data_dir, limit=num)
    generated = np.concatenate([sample_fn(min(250, num - start), request.seed + start)
                                for start in range(0, num, 250)])
    features = None
    i3d_dir = i3d_dir or os.environ.get(I3D_DIR_ENV)
    clip_classifier_dir = clip_classifier_dir or os.environ.get(CLIP_CLASSIFIER_DIR_ENV)
    if i3d_dir:
        features = saved_model_features(i3d_dir)
    elif clip_classifier_dir:
        from keras_gen.metrics.clip_classifier import clip_feature_function, load_clip_classifier

        features = clip_feature_function(load_clip_classifier(clip_classifier_dir))
    results = video_quality(real, generated, load_mnist_classifier(), features, num_digits=num_digits)
    results["clip_features"] = "i3d_saved_model" if i3d_dir else ("clip_classifier" if features else None)
    return results
