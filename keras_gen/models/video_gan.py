"""The video GAN trainer: a content/motion generator against DVD-GAN's spatial and temporal discriminators."""

import keras
import tensorflow as tf
from keras import ops

from keras_gen.models.adversarial import AdversarialModel, loss_function
from keras_gen.utils.distribute import dense_gradients, per_replica_loss, replica_draw
from keras_gen.utils.labels import check_labels


def video_latents(count, content_dim, num_frames, motion_dim, seed):
    """`(content (count, content_dim), motion (count, T - 1, motion_dim))`, standard normal, fixed by an integer
    `seed` in every process (the export's `sample_video(count, seed)`, the apps and the CLI decode these)."""
    count = tf.cast(count, tf.int32)
    seed = tf.cast(seed, tf.int32)
    content = tf.random.stateless_normal(tf.stack([count, content_dim]), tf.stack([seed, 0]))
    motion = tf.random.stateless_normal(tf.stack([count, num_frames - 1, motion_dim]), tf.stack([seed, 1]))
    return content, motion


@keras.saving.register_keras_serializable(package="keras_gen")
class VideoGAN(AdversarialModel):
    """Alternating updates of both discriminators (one optimizer, the sum of their losses) and the generator.

    Per batch of real clips: fresh content and motion latents make fake clips; the spatial discriminator judges
    `sampled_frames` frames drawn at random (without replacement, the same indices for the real and the fake
    clip of a pair) from every clip, the temporal discriminator the whole clip (it downsamples it itself). The
    discriminator loss is the sum of both discriminators' losses, the generator's the sum of its losses
    against both (DVD-GAN).

    Args:
        generator: `[content, motion(, labels)] -> clips (batch, T, H, W, C)` in [-1, 1].
        spatial_discriminator: `frames (batch, H, W, C)(, labels) -> logits`.
        temporal_discriminator: `clips(, labels) -> logits`.
        generator_loss, discriminator_loss: `keras_gen.losses.gan` names or functions.
        content_dim, motion_dim: latent sizes (the generator's input widths).
        sampled_frames: frames per clip the spatial discriminator sees (DVD-GAN's k).
        d_steps: discriminator updates per generator update.
        num_classes: classes of a class-conditional model, or None.
        seed: seed of the `keras.random.SeedGenerator` for latents and frame picks.

    Reference:
        Clark et al., "Adversarial Video Generation on Complex Datasets" (https://arxiv.org/abs/1907.06571).
    """

    def __init__(self, generator, spatial_discriminator, temporal_discriminator, generator_loss="hinge",
                 discriminator_loss="hinge", content_dim=64, motion_dim=16, sampled_frames=4, d_steps=1,
                 num_classes=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        for key, value in (("content_dim", content_dim), ("motion_dim", motion_dim), ("sampled_frames", sampled_frames),
                           ("d_steps", d_steps)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"`{key}` must be a positive integer. Received: {key}={value!r}")
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
            raise ValueError(f"`num_classes` must be a positive integer or None. Received: num_classes={num_classes!r}")
        self.generator = generator
        self.spatial_discriminator = spatial_discriminator
        self.temporal_discriminator = temporal_discriminator
        self.clip_shape = tuple(int(d) for d in generator.output_shape[1:])
        if sampled_frames > self.num_frames:
            raise ValueError(f"`sampled_frames` must be <= the clip's {self.num_frames} frames. "
                             f"Received: sampled_frames={sampled_frames!r}")
        self.generator_loss = loss_function(generator_loss, "generator")
        self.discriminator_loss = loss_function(discriminator_loss, "discriminator")
        self.content_dim = content_dim
        self.motion_dim = motion_dim
        self.sampled_frames = sampled_frames
        self.d_steps = d_steps
        self.num_classes = num_classes
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.logit_trackers = {key: keras.metrics.Mean(name=key) for key in (
            "spatial_real_logits", "spatial_fake_logits", "temporal_real_logits", "temporal_fake_logits")}
        self.built = True  # the networks are built functional models

    @property
    def num_frames(self):
        return self.clip_shape[0]

    @property
    def conditional(self):
        return self.num_classes is not None

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, *self.logit_trackers.values()]

    @property
    def generator_weights(self):
        return self.generator.trainable_variables

    @property
    def discriminator_weights(self):
        return self.spatial_discriminator.trainable_variables + self.temporal_discriminator.trainable_variables

    # ----------------------------------------------------------------------------------------------------------
    # latents and inference

    def sample_latents(self, num_samples, seed=None):
        """`(content, motion)` for `num_samples` clips: from the seed generator (fresh each call), or fixed by an
        int `seed` (`video_latents`, what the export decodes)."""
        if seed is not None:
            return video_latents(num_samples, self.content_dim, self.num_frames, self.motion_dim, seed)
        content = replica_draw(lambda s: keras.random.normal(s, seed=self.seed_generator), (num_samples, self.content_dim))
        motion = replica_draw(lambda s: keras.random.normal(s, seed=self.seed_generator),
                              (num_samples, self.num_frames - 1, self.motion_dim))
        return content, motion

    def check_labels(self, labels, num_samples):
        if not self.conditional:
            if labels is not None:
                raise ValueError(f"This video GAN is unconditional; it takes no labels. Received: labels={labels!r}")
            return None
        if labels is None:
            raise ValueError(f"This video GAN is conditional (num_classes={self.num_classes}); pass `labels`. "
                             "Received: labels=None")
        return ops.convert_to_tensor(check_labels(ops.convert_to_numpy(labels), self.num_classes, count=num_samples))

    def generate(self, content, motion, labels=None, training=False):
        """Clips in [-1, 1] from content and motion latents (and labels for a conditional model)."""
        content = ops.convert_to_tensor(content, "float32")
        motion = ops.convert_to_tensor(motion, "float32")
        labels = self.check_labels(labels, int(ops.shape(content)[0]))
        return self.generator(self.generator_inputs_from(content, motion, labels), training=training)

    def sample(self, num_samples, labels=None, seed=None):
        """`num_samples` clips in [-1, 1] from fresh (or, with an int `seed`, fixed) latents."""
        return self.generate(*self.sample_latents(num_samples, seed=seed), labels)

    def call(self, inputs, training=False):
        """Generator inference: `[content, motion(, labels)] -> clips`."""
        return self.generator(inputs, training=training)

    # ----------------------------------------------------------------------------------------------------------
    # training

    def generator_inputs_from(self, content, motion, labels):
        return [content, motion] if labels is None else [content, motion, labels]

    def unpack_batch(self, data):
        if isinstance(data, (tuple, list)):
            data = [item for item in data if item is not None]
            if len(data) > 1:
                return ops.convert_to_tensor(data[0]), ops.convert_to_tensor(data[1]) if self.conditional else None
            data = data[0]
        if self.conditional:
            raise ValueError("A conditional video GAN trains on (clips, labels) batches: load them with_labels=True.")
        return ops.convert_to_tensor(data), None

    def sampled_frame_indices(self, batch_size):
        """`(batch, sampled_frames)` distinct frame indices per clip: the first k of a random permutation."""
        scores = replica_draw(lambda s: keras.random.uniform(s, seed=self.seed_generator), (batch_size, self.num_frames))
        return tf.argsort(scores, axis=1)[:, : self.sampled_frames]

    def discriminator_logits(self, clips, labels, indices):
        """`(spatial logits (batch * k, 1), temporal logits (batch, 1))` of `clips`."""
        frames = tf.gather(clips, indices, batch_dims=1)  # (batch, k, H, W, C)
        frames = tf.reshape(frames, (-1, *self.clip_shape[1:]))  # (batch * k, H, W, C)
        if labels is None:
            return (self.spatial_discriminator(frames, training=True),
                    self.temporal_discriminator(clips, training=True))
        return (self.spatial_discriminator([frames, tf.repeat(labels, self.sampled_frames)], training=True),
                self.temporal_discriminator([clips, labels], training=True))

    def discriminator_step(self, real_clips, labels):
        batch_size = ops.shape(real_clips)[0]
        content, motion = self.sample_latents(batch_size)
        fake_clips = self.generator(self.generator_inputs_from(content, motion, labels), training=True)
        indices = self.sampled_frame_indices(batch_size)
        with tf.GradientTape() as tape:
            spatial_real, temporal_real = self.discriminator_logits(real_clips, labels, indices)
            spatial_fake, temporal_fake = self.discriminator_logits(fake_clips, labels, indices)
            loss = (self.discriminator_loss(spatial_real, spatial_fake)
                    + self.discriminator_loss(temporal_real, temporal_fake))
            scaled_loss = self.d_optimizer.scale_loss(per_replica_loss(loss))
        weights = self.discriminator_weights
        self.d_optimizer.apply(dense_gradients(tape.gradient(scaled_loss, weights)), weights)
        logs = {name: ops.mean(ops.cast(value, "float32")) for name, value in (
            ("spatial_real_logits", spatial_real), ("spatial_fake_logits", spatial_fake),
            ("temporal_real_logits", temporal_real), ("temporal_fake_logits", temporal_fake))}
        return loss, logs

    def generator_step(self, batch_size, labels):
        indices = self.sampled_frame_indices(batch_size)
        with tf.GradientTape() as tape:
            content, motion = self.sample_latents(batch_size)
            fake_clips = self.generator(self.generator_inputs_from(content, motion, labels), training=True)
            spatial_fake, temporal_fake = self.discriminator_logits(fake_clips, labels, indices)
            loss = self.generator_loss(spatial_fake) + self.generator_loss(temporal_fake)
            scaled_loss = self.g_optimizer.scale_loss(per_replica_loss(loss))
        weights = self.generator.trainable_weights
        self.g_optimizer.apply(dense_gradients(tape.gradient(scaled_loss, weights)), weights)
        return loss

    def train_step(self, data):
        real_clips, labels = self.unpack_batch(data)
        for _ in range(self.d_steps):
            d_loss, logs = self.discriminator_step(real_clips, labels)
        g_loss = self.generator_step(ops.shape(real_clips)[0], labels)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        for name, tracker in self.logit_trackers.items():
            tracker.update_state(logs[name])
        return {metric.name: metric.result() for metric in self.metrics}

    # ----------------------------------------------------------------------------------------------------------
    # saving

    def get_config(self):
        config = {
            "generator": keras.saving.serialize_keras_object(self.generator),
            "spatial_discriminator": keras.saving.serialize_keras_object(self.spatial_discriminator),
            "temporal_discriminator": keras.saving.serialize_keras_object(self.temporal_discriminator),
            "generator_loss": keras.saving.serialize_keras_object(self.generator_loss),
            "discriminator_loss": keras.saving.serialize_keras_object(self.discriminator_loss),
            "content_dim": self.content_dim,
            "motion_dim": self.motion_dim,
            "sampled_frames": self.sampled_frames,
            "d_steps": self.d_steps,
            "num_classes": self.num_classes,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "spatial_discriminator", "temporal_discriminator", "generator_loss",
                    "discriminator_loss"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
