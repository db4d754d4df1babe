"""Plain-Keras reference trainers for `speed.py --paired`, and the arithmetic of its alternating pairs.

The reference trainers train the project's networks the way the Keras examples do.
Each reference is a `keras.Model` subclass with a plain `train_step` (one `tf.GradientTape` per network,
`keras.metrics.Mean` trackers) and none of keras_gen's trainer code: no tfp distributions, no distribution-strategy
helpers, no loss-function indirection, no EMA. It trains fresh copies (`keras.models.clone_model`: same
architecture, new weights) of the networks a project model was built with, with fresh copies of its optimizers
(same class, learning rate or schedule and betas), so the two differ only in the trainer.

References: the Keras examples "Variational AutoEncoder" (https://keras.io/examples/generative/vae/) and
"DCGAN to generate face images" (https://keras.io/examples/generative/dcgan_overriding_train_step/).
"""

import statistics

import keras
import tensorflow as tf

_MIN_SCALE = 1e-4  # the project encoder's scale parameterization: softplus(scale_logits) + 1e-4


def _fresh_copy(network):
    """Same architecture, freshly initialized weights."""
    return keras.models.clone_model(network)


def _fresh_optimizer(optimizer):
    """Same class and settings (learning rate or schedule, betas), no state."""
    return type(optimizer).from_config(optimizer.get_config())


class ReferenceVAE(keras.Model):
    """The textbook ELBO step: reparameterized z, Bernoulli reconstruction, closed-form KL to N(0, I).

    The encoder outputs `[mean, scale_logits]` (the project's parameterization, so the same network fits), the
    decoder Bernoulli logits.
    """

    def __init__(self, encoder, decoder, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.total_loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def train_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape() as tape:
            mean, scale_logits = self.encoder(images, training=True)
            scale = tf.nn.softplus(scale_logits) + _MIN_SCALE
            z = mean + scale * keras.random.normal(tf.shape(mean), seed=self.seed_generator)
            logits = self.decoder(z, training=True)
            # -log p(x|z), summed over pixels: (batch,)
            reconstruction_loss = tf.reduce_sum(
                tf.nn.sigmoid_cross_entropy_with_logits(labels=images, logits=logits), axis=[1, 2, 3])
            # KL(N(mean, scale^2) || N(0, I)), summed over latents: (batch,)
            kl_loss = 0.5 * tf.reduce_sum(tf.square(mean) + tf.square(scale) - 1.0 - 2.0 * tf.math.log(scale), axis=1)
            total_loss = tf.reduce_mean(reconstruction_loss + kl_loss)
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(tf.reduce_mean(reconstruction_loss))
        self.kl_loss_tracker.update_state(tf.reduce_mean(kl_loss))
        return {m.name: m.result() for m in self.metrics}


class ReferenceGAN(keras.Model):
    """The Keras DCGAN example's step: D on real and fake with BCE from logits, then G with the non-saturating
    loss (fake labelled real); with `num_classes`, both networks also take the batch's labels (cgan).

    D sees the real and the fake batch in two calls, as the project's trainer does (the example concatenates
    them, which only matches when D has no batch norm; the project's D has it).
    """

    def __init__(self, generator, discriminator, latent_dim, num_classes=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, data):
        if self.num_classes is None:
            real_images = data[0] if isinstance(data, (tuple, list)) else data
            labels = None
        else:
            real_images, labels = data
        batch_size = tf.shape(real_images)[0]

        def with_labels(inputs):
            return inputs if labels is None else [inputs, labels]

        # Train the discriminator on a real and a generated batch.
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        fake_images = self.generator(with_labels(z), training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(with_labels(real_images), training=True)
            fake_logits = self.discriminator(with_labels(fake_images), training=True)
            d_loss = (self.loss_fn(tf.ones_like(real_logits), real_logits)
                      + self.loss_fn(tf.zeros_like(fake_logits), fake_logits))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        # Train the generator: its samples labelled "real" (non-saturating loss), without touching D's weights.
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(with_labels(self.generator(with_labels(z), training=True)), training=True)
            g_loss = self.loss_fn(tf.ones_like(fake_logits), fake_logits)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


def reference_for(project_model, jit_compile=False, seed=0):
    """The compiled plain-Keras reference for a compiled project VAE or GAN (Bernoulli VAE; non-saturating GAN
    with one D step and a Gaussian prior: the recipes of `vae`, `dcgan` and `cgan`)."""
    if hasattr(project_model, "encoder"):
        if project_model.likelihood != "bernoulli" or project_model.beta != 1.0 or project_model.kl_warmup_steps:
            raise ValueError("The reference VAE is the plain ELBO with a Bernoulli decoder (beta 1, no KL warm-up). "
                             f"Received: likelihood={project_model.likelihood!r}, beta={project_model.beta}, "
                             f"kl_warmup_steps={project_model.kl_warmup_steps}")
        reference = ReferenceVAE(_fresh_copy(project_model.encoder), _fresh_copy(project_model.decoder), seed=seed,
                                 name="reference_vae")
        reference.compile(optimizer=_fresh_optimizer(project_model.optimizer), jit_compile=jit_compile)
        return reference
    if project_model.d_steps != 1 or project_model.prior != "gaussian" or project_model.gradient_penalty_weight:
        raise ValueError("The reference GAN is the DCGAN example's step: one D step, Gaussian prior, no penalty. "
                         f"Received: d_steps={project_model.d_steps}, prior={project_model.prior!r}, "
                         f"gradient_penalty_weight={project_model.gradient_penalty_weight}")
    reference = ReferenceGAN(_fresh_copy(project_model.generator), _fresh_copy(project_model.discriminator),
                             latent_dim=project_model.latent_dim, num_classes=project_model.num_classes, seed=seed,
                             name=f"reference_{project_model.name}")
    reference.compile(d_optimizer=_fresh_optimizer(project_model.d_optimizer),
                      g_optimizer=_fresh_optimizer(project_model.g_optimizer), jit_compile=jit_compile)
    return reference


# Alternating pairs ------------------------------------------------------------------------------------------

REFERENCE = "reference"


def alternating_order(arms, rounds):
    """The run order of each round: `arms` in even rounds, reversed in odd ones (a b, b a, a b, ...), so every
    arm runs as often before as after each other arm and a machine that slows down during a round favors none."""
    return [list(arms) if index % 2 == 0 else list(reversed(arms)) for index in range(rounds)]


def ratio_statistics(ratios):
    """Median, min, max and quartiles (inclusive method: the quartiles lie within the data) of per-pair ratios."""
    ratios = [float(r) for r in ratios]
    q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive") if len(ratios) > 1 else (ratios[0],) * 3
    return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios), "q1": q1, "q3": q3,
            "iqr": q3 - q1, "pairs": len(ratios), "below_one": sum(r < 1.0 for r in ratios)}


def paired_rounds(run_arm, arms, rounds):
    """Runs `run_arm(arm) -> examples/s` in `alternating_order(arms, rounds)`.

    Returns `{arm: [examples/s per round]}` and, for every arm but `REFERENCE`, `{arm: [its ex/s / the
    reference's ex/s, per round]}`: each ratio compares two runs of the same round.
    """
    speeds = {arm: [] for arm in arms}
    for order in alternating_order(arms, rounds):
        for arm in order:
            speeds[arm].append(run_arm(arm))
    ratios = {arm: [a / r for a, r in zip(speeds[arm], speeds[REFERENCE])] for arm in arms if arm != REFERENCE}
    return speeds, ratios
