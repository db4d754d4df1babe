"""Progressive GAN: a generator and a discriminator that grow from 4x4 to the target resolution, and its trainer.

    generator:     z -> pixel norm -> dense to 4x4 -> 3x3 conv -> per doubling [nearest upsample, two 3x3 convs];
                   every conv equalized, leaky ReLU(0.2), then pixel norm; a 1x1 toRGB per resolution
    discriminator: a 1x1 fromRGB per resolution -> per halving [two 3x3 convs, 2x2 average pool] -> minibatch
                   stddev -> 3x3 conv -> dense -> one logit

Growth is one float, the *level*, in [0, num_levels - 1]: level k (an integer) is resolution 4 * 2^k, stable;
level k - 1 + alpha fades resolution 4 * 2^k in with weight alpha. As in the authors' code, images cross the
networks' boundary at the final resolution: the generator's image at its current resolution is upsampled (nearest)
to it, the discriminator average-pools its input down to its current resolution, and real images are pooled to
the current resolution (blended with the next lower one during a fade) and upsampled back.

For inference the networks branch on a level tensor (`keras.ops.switch`: one branch per resolution, only the taken
one runs), so an export serves whatever level the model has reached. Training does not: the gradient penalty
differentiates the critic twice, and second-order gradients through a switch took a minute to compile at 16x16.
The trainer instead keeps one compiled train function per phase (resolution), picked in Python before each call
from the model's `images_seen`; alpha stays a tensor inside the step. A new phase compiles once, when reached.

The trainer's level comes from `images_seen`, a non-trainable variable saved with the model: `.keras` files and
checkpoints carry the phase and alpha, and a resumed run continues mid-fade.

Reference: Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and Variation"
(https://arxiv.org/abs/1710.10196); WGAN-GP loss with the drift term, appendix A.1.
"""

import functools
import math

import keras
import tensorflow as tf
from keras import ops

from keras_gen.layers.equalized import EqualizedConv2D, EqualizedDense, MinibatchStdDev, PixelNorm
from keras_gen.losses import gan as gan_losses
from keras_gen.models.adversarial import AdversarialModel
from keras_gen.models.ema import copy_network, ema_decay, update_ema
from keras_gen.utils.distribute import dense_gradients, per_replica_loss, replica_draw
from keras_gen.utils.latents import truncated_normal


def num_levels_for(resolution):
    """Resolutions a network of final size `resolution` grows through: 4, 8, ..., resolution."""
    if not isinstance(resolution, int) or resolution < 4 or resolution & (resolution - 1):
        raise ValueError(f"`resolution` must be a power of two >= 4. Received: resolution={resolution!r}")
    return int(math.log2(resolution)) - 1


def channels_at(resolution, channel_base, channel_max):
    """Feature maps at a resolution: `min(channel_base // resolution, channel_max)`."""
    return max(1, min(channel_base // resolution, channel_max))


def growth_level(images_seen, images_per_phase, num_levels):
    """The level after `images_seen` training images: 4x4 alone for `images_per_phase` images, then for each
    doubling a fade-in of `images_per_phase` images and as many to stabilize; the last resolution stays.

    Works on Python numbers, numpy values and tensors.
    """
    cycles = ops.maximum(ops.cast(images_seen, "float32") / float(images_per_phase) - 1.0, 0.0)  # fade + stabilize
    completed = ops.floor(cycles / 2.0)
    level = completed + ops.minimum(cycles - 2.0 * completed, 1.0)
    return ops.minimum(level, float(num_levels - 1))


def phase_and_alpha(level, num_levels):
    """`(phase, alpha)` of a level: phase, the int32 index of the newest resolution (4 * 2^phase), and alpha in
    (0, 1], its fade-in weight (1 once stable). Level k - 1 + a -> (k, a); level k -> (k, 1)."""
    level = ops.clip(ops.cast(level, "float32"), 0.0, float(num_levels - 1))
    phase = ops.cast(ops.ceil(level), "int32")
    alpha = 1.0 - (ops.cast(phase, "float32") - level)
    return phase, alpha


def upsample(images, factor):
    """Nearest-neighbour upsampling by an integer `factor`: `(batch, H, W, C)` -> `(batch, H*f, W*f, C)`."""
    if factor == 1:
        return images
    return ops.repeat(ops.repeat(images, factor, axis=1), factor, axis=2)


def downsample(images, factor):
    """Average pooling over `factor` x `factor` blocks (the exact inverse of `upsample` on upsampled images)."""
    if factor == 1:
        return images
    return ops.average_pool(images, factor, factor)


def lerp(old, new, alpha):
    """`old + alpha (new - old)`: alpha = 0 gives `old`, alpha = 1 gives `new`."""
    return old + ops.cast(alpha, old.dtype) * (new - old)


def blend_real_images(images, phase, alpha, num_levels):
    """Real images `(batch, R, R, C)` as the discriminator sees them at `(phase, alpha)` (phase a Python int):
    pooled to resolution 4 * 2^phase (during a fade, blended with the next lower resolution by 1 - alpha) and
    upsampled back to R x R."""
    factor = 2 ** (num_levels - 1 - phase)
    current = downsample(images, factor)
    if phase > 0:
        current = lerp(upsample(downsample(current, 2), 2), current, alpha)
    return upsample(current, factor)


def _zeros_for_unused(gradients, weights):
    """Zero gradients for the layers of resolutions the step did not use (None otherwise), so every phase updates
    the same variables and Adam treats them alike."""
    return [ops.zeros_like(w) if g is None else g for g, w in zip(dense_gradients(gradients), weights)]


def _shape_of(layer_input, channels):
    return (None, layer_input, layer_input, channels)


@keras.saving.register_keras_serializable(package="keras_gen")
class ProgressiveGenerator(keras.layers.Layer):
    """Progressive GAN generator: `(z, level)` -> images `(batch, resolution, resolution, channels)`.

    Args:
        latent_dim: size of z.
        resolution: final image size (a power of two >= 4).
        channels: image channels.
        channel_base, channel_max: feature maps at resolution r: `min(channel_base // r, channel_max)`.

    Call arguments:
        z: `(batch, latent_dim)`.
        level: scalar growth level in [0, num_levels - 1] (see the module docstring).

    Reference: https://arxiv.org/abs/1710.10196, table 2.
    """

    def __init__(self, latent_dim, resolution, channels=1, channel_base=1024, channel_max=128, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"`latent_dim` must be a positive integer. Received: latent_dim={latent_dim!r}")
        self.num_levels = num_levels_for(resolution)
        self.latent_dim, self.resolution, self.channels = latent_dim, resolution, channels
        self.channel_base, self.channel_max = channel_base, channel_max
        self.sizes = [4 * 2 ** k for k in range(self.num_levels)]
        first = self.filters(4)
        self.normalize = PixelNorm(name="normalize")
        self.stem_dense = EqualizedDense(16 * first, activation="lrelu", name="4x4_dense")
        self.stem_conv = EqualizedConv2D(first, 3, activation="lrelu", name="4x4_conv")
        self.conv0s = [EqualizedConv2D(self.filters(s), 3, activation="lrelu", name=f"{s}x{s}_conv0") for s in self.sizes[1:]]
        self.conv1s = [EqualizedConv2D(self.filters(s), 3, activation="lrelu", name=f"{s}x{s}_conv1") for s in self.sizes[1:]]
        self.to_rgbs = [EqualizedConv2D(channels, 1, name=f"{s}x{s}_torgb") for s in self.sizes]
        # Every weight exists before training starts: the optimizer is built over all of them, and no branch of the
        # level switch creates a variable.
        self.stem_dense.build((None, latent_dim))
        self.stem_conv.build(_shape_of(4, first))
        self.to_rgbs[0].build(_shape_of(4, first))
        for index, size in enumerate(self.sizes[1:]):
            self.conv0s[index].build(_shape_of(size, self.filters(size // 2)))
            self.conv1s[index].build(_shape_of(size, self.filters(size)))
            self.to_rgbs[index + 1].build(_shape_of(size, self.filters(size)))
        self.built = True

    def filters(self, size):
        return channels_at(size, self.channel_base, self.channel_max)

    def features(self, z, index):
        """`(features at resolution `index`, features at resolution `index - 1` or None)`."""
        x = self.normalize(ops.cast(z, self.compute_dtype))
        x = ops.reshape(self.stem_dense(x), (-1, 4, 4, self.filters(4)))  # (batch, 4, 4, filters)
        x = self.normalize(self.stem_conv(self.normalize(x)))
        previous = None
        for block in range(index):
            previous = x
            x = upsample(x, 2)
            x = self.normalize(self.conv0s[block](x))
            x = self.normalize(self.conv1s[block](x))
        return x, previous

    def render(self, index, z, alpha):
        """Images of branch `index` (resolution 4 * 2^index, faded in by `alpha`), upsampled to the final size."""
        x, previous = self.features(z, index)
        image = self.to_rgbs[index](x)
        if index > 0:  # alpha = 0: the previous resolution's image, upsampled; alpha = 1: the new toRGB's
            image = lerp(upsample(self.to_rgbs[index - 1](previous), 2), image, alpha)
        return ops.cast(upsample(image, 2 ** (self.num_levels - 1 - index)), "float32")

    def call(self, z, level):
        phase, alpha = phase_and_alpha(level, self.num_levels)
        branches = [functools.partial(self.render, index) for index in range(self.num_levels)]
        return ops.switch(phase, branches, z, alpha)

    def compute_output_shape(self, z_shape, level_shape=None):
        return (z_shape[0], self.resolution, self.resolution, self.channels)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "resolution": self.resolution,
                "channels": self.channels, "channel_base": self.channel_base, "channel_max": self.channel_max}


@keras.saving.register_keras_serializable(package="keras_gen")
class ProgressiveDiscriminator(keras.layers.Layer):
    """Progressive GAN discriminator (critic): `(images, level)` -> one logit per image.

    Args:
        resolution: final image size (a power of two >= 4).
        channels: image channels.
        channel_base, channel_max: feature maps at resolution r: `min(channel_base // r, channel_max)`.
        mbstd_group_size: minibatch-stddev group size (the batch must be a multiple of it, or smaller).

    Call arguments:
        images: `(batch, resolution, resolution, channels)`; pooled down to the level's resolution.
        level: scalar growth level.

    Reference: https://arxiv.org/abs/1710.10196, table 2.
    """

    def __init__(self, resolution, channels=1, channel_base=1024, channel_max=128, mbstd_group_size=4, **kwargs):
        super().__init__(**kwargs)
        self.num_levels = num_levels_for(resolution)
        self.resolution, self.channels = resolution, channels
        self.channel_base, self.channel_max, self.mbstd_group_size = channel_base, channel_max, mbstd_group_size
        self.sizes = [4 * 2 ** k for k in range(self.num_levels)]
        first = self.filters(4)
        self.from_rgbs = [EqualizedConv2D(self.filters(s), 1, activation="lrelu", name=f"{s}x{s}_fromrgb")
                          for s in self.sizes]
        self.conv0s = [EqualizedConv2D(self.filters(s), 3, activation="lrelu", name=f"{s}x{s}_conv0") for s in self.sizes[1:]]
        self.conv1s = [EqualizedConv2D(self.filters(s // 2), 3, activation="lrelu", name=f"{s}x{s}_conv1")
                       for s in self.sizes[1:]]
        self.mbstd = MinibatchStdDev(mbstd_group_size, name="mbstd")
        self.final_conv = EqualizedConv2D(first, 3, activation="lrelu", name="4x4_conv")
        self.final_dense = EqualizedDense(first, activation="lrelu", name="4x4_dense")
        self.logit = EqualizedDense(1, name="logit")
        for index, size in enumerate(self.sizes):
            self.from_rgbs[index].build(_shape_of(size, channels))
            if index:
                self.conv0s[index - 1].build(_shape_of(size, self.filters(size)))
                self.conv1s[index - 1].build(_shape_of(size, self.filters(size)))
        self.final_conv.build(_shape_of(4, first + 1))
        self.final_dense.build((None, 16 * first))
        self.logit.build((None, first))
        self.built = True

    def filters(self, size):
        return channels_at(size, self.channel_base, self.channel_max)

    def block(self, index, x):
        """Resolution 4 * 2^index -> half of it."""
        x = self.conv1s[index - 1](self.conv0s[index - 1](x))
        return downsample(x, 2)

    def judge(self, index, images, alpha):
        """Logits of branch `index`: the input pooled to resolution 4 * 2^index, its fromRGB faded in by `alpha`."""
        x = downsample(ops.cast(images, self.compute_dtype), 2 ** (self.num_levels - 1 - index))
        h = self.from_rgbs[index](x)
        if index > 0:  # alpha = 0: the lower resolution's fromRGB of the pooled image; alpha = 1: the new block
            h = lerp(self.from_rgbs[index - 1](downsample(x, 2)), self.block(index, h), alpha)
        for lower in range(index - 1, 0, -1):
            h = self.block(lower, h)
        h = self.final_conv(self.mbstd(h))
        h = self.final_dense(ops.reshape(h, (-1, 16 * self.filters(4))))  # (batch, 4 * 4 * filters)
        return ops.cast(self.logit(h), "float32")

    def call(self, images, level):
        phase, alpha = phase_and_alpha(level, self.num_levels)
        branches = [functools.partial(self.judge, index) for index in range(self.num_levels)]
        return ops.switch(phase, branches, images, alpha)

    def compute_output_shape(self, images_shape, level_shape=None):
        return (images_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "resolution": self.resolution, "channels": self.channels,
                "channel_base": self.channel_base, "channel_max": self.channel_max,
                "mbstd_group_size": self.mbstd_group_size}


def restore_shape(images, source_shape):
    """Images at the working resolution -> the dataset's `source_shape` (H, W, C): a center crop of the padding
    when the data was padded by an even margin, else a resize (tensor ops, so signatures can use it)."""
    if source_shape is None:
        return images
    height, width = source_shape[:2]
    size = int(images.shape[1])
    if (height, width) == (size, size):
        return images
    if height <= size and width <= size and (size - height) % 2 == 0 and (size - width) % 2 == 0:
        top, left = (size - height) // 2, (size - width) // 2
        return images[:, top:top + height, left:left + width]
    return tf.image.resize(images, (height, width), method="area" if size > height else "bilinear")


@keras.saving.register_keras_serializable(package="keras_gen")
class ProGAN(AdversarialModel):
    """Progressive GAN training: WGAN-GP loss with the drift term, growth by images seen, generator EMA.

    Args:
        generator: a `ProgressiveGenerator`.
        discriminator: a `ProgressiveDiscriminator` of the same resolution.
        images_per_phase: images of each fade-in and of each stabilization (and of the first, 4x4 phase).
        gradient_penalty_weight: WGAN-GP lambda (10).
        drift_weight: epsilon_drift (0.001): weight of E[D(x)^2] on real images.
        ema_images: half-life, in images, of the generator EMA used for sampling and export (None: no EMA).
        source_shape: shape of the dataset's images when the model works at a padded/resized resolution; images
            from `generate`/`sample` have this shape.
        seed: seed of the latents and the penalty's interpolation weights.

    Reference: https://arxiv.org/abs/1710.10196.
    """

    def __init__(self, generator, discriminator, images_per_phase=20_000, gradient_penalty_weight=10.0,
                 drift_weight=0.001, ema_images=10_000, source_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if generator.resolution != discriminator.resolution:
            raise ValueError(f"The generator and discriminator must share a resolution. Received: generator "
                             f"resolution={generator.resolution}, discriminator resolution={discriminator.resolution}")
        if not isinstance(images_per_phase, int) or images_per_phase < 1:
            raise ValueError(f"`images_per_phase` must be a positive integer. Received: images_per_phase={images_per_phase!r}")
        for name, value in (("gradient_penalty_weight", gradient_penalty_weight), ("drift_weight", drift_weight)):
            if not value >= 0:
                raise ValueError(f"`{name}` must be >= 0. Received: {name}={value!r}")
        if ema_images is not None and not ema_images > 0:
            raise ValueError(f"`ema_images` must be > 0 or None. Received: ema_images={ema_images!r}")
        self.generator = generator
        self.discriminator = discriminator
        self.images_per_phase = images_per_phase
        self.gradient_penalty_weight = float(gradient_penalty_weight)
        self.drift_weight = float(drift_weight)
        self.ema_images = None if ema_images is None else float(ema_images)
        self.source_shape = None if source_shape is None else tuple(int(d) for d in source_shape)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.latent_dim = generator.latent_dim
        self.num_levels = generator.num_levels
        self.prior = "gaussian"
        self.num_classes = None
        self.ema_generator = None
        if ema_images is not None:
            self.ema_generator = copy_network(generator, "ema_generator")
        self.images_seen = self.add_weight(name="images_seen", shape=(), initializer="zeros", trainable=False)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.penalty_tracker = keras.metrics.Mean(name="gradient_penalty")
        self.drift_tracker = keras.metrics.Mean(name="drift")
        self.wasserstein_tracker = keras.metrics.Mean(name="wasserstein_estimate")
        self.built = True

    @property
    def conditional(self):
        return False

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.penalty_tracker, self.drift_tracker,
                self.wasserstein_tracker]

    @property
    def generator_weights(self):
        return self.generator.trainable_variables

    @property
    def discriminator_weights(self):
        return self.discriminator.trainable_variables

    # ----------------------------------------------------------------------------------------------------------
    # growth state

    @property
    def resolution(self):
        """The final (working) resolution."""
        return self.generator.resolution

    @property
    def image_shape(self):
        """Shape of the images `generate` returns: the dataset's, else the working resolution's."""
        return self.source_shape or (self.resolution, self.resolution, self.generator.channels)

    def level(self):
        """The current growth level (a float32 tensor), from `images_seen`."""
        return growth_level(self.images_seen, self.images_per_phase, self.num_levels)

    def growth(self):
        """`{"images_seen", "level", "phase", "alpha", "current_resolution", "final_resolution", "growth_complete"}`
        as Python values."""
        level = float(self.level())
        phase, alpha = (float(v) for v in phase_and_alpha(level, self.num_levels))
        return {"images_seen": int(self.images_seen.numpy()), "level": level, "phase": int(phase), "alpha": alpha,
                "current_resolution": 4 * 2 ** int(phase), "final_resolution": self.resolution,
                "growth_complete": level >= self.num_levels - 1}

    # ----------------------------------------------------------------------------------------------------------
    # inference (the EMA generator at the current level)

    def sample_latent(self, num_samples, seed=None, truncation=None):
        """`(num_samples, latent_dim)` standard normal z (truncated to [-truncation, truncation] when set)."""
        seed = self.seed_generator if seed is None else seed
        shape = (num_samples, self.latent_dim)
        if truncation is not None:
            if not truncation > 0:
                raise ValueError(f"`truncation` must be > 0. Received: truncation={truncation!r}")
            return truncated_normal(lambda s, low, high: keras.random.uniform(s, low, high, seed=seed), shape, truncation)
        return replica_draw(lambda s: keras.random.normal(s, seed=seed), shape)

    def render(self, z, level=None, ema=True):
        """Images `(batch, resolution, resolution, C)` in about [-1, 1] at `level` (default: the current one);
        below the final level they are the level's resolution upsampled (nearest)."""
        generator = self.ema_generator if ema and self.ema_generator is not None else self.generator
        level = self.level() if level is None else ops.convert_to_tensor(level, "float32")
        return generator(ops.convert_to_tensor(z, "float32"), level, training=False)

    def generate(self, z, labels=None, training=False):
        """Images at the dataset's shape (`image_shape`) from latents `z`, at the current level."""
        if labels is not None:
            raise ValueError(f"ProGAN is unconditional; it takes no labels. Received: labels={labels!r}")
        return restore_shape(self.render(z), self.source_shape)

    def sample(self, num_samples, labels=None, seed=None, truncation=None):
        return self.generate(self.sample_latent(num_samples, seed=seed, truncation=truncation), labels)

    def call(self, inputs, training=False):
        return self.generate(inputs)

    # ----------------------------------------------------------------------------------------------------------
    # training

    def unpack_batch(self, data):
        if isinstance(data, (tuple, list)):
            data = data[0]
        return ops.convert_to_tensor(data)

    def discriminator_loss(self, critic, real_images, fake_images):
        """-> (loss, logs): E[D(fake)] - E[D(real)] + lambda GP + epsilon_drift E[D(real)^2], `critic` the
        discriminator at the step's level."""
        real_logits, fake_logits = critic(real_images), critic(fake_images)
        wasserstein = gan_losses.wasserstein_discriminator_loss(real_logits, fake_logits)
        penalty = gan_losses.gradient_penalty(critic, real_images, fake_images, seed=self.seed_generator)
        drift = gan_losses.drift_penalty(real_logits)
        loss = wasserstein + self.gradient_penalty_weight * penalty + self.drift_weight * drift
        return loss, {"gradient_penalty": penalty, "drift": drift, "wasserstein_estimate": -wasserstein}

    def current_phase(self):
        """The phase (resolution index) the next training step trains, as a Python int."""
        return int(phase_and_alpha(self.level(), self.num_levels)[0])

    def make_train_function(self, force=False):
        """`model.fit`'s train function: dispatches each call to a train function compiled for the current phase.

        The phase is read (a Python int) before each call from `images_seen`; each phase's function is compiled
        on first use with that phase fixed in the graph. With `steps_per_execution > 1` a phase boundary inside one
        call's steps takes effect at the next call (alpha is clipped meanwhile).
        """
        if self.train_function is not None and not force:
            return self.train_function
        compile_phase = super().make_train_function
        functions = {}  # {phase: compiled train function}, also `model.train_function.phases`

        def train_function(iterator):
            self._train_phase = self.current_phase()
            if self._train_phase not in functions:
                compile_phase(force=True)  # sets `self.train_function` to the phase's compiled function
                functions[self._train_phase], self.train_function = self.train_function, train_function
            return functions[self._train_phase](iterator)

        train_function.phases = functions
        self.train_function = train_function
        return train_function

    def train_step(self, data):
        real_images = self.unpack_batch(data)
        batch_size = ops.shape(real_images)[0]
        # The whole step trains the level reached before this batch; the phase is fixed in the compiled graph.
        phase = getattr(self, "_train_phase", None)
        if phase is None or tf.executing_eagerly():
            phase = self.current_phase()
        level = self.level()
        alpha = ops.clip(level - float(phase - 1), 0.0, 1.0)
        real_images = blend_real_images(ops.cast(real_images, "float32"), phase, alpha, self.num_levels)

        def critic(images):
            return self.discriminator.judge(phase, images, alpha)

        fake_images = self.generator.render(phase, self.sample_latent(batch_size), alpha)
        weights = self.discriminator_weights
        with tf.GradientTape() as tape:
            d_loss, logs = self.discriminator_loss(critic, real_images, fake_images)
            scaled = self.d_optimizer.scale_loss(per_replica_loss(d_loss))
        self.d_optimizer.apply(_zeros_for_unused(tape.gradient(scaled, weights), weights), weights)

        weights = self.generator_weights
        with tf.GradientTape() as tape:
            fake_images = self.generator.render(phase, self.sample_latent(batch_size), alpha)
            g_loss = gan_losses.wasserstein_generator_loss(critic(fake_images))
            scaled = self.g_optimizer.scale_loss(per_replica_loss(g_loss))
        self.g_optimizer.apply(_zeros_for_unused(tape.gradient(scaled, weights), weights), weights)

        self.images_seen.assign_add(ops.cast(batch_size, "float32"))
        if self.ema_generator is not None:
            self.update_ema(self.ema_beta(batch_size))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.penalty_tracker.update_state(logs["gradient_penalty"])
        self.drift_tracker.update_state(logs["drift"])
        self.wasserstein_tracker.update_state(logs["wasserstein_estimate"])
        return {**{metric.name: metric.result() for metric in self.metrics}, "level": self.level()}

    def ema_beta(self, batch_size):
        """Per-step EMA decay for a half-life of `ema_images` images."""
        return ema_decay(batch_size, self.ema_images)

    def update_ema(self, beta):
        """EMA weights <- beta * EMA + (1 - beta) * weights."""
        update_ema(self.generator, self.ema_generator, beta)

    # ----------------------------------------------------------------------------------------------------------
    # saving

    def get_config(self):
        config = {
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "images_per_phase": self.images_per_phase, "gradient_penalty_weight": self.gradient_penalty_weight,
            "drift_weight": self.drift_weight, "ema_images": self.ema_images,
            "source_shape": None if self.source_shape is None else list(self.source_shape), "seed": self.seed,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
