"""One GAN trainer for every loss: the networks and the loss functions are constructor arguments."""

import keras
from keras import ops

from keras_gen.models.adversarial import AdversarialModel, loss_function
from keras_gen.models.ema import copy_network, ema_decay, update_ema
from keras_gen.losses import gan as gan_losses
from keras_gen.utils.distribute import dense_gradients, per_replica_loss, replica_draw
from keras_gen.utils.labels import check_labels
from keras_gen.utils.latents import PRIORS, truncated_normal

_EMA_RAMPUP = 0.05  # the average's half-life is at most this fraction of the images seen (StyleGAN2's ramp-up)


@keras.saving.register_keras_serializable(package="keras_gen")
class GAN(AdversarialModel):
    """Alternating GAN training: `d_steps` discriminator updates, then one generator update, per batch.

    The generator maps a latent `z ~ p(z)` (and, for a conditional model, integer labels) to images; the
    discriminator maps images (and labels) to logits. Each network has its own optimizer and its own tape.
    The preparation of the generator and discriminator inputs lives in small methods
    (`unpack_batch`, `generator_inputs`, `discriminator_inputs`, `compute_discriminator_loss`,
    `compute_generator_loss`) that image-conditioned models override.

    Args:
        generator: `keras.Model`, `z -> images`, or `[z, labels] -> images` when `num_classes` is set.
        discriminator: `keras.Model`, `images -> logits`, or `[images, labels] -> logits`.
        generator_loss: a `keras_gen.losses.gan.GAN_LOSSES` name or a function `fake_logits -> scalar`.
        discriminator_loss: a name or a function `(real_logits, fake_logits) -> scalar`.
        latent_dim: size of `z`.
        prior: "gaussian" (N(0, I)) or "uniform" (U[-1, 1]^d).
        d_steps: discriminator updates per generator update (5 for WGAN/WGAN-GP). Each uses the batch's real
            images and fresh latents.
        gradient_penalty_weight: weight of the WGAN-GP penalty in the discriminator loss (0 turns it off).
        clip_value: clip every discriminator weight to [-clip_value, clip_value] after each D update (WGAN),
            or None.
        num_classes: number of classes for a class-conditional model, or None.
        seed: seed of the `keras.random.SeedGenerator` that draws latents and penalty interpolation weights.
        ema_images: half-life, in training images, of an exponential moving average of the generator's weights
            (`ema_generator`), which then does all sampling and export; None: sample from the trained generator.
            The half-life is at most 5% of the images seen so far, so the average leaves the initialization early.

    Reference:
        Goodfellow et al., "Generative Adversarial Networks" (https://arxiv.org/abs/1406.2661), Algorithm 1.
    """

    def __init__(
        self,
        generator,
        discriminator,
        generator_loss="non_saturating",
        discriminator_loss="non_saturating",
        latent_dim=100,
        prior="gaussian",
        d_steps=1,
        gradient_penalty_weight=0.0,
        clip_value=None,
        num_classes=None,
        seed=None,
        ema_images=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"`latent_dim` must be a positive integer. Received: latent_dim={latent_dim!r}")
        if prior not in PRIORS:
            raise ValueError(f"`prior` must be one of {PRIORS}. Received: prior={prior!r}")
        if not isinstance(d_steps, int) or d_steps < 1:
            raise ValueError(f"`d_steps` must be a positive integer. Received: d_steps={d_steps!r}")
        if gradient_penalty_weight < 0:
            raise ValueError(
                f"`gradient_penalty_weight` must be >= 0. Received: gradient_penalty_weight={gradient_penalty_weight!r}"
            )
        if clip_value is not None and not clip_value > 0:
            raise ValueError(f"`clip_value` must be > 0 or None. Received: clip_value={clip_value!r}")
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
            raise ValueError(f"`num_classes` must be a positive integer or None. Received: num_classes={num_classes!r}")
        if ema_images is not None and not ema_images > 0:
            raise ValueError(f"`ema_images` must be > 0 or None. Received: ema_images={ema_images!r}")
        self.generator = generator
        self.discriminator = discriminator
        self.ema_images = None if ema_images is None else float(ema_images)
        self.ema_generator = None if ema_images is None else copy_network(generator, f"ema_{generator.name}")
        self.generator_loss = loss_function(generator_loss, "generator")
        self.discriminator_loss = loss_function(discriminator_loss, "discriminator")
        self.latent_dim = latent_dim
        self.prior = prior
        self.d_steps = d_steps
        self.gradient_penalty_weight = float(gradient_penalty_weight)
        self.clip_value = clip_value
        self.num_classes = num_classes
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.gradient_penalty_tracker = keras.metrics.Mean(name="gradient_penalty")
        self.real_score_tracker = keras.metrics.Mean(name="real_logits")
        self.fake_score_tracker = keras.metrics.Mean(name="fake_logits")
        self.built = True  # the networks are built functional models; the trainer adds no weights of its own

    @property
    def conditional(self):
        return self.num_classes is not None

    @property
    def metrics(self):
        metrics = [self.d_loss_tracker, self.g_loss_tracker, self.real_score_tracker, self.fake_score_tracker]
        if self.gradient_penalty_weight > 0:
            metrics.append(self.gradient_penalty_tracker)
        return metrics

    @property
    def sampler(self):
        """The network that samples and is exported: the weight average when the model keeps one."""
        return self.generator if self.ema_generator is None else self.ema_generator

    @property
    def generator_weights(self):
        return self.generator.trainable_variables

    @property
    def discriminator_weights(self):
        return self.discriminator.trainable_variables

    # ----------------------------------------------------------------------------------------------------------
    # latents and inference

    def sample_latent(self, num_samples, seed=None, truncation=None):
        """`(num_samples, latent_dim)` draws from the prior.

        Args:
            seed: None draws from the model's seed generator (a fresh batch each call); an int gives the same
                batch every time (fixed latents for progress grids).
            truncation: the truncation trick (BigGAN): a Gaussian prior truncated to [-truncation, truncation],
                trading variety for fidelity. Only for the Gaussian prior.
        """
        seed = self.seed_generator if seed is None else seed
        shape = (num_samples, self.latent_dim)
        if truncation is not None:
            if self.prior != "gaussian" or not truncation > 0:
                raise ValueError(
                    f"`truncation` must be > 0 and needs the Gaussian prior. Received: truncation={truncation!r}, "
                    f"prior={self.prior!r}"
                )
            return truncated_normal(lambda s, low, high: keras.random.uniform(s, low, high, seed=seed), shape, truncation)
        if self.prior == "uniform":
            return replica_draw(lambda s: keras.random.uniform(s, -1.0, 1.0, seed=seed), shape)
        return replica_draw(lambda s: keras.random.normal(s, seed=seed), shape)

    def check_labels(self, labels, num_samples=None):
        """Labels for a conditional model as int32, with errors naming a bad value; None for unconditional."""
        if not self.conditional:
            if labels is not None:
                raise ValueError(f"This GAN is unconditional (num_classes=None); it takes no labels. Received: labels={labels!r}")
            return None
        if labels is None:
            raise ValueError(f"This GAN is conditional (num_classes={self.num_classes}); pass `labels`. Received: labels=None")
        return ops.convert_to_tensor(check_labels(ops.convert_to_numpy(labels), self.num_classes, count=num_samples))

    def generate(self, z, labels=None, training=False):
        """Images from latents `z` (and labels for a conditional model)."""
        z = ops.convert_to_tensor(z, "float32")
        labels = self.check_labels(labels, num_samples=int(ops.shape(z)[0]))
        return self.sampler(self.generator_inputs_from(z, labels), training=training)

    def sample(self, num_samples, labels=None, seed=None, truncation=None):
        """`num_samples` images from fresh (or, with an int `seed`, fixed) latents."""
        return self.generate(self.sample_latent(num_samples, seed=seed, truncation=truncation), labels)

    def call(self, inputs, training=False):
        """Generator inference (the weight average when kept): `z`, or `[z, labels]` for a conditional model -> images."""
        return self.sampler(inputs, training=training)

    # ----------------------------------------------------------------------------------------------------------
    # the pieces of a training step, each small enough to override

    def unpack_batch(self, data):
        """A dataset element -> `(real_images, condition)`; the condition is the labels (or None)."""
        if isinstance(data, (tuple, list)):
            data = [item for item in data if item is not None]  # `train_on_batch(x)` packs (x, None, None)
            if len(data) > 1:
                labels = ops.convert_to_tensor(data[1]) if self.conditional else None
                return ops.convert_to_tensor(data[0]), labels
            data = data[0]
        if self.conditional:
            raise ValueError("A conditional GAN trains on (images, labels) batches: load the data with `with_labels=True`.")
        return ops.convert_to_tensor(data), None

    def generator_inputs_from(self, z, condition):
        return z if condition is None else [z, condition]

    def generator_inputs(self, batch_size, condition):
        """Fresh generator inputs for a batch: latents from the prior (plus the condition)."""
        return self.generator_inputs_from(self.sample_latent(batch_size), condition)

    def discriminator_inputs(self, images, condition):
        return images if condition is None else [images, condition]

    def compute_discriminator_loss(self, real_images, fake_images, condition):
        """-> (loss, logs). Runs inside the discriminator's tape."""
        real_logits = self.discriminator(self.discriminator_inputs(real_images, condition), training=True)
        fake_logits = self.discriminator(self.discriminator_inputs(fake_images, condition), training=True)
        loss = self.discriminator_loss(real_logits, fake_logits)
        logs = {"real_logits": ops.mean(ops.cast(real_logits, "float32")), "fake_logits": ops.mean(ops.cast(fake_logits, "float32"))}
        if self.gradient_penalty_weight > 0:
            penalty = gan_losses.gradient_penalty(
                lambda images: self.discriminator(self.discriminator_inputs(images, condition), training=True),
                real_images,
                fake_images,
                seed=self.seed_generator,
            )
            loss = loss + self.gradient_penalty_weight * penalty
            logs["gradient_penalty"] = penalty
        if self.discriminator.losses:  # regularizers
            loss = loss + ops.cast(ops.sum(self.discriminator.losses), "float32")
        return loss, logs

    def compute_generator_loss(self, real_images, fake_images, condition):
        """-> (loss, logs). Runs inside the generator's tape. `real_images` is unused here (pix2pix uses it)."""
        del real_images
        fake_logits = self.discriminator(self.discriminator_inputs(fake_images, condition), training=True)
        loss = self.generator_loss(fake_logits)
        if self.generator.losses:  # e.g. BigGAN's orthogonal regularization
            loss = loss + ops.cast(ops.sum(self.generator.losses), "float32")
        return loss, {}

    def discriminator_step(self, real_images, condition):
        """One discriminator update; returns (loss, logs)."""
        import tensorflow as tf

        batch_size = ops.shape(real_images)[0]
        fake_images = self.generator(self.generator_inputs(batch_size, condition), training=True)
        with tf.GradientTape() as tape:
            loss, logs = self.compute_discriminator_loss(real_images, fake_images, condition)
            scaled_loss = self.d_optimizer.scale_loss(per_replica_loss(loss))
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply(dense_gradients(tape.gradient(scaled_loss, weights)), weights)
        if self.clip_value is not None:  # WGAN: a crude way to keep the critic Lipschitz
            for weight in weights:
                weight.assign(ops.clip(weight, -self.clip_value, self.clip_value))
        return loss, logs

    def generator_step(self, real_images, condition):
        """One generator update; returns (loss, logs)."""
        import tensorflow as tf

        batch_size = ops.shape(real_images)[0]
        with tf.GradientTape() as tape:
            fake_images = self.generator(self.generator_inputs(batch_size, condition), training=True)
            loss, logs = self.compute_generator_loss(real_images, fake_images, condition)
            scaled_loss = self.g_optimizer.scale_loss(per_replica_loss(loss))
        weights = self.generator.trainable_weights
        self.g_optimizer.apply(dense_gradients(tape.gradient(scaled_loss, weights)), weights)
        return loss, logs

    def train_step(self, data):
        real_images, condition = self.unpack_batch(data)
        for _ in range(self.d_steps):
            d_loss, d_logs = self.discriminator_step(real_images, condition)
        g_loss, g_logs = self.generator_step(real_images, condition)
        if self.ema_generator is not None:
            self.update_ema(ops.shape(real_images)[0])
        self.update_trackers(d_loss, d_logs, g_loss, g_logs)
        return {metric.name: metric.result() for metric in self.metrics}

    def update_ema(self, batch_size):
        """Moves the generator average toward the generator after a generator update."""
        images_seen = ops.cast(self.g_optimizer.iterations, "float32") * ops.cast(batch_size, "float32")
        update_ema(self.generator, self.ema_generator, ema_decay(batch_size, self.ema_images, images_seen, _EMA_RAMPUP))

    def test_step(self, data):
        """Losses on held-out real images without updates (for `validation_data`)."""
        real_images, condition = self.unpack_batch(data)
        batch_size = ops.shape(real_images)[0]
        fake_images = self.generator(self.generator_inputs(batch_size, condition), training=False)
        d_loss, d_logs = self.compute_discriminator_loss(real_images, fake_images, condition)
        g_loss, g_logs = self.compute_generator_loss(real_images, fake_images, condition)
        self.update_trackers(d_loss, d_logs, g_loss, g_logs)
        return {metric.name: metric.result() for metric in self.metrics}

    def update_trackers(self, d_loss, d_logs, g_loss, g_logs):
        """Feeds one step's losses and logs to the metric trackers (subclasses add their own terms)."""
        del g_logs  # the plain GAN tracks nothing from the generator's logs
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.real_score_tracker.update_state(d_logs["real_logits"])
        self.fake_score_tracker.update_state(d_logs["fake_logits"])
        if self.gradient_penalty_weight > 0:
            self.gradient_penalty_tracker.update_state(d_logs["gradient_penalty"])

    # ----------------------------------------------------------------------------------------------------------
    # saving

    def get_config(self):
        base_config = super().get_config()
        config = {
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "generator_loss": keras.saving.serialize_keras_object(self.generator_loss),
            "discriminator_loss": keras.saving.serialize_keras_object(self.discriminator_loss),
            "latent_dim": self.latent_dim,
            "prior": self.prior,
            "d_steps": self.d_steps,
            "gradient_penalty_weight": self.gradient_penalty_weight,
            "clip_value": self.clip_value,
            "num_classes": self.num_classes,
            "seed": self.seed,
            "ema_images": self.ema_images,
        }
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator", "generator_loss", "discriminator_loss"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
