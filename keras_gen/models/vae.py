"""Variational autoencoder with a diagonal Gaussian posterior and a Bernoulli or Gaussian decoder.

Reference: Kingma & Welling, "Auto-Encoding Variational Bayes" (https://arxiv.org/abs/1312.6114);
Burda et al., "Importance Weighted Autoencoders" (https://arxiv.org/abs/1509.00519) for the k-sample bound.
"""

import math

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from keras_gen.utils.distribute import per_replica_loss, replica_draw
from keras_gen.utils.latents import stateless_latents

tfd = tfp.distributions

LIKELIHOODS = ("bernoulli", "gaussian")
MIN_SCALE = 1e-4  # keeps q(z|x) proper when softplus underflows


@keras.saving.register_keras_serializable(package="keras_gen")
class VAE(keras.Model):
    """Trainer and inference model for a VAE with q(z|x) = N(mean(x), diag(scale(x)^2)) and p(z) = N(0, I).

    Args:
        encoder: a Keras model mapping images (batch, H, W, C) in [0, 1] to `[mean, scale_logits]`, each
            (batch, latent_dim); the posterior scale is `softplus(scale_logits) + 1e-4`.
        decoder: a Keras model mapping z (batch, latent_dim) to (batch, H, W, C): Bernoulli logits or
            Gaussian means, as `likelihood` says.
        latent_dim: size of z; must match the encoder and decoder.
        likelihood: "bernoulli" (binary or binarized pixels) or "gaussian" (a learned per-pixel scale).
        beta: weight of the KL term (1.0 is the ELBO; other values give a beta-VAE objective).
        kl_warmup_steps: the KL weight of a train step rises linearly from 0 at optimizer step 0 to `beta` at this
            step (KL annealing, Bowman et al. 2016, https://arxiv.org/abs/1511.06349; Sonderby et al. 2016,
            https://arxiv.org/abs/1602.02282); 0 turns it off. The weight is read from `optimizer.iterations`, so
            a resumed run continues the warm-up where it stopped. Evaluation (`test_step`, `elbo`) always uses
            `beta`.
        seed: seed of the reparameterization noise.

    Call arguments:
        images: (batch, H, W, C) in [0, 1]. Returns the reconstruction from the posterior mean, in [0, 1].
    """

    def __init__(self, encoder, decoder, latent_dim=20, likelihood="bernoulli", beta=1.0, kl_warmup_steps=0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"`likelihood` must be one of {LIKELIHOODS}. Received: likelihood={likelihood!r}")
        if not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"`latent_dim` must be a positive integer. Received: latent_dim={latent_dim!r}")
        if beta < 0:
            raise ValueError(f"`beta` must be >= 0. Received: beta={beta!r}")
        if not isinstance(kl_warmup_steps, int) or isinstance(kl_warmup_steps, bool) or kl_warmup_steps < 0:
            raise ValueError(f"`kl_warmup_steps` must be a non-negative integer. Received: kl_warmup_steps={kl_warmup_steps!r}")
        encoder_outputs = encoder.outputs if hasattr(encoder, "outputs") and encoder.outputs else None
        if encoder_outputs is not None and (len(encoder_outputs) != 2 or encoder_outputs[0].shape[-1] != latent_dim):
            raise ValueError(
                "`encoder` must output [mean, scale_logits], each (batch, latent_dim). "
                f"Received: encoder outputs {[tuple(o.shape) for o in encoder_outputs]} with latent_dim={latent_dim}"
            )
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = latent_dim
        self.likelihood = likelihood
        self.beta = float(beta)
        self.kl_warmup_steps = kl_warmup_steps
        self.seed = seed
        self.image_shape = tuple(decoder.output_shape[1:])
        self.seed_generator = keras.random.SeedGenerator(seed)
        if likelihood == "gaussian":
            self.decoder_log_scale = self.add_weight(
                shape=self.image_shape, initializer="zeros", name="decoder_log_scale"
            )
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        # The encoder and decoder arrive built, so the model is too: saving, loading and restoring the optimizer
        # state of a model that was only ever trained (never called) then work.
        self.built = True

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    # Distributions -------------------------------------------------------------------------------------------

    def posterior(self, images, training=False):
        """q(z|x) as a tfp distribution with event shape (latent_dim,)."""
        mean, scale_logits = self.encoder(images, training=training)
        scale = tf.nn.softplus(tf.cast(scale_logits, tf.float32)) + MIN_SCALE
        return tfd.Independent(tfd.Normal(tf.cast(mean, tf.float32), scale), reinterpreted_batch_ndims=1)

    def prior(self):
        return tfd.Independent(
            tfd.Normal(tf.zeros([self.latent_dim]), tf.ones([self.latent_dim])), reinterpreted_batch_ndims=1
        )

    def observation_model(self, z, training=False):
        """p(x|z) with event shape (H, W, C)."""
        outputs = tf.cast(self.decoder(z, training=training), tf.float32)
        if self.likelihood == "bernoulli":
            return tfd.Independent(tfd.Bernoulli(logits=outputs, dtype=tf.float32), reinterpreted_batch_ndims=3)
        scale = tf.exp(tf.cast(self.decoder_log_scale, tf.float32))
        return tfd.Independent(tfd.Normal(outputs, scale), reinterpreted_batch_ndims=3)

    # Losses --------------------------------------------------------------------------------------------------

    def compute_terms(self, images, training=False):
        """Per-example (reconstruction, kl) in nats: -E_q[log p(x|z)] (one sample) and KL(q(z|x) || p(z))."""
        images = tf.cast(images, tf.float32)
        posterior = self.posterior(images, training=training)
        # Reparameterization: z = mean + scale * eps keeps the sample differentiable in the encoder outputs.
        noise = replica_draw(lambda shape: keras.random.normal(shape, seed=self.seed_generator), tf.shape(posterior.mean()))
        z = posterior.mean() + posterior.stddev() * noise
        reconstruction = -self.observation_model(z, training=training).log_prob(images)
        kl = tfd.kl_divergence(posterior, self.prior())
        return reconstruction, kl

    def kl_weight(self, step):
        """The KL weight of the train step at optimizer step `step` (0-based): `beta * min(1, step / kl_warmup_steps)`."""
        if not self.kl_warmup_steps:
            return tf.constant(self.beta, tf.float32)
        progress = tf.cast(step, tf.float32) / float(self.kl_warmup_steps)
        return self.beta * tf.minimum(progress, 1.0)

    def _step_metrics(self, reconstruction, kl, kl_weight):
        loss = tf.reduce_mean(reconstruction + kl_weight * kl)
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(tf.reduce_mean(reconstruction))
        self.kl_tracker.update_state(tf.reduce_mean(kl))
        return loss

    def train_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape() as tape:
            reconstruction, kl = self.compute_terms(images, training=True)
            kl_weight = self.kl_weight(self.optimizer.iterations)
            loss = tf.reduce_mean(reconstruction + kl_weight * kl)
            scaled_loss = self.optimizer.scale_loss(per_replica_loss(loss))
        gradients = tape.gradient(scaled_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        self._step_metrics(reconstruction, kl, kl_weight)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        self._step_metrics(*self.compute_terms(images, training=False), self.beta)
        return {m.name: m.result() for m in self.metrics}

    # Inference -----------------------------------------------------------------------------------------------

    def call(self, images, training=False):
        return self.decode(self.posterior(images, training=training).mean(), training=training)

    def encode(self, images):
        """images (batch, H, W, C) -> (mean, scale), each (batch, latent_dim)."""
        posterior = self.posterior(images)
        return posterior.mean(), posterior.stddev()

    def decode(self, z, training=False):
        """z (batch, latent_dim) -> the mean of p(x|z), (batch, H, W, C) in [0, 1]."""
        outputs = tf.cast(self.decoder(z, training=training), tf.float32)
        return tf.sigmoid(outputs) if self.likelihood == "bernoulli" else tf.clip_by_value(outputs, 0.0, 1.0)

    def sample_prior(self, num, seed):
        """`num` codes z ~ N(0, I), reproducible from the integer `seed`."""
        return stateless_latents(num, self.latent_dim, seed)

    def generate(self, num, seed=0):
        """Decoded prior samples, (num, H, W, C) in [0, 1]."""
        return self.decode(self.sample_prior(num, seed))

    def elbo(self, images):
        """Per-example ELBO in nats (single-sample reconstruction term, closed-form KL)."""
        reconstruction, kl = self.compute_terms(images)
        return -(reconstruction + kl)

    def iw_log_likelihood(self, images, num_samples=1000, chunk_size=250):
        """Importance-weighted estimate of log p(x) per example, in nats (Burda et al. 2015):

        log p(x) ~= logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log k,  z_k ~ q(z|x).
        """
        if num_samples < 1:
            raise ValueError(f"`num_samples` must be >= 1. Received: num_samples={num_samples!r}")
        images = tf.convert_to_tensor(images, tf.float32)
        posterior = self.posterior(images)
        prior = self.prior()
        log_weights = []
        for start in range(0, num_samples, chunk_size):
            count = min(chunk_size, num_samples - start)
            noise = keras.random.normal((count,) + tuple(posterior.mean().shape), seed=self.seed_generator)
            z = posterior.mean()[None] + posterior.stddev()[None] * noise  # (count, batch, latent)
            flat_z = tf.reshape(z, [-1, self.latent_dim])  # (count * batch, latent)
            repeated = tf.tile(images, [count, 1, 1, 1])  # (count * batch, H, W, C), z's order
            log_px_z = tf.reshape(self.observation_model(flat_z).log_prob(repeated), [count, -1])
            log_weights.append(log_px_z + prior.log_prob(z) - posterior.log_prob(z))  # (count, batch)
        log_weights = tf.concat(log_weights, axis=0)
        return tf.reduce_logsumexp(log_weights, axis=0) - math.log(num_samples)

    def get_config(self):
        config = {
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "latent_dim": self.latent_dim,
            "likelihood": self.likelihood,
            "beta": self.beta,
            "kl_warmup_steps": self.kl_warmup_steps,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)


# Networks ----------------------------------------------------------------------------------------------------


def build_mlp_encoder(image_shape=(28, 28, 1), hidden_units=(400,), latent_dim=20, name="mlp_encoder"):
    """The lecture's fully connected encoder: 784-400-(2 x 20) by default."""
    images = keras.Input(shape=image_shape, name=f"{name}_images")
    x = keras.layers.Flatten(name=f"{name}_flatten")(images)
    for index, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, activation="relu", name=f"{name}_dense{index + 1}")(x)
    mean = keras.layers.Dense(latent_dim, name=f"{name}_mean", dtype="float32")(x)
    scale_logits = keras.layers.Dense(latent_dim, name=f"{name}_scale_logits", dtype="float32")(x)
    return keras.Model(images, [mean, scale_logits], name=name)


def build_mlp_decoder(image_shape=(28, 28, 1), hidden_units=(400,), latent_dim=20, name="mlp_decoder"):
    """Mirror of the encoder: 20-400-784 by default, returning (batch, H, W, C) logits or means."""
    z = keras.Input(shape=(latent_dim,), name=f"{name}_z")
    x = z
    for index, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, activation="relu", name=f"{name}_dense{index + 1}")(x)
    x = keras.layers.Dense(int(np.prod(image_shape)), name=f"{name}_output", dtype="float32")(x)
    outputs = keras.layers.Reshape(image_shape, name=f"{name}_reshape")(x)  # (batch, H, W, C)
    return keras.Model(z, outputs, name=name)


def _check_conv_shape(image_shape):
    if image_shape[0] % 4 or image_shape[1] % 4:
        raise ValueError(f"The conv VAE halves the image twice: height and width must be multiples of 4. "
                         f"Received: image_shape={tuple(image_shape)}")


def build_conv_encoder(image_shape=(28, 28, 1), filters=(32, 64), latent_dim=20, hidden_units=256, name="conv_encoder"):
    """Two stride-2 convolutions, then dense heads for the posterior mean and scale."""
    _check_conv_shape(image_shape)
    images = keras.Input(shape=image_shape, name=f"{name}_images")
    x = images
    for index, count in enumerate(filters):
        x = keras.layers.Conv2D(count, 3, strides=2, padding="same", activation="relu", name=f"{name}_conv{index + 1}")(x)
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)  # (batch, H/4 * W/4 * filters[-1])
    x = keras.layers.Dense(hidden_units, activation="relu", name=f"{name}_dense")(x)
    mean = keras.layers.Dense(latent_dim, name=f"{name}_mean", dtype="float32")(x)
    scale_logits = keras.layers.Dense(latent_dim, name=f"{name}_scale_logits", dtype="float32")(x)
    return keras.Model(images, [mean, scale_logits], name=name)


def build_conv_decoder(image_shape=(28, 28, 1), filters=(64, 32), latent_dim=20, hidden_units=256, name="conv_decoder"):
    """Dense to a (H/4, W/4) map, two stride-2 transposed convolutions, a 3x3 conv to C channels."""
    _check_conv_shape(image_shape)
    height, width = image_shape[0] // 4, image_shape[1] // 4
    z = keras.Input(shape=(latent_dim,), name=f"{name}_z")
    x = keras.layers.Dense(hidden_units, activation="relu", name=f"{name}_dense")(z)
    x = keras.layers.Dense(height * width * filters[0], activation="relu", name=f"{name}_project")(x)
    x = keras.layers.Reshape((height, width, filters[0]), name=f"{name}_reshape")(x)  # (batch, H/4, W/4, F)
    for index, count in enumerate(filters):
        x = keras.layers.Conv2DTranspose(
            count, 3, strides=2, padding="same", activation="relu", name=f"{name}_deconv{index + 1}"
        )(x)
    outputs = keras.layers.Conv2D(image_shape[-1], 3, padding="same", name=f"{name}_output", dtype="float32")(x)
    return keras.Model(z, outputs, name=name)


ARCHITECTURES = {
    "mlp": (build_mlp_encoder, build_mlp_decoder),
    "conv": (build_conv_encoder, build_conv_decoder),
}


def build_vae(image_shape=(28, 28, 1), latent_dim=20, architecture="mlp", likelihood="bernoulli", beta=1.0,
              hidden_units=None, kl_warmup_steps=0, seed=None):
    """A VAE with the named encoder/decoder pair (`mlp`: the lecture's 784-400-20 model; `conv`)."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"`architecture` must be one of {sorted(ARCHITECTURES)}. Received: architecture={architecture!r}")
    build_encoder, build_decoder = ARCHITECTURES[architecture]
    kwargs = {} if hidden_units is None else {"hidden_units": hidden_units}
    encoder = build_encoder(image_shape=image_shape, latent_dim=latent_dim, **kwargs)
    decoder = build_decoder(image_shape=image_shape, latent_dim=latent_dim, **kwargs)
    return VAE(encoder, decoder, latent_dim=latent_dim, likelihood=likelihood, beta=beta,
               kl_warmup_steps=kl_warmup_steps, seed=seed, name=f"{architecture}_vae")
