"""Video GAN export: `sample_video(count, seed)` and `generate_video(content, motion)` -> clips in [0, 1].

Every signature returns `{"videos": float32 (count, T, H, W, C) in [0, 1]}`. Class-conditional models take
`labels` (int32, one per clip) as well; a label outside [0, num_classes) fails naming `labels`. `count` is
checked to be in [1, MAX_VIDEOS] before anything sized by it is allocated.
"""

import numpy as np
import tensorflow as tf

from keras_gen.export.common import Endpoints, after_checks, checked_count
from keras_gen.models.video_gan import video_latents
from keras_gen.utils.labels import check_labels, cycle_labels
from keras_gen.utils.value_range import to_unit

MAX_VIDEOS = 256  # a request may not ask for more clips than this (a 64x64x20 clip is 80k values)


def video_signatures(model):
    """`(endpoints, metadata)` for `keras_gen.export.common.export_signatures`."""
    content_dim, motion_dim, num_classes = int(model.content_dim), int(model.motion_dim), model.num_classes
    clip_shape = model.clip_shape
    num_frames = clip_shape[0]

    def run(content, motion, labels=None):
        checks = [tf.debugging.assert_equal(tf.shape(motion)[0], tf.shape(content)[0],
                                            message="`motion` must have one row per `content` row")]
        if labels is None:
            content, motion = after_checks(checks, content, motion)
            return {"videos": to_unit(model.generator([content, motion], training=False))}
        message = f"`labels` must be in [0, {num_classes}) (one class per clip)"
        checks += [tf.debugging.assert_greater_equal(labels, 0, message=message),
                   tf.debugging.assert_less(labels, num_classes, message=message),
                   tf.debugging.assert_equal(tf.size(labels), tf.shape(content)[0],
                                             message="`labels` must have one entry per clip")]
        content, motion, labels = after_checks(checks, content, motion, labels)
        return {"videos": to_unit(model.generator([content, motion, labels], training=False))}

    count_spec = tf.TensorSpec((), tf.int32, name="count")
    seed_spec = tf.TensorSpec((), tf.int32, name="seed")
    content_spec = tf.TensorSpec((None, content_dim), tf.float32, name="content")
    motion_spec = tf.TensorSpec((None, num_frames - 1, motion_dim), tf.float32, name="motion")
    labels_spec = tf.TensorSpec((None,), tf.int32, name="labels")

    def latents(count, seed):
        return video_latents(checked_count(count, MAX_VIDEOS), content_dim, num_frames, motion_dim, seed)

    if num_classes is None:
        def sample_video(count, seed):
            return run(*latents(count, seed))

        def generate_video(content, motion):
            return run(content, motion)

        endpoints = {"sample_video": (sample_video, [count_spec, seed_spec]),
                     "generate_video": (generate_video, [content_spec, motion_spec])}
    else:
        def sample_video(count, seed, labels):
            return run(*latents(count, seed), labels)

        def generate_video(content, motion, labels):
            return run(content, motion, labels)

        endpoints = {"sample_video": (sample_video, [count_spec, seed_spec, labels_spec]),
                     "generate_video": (generate_video, [content_spec, motion_spec, labels_spec])}
    metadata = {
        "model": model.name,
        "clip_shape": list(clip_shape),
        "content_dim": content_dim,
        "motion_dim": motion_dim,
        "num_classes": num_classes,
        "max_videos": MAX_VIDEOS,
        "value_range": "unit",
    }
    return endpoints, metadata


class VideoEndpoints(Endpoints):
    """`sample` / `generate` as numpy functions over a trained `VideoGAN` or its export (for the app and CLI)."""

    def _read_export(self, metadata):
        self.clip_shape = tuple(metadata["clip_shape"])
        self.content_dim = int(metadata["content_dim"])
        self.motion_dim = int(metadata["motion_dim"])
        self.num_classes = metadata.get("num_classes")

    def _read_model(self, model):
        self.clip_shape = model.clip_shape
        self.content_dim, self.motion_dim, self.num_classes = model.content_dim, model.motion_dim, model.num_classes

    @property
    def conditional(self):
        return self.num_classes is not None

    @property
    def num_frames(self):
        return self.clip_shape[0]

    def latents(self, count, seed):
        """The `(content, motion)` that `sample(count, seed)` decodes (the export's stateless draw)."""
        if not 1 <= int(count) <= MAX_VIDEOS:
            raise ValueError(f"`count` must be in [1, {MAX_VIDEOS}]. Received: count={count!r}")
        content, motion = video_latents(int(count), self.content_dim, self.num_frames, self.motion_dim, int(seed))
        return content.numpy(), motion.numpy()

    def generate(self, content, motion, labels=None):
        """Clips (count, T, H, W, C) in [0, 1]; labels cycle through the classes for a conditional model unless given."""
        content, motion = np.asarray(content, np.float32), np.asarray(motion, np.float32)
        if self.conditional:
            labels = cycle_labels(len(content), self.num_classes) if labels is None else labels
            labels = check_labels(labels, self.num_classes, count=len(content))
        elif labels is not None:
            raise ValueError(f"This video GAN is unconditional; it takes no labels. Received: labels={labels!r}")
        if self._model is not None:
            return to_unit(np.asarray(self._model.generate(content, motion, labels)))
        extra = {"labels": tf.constant(labels, tf.int32)} if self.conditional else {}
        return self._signatures["generate_video"](content=tf.constant(content), motion=tf.constant(motion),
                                                  **extra)["videos"].numpy()

    def sample(self, count, seed, labels=None):
        return self.generate(*self.latents(count, seed), labels)
