"""Text-to-image GAN: a caption encoder with its vocabulary inside the model, conditioning augmentation, a
generator on [z, c], and a matching-aware projection discriminator (GAN-CLS) with GAN-INT interpolations.

References:
    Reed et al., "Generative Adversarial Text to Image Synthesis" (https://arxiv.org/abs/1605.05396): GAN-CLS and
        GAN-INT.
    Zhang et al., StackGAN (https://arxiv.org/abs/1612.03242): conditioning augmentation.
    Miyato & Koyama, "cGANs with Projection Discriminator" (https://arxiv.org/abs/1802.05637).
"""

import keras
import tensorflow as tf
from keras import layers, ops

from keras_gen.layers.conditional_batch_norm import ConditionalBatchNormalization
from keras_gen.layers.conditioning_augmentation import ConditioningAugmentation
from keras_gen.layers.spectral_norm import SpectralNormalization
from keras_gen.losses import text_to_image as t2i_losses
from keras_gen.models.adversarial import AdversarialModel
from keras_gen.models.gan_networks import build_dcgan_discriminator, num_upsamplings
from keras_gen.utils.distribute import dense_gradients, per_replica_loss

# ---------------------------------------------------------------------------------------------------------------
# networks


def build_text_encoder(captions, embedding_dim=64, max_tokens=200, max_length=16, token_dim=32, units=64,
                       name="text_encoder"):
    """`captions tf.string (batch,) -> (batch, embedding_dim)`: a `TextVectorization` layer adapted to `captions`
    (lower-cased, punctuation stripped, unknown words -> the OOV token `[UNK]`), a masked embedding, a
    bidirectional GRU and a dense projection to length sqrt(embedding_dim). The vocabulary is part of the model:
    `.keras` files and SavedModel exports carry it, so they take raw strings."""
    vectorize = layers.TextVectorization(max_tokens=max_tokens, output_sequence_length=max_length,
                                         name=f"{name}_vectorize")
    vectorize.adapt(tf.constant(list(captions)))
    text = keras.Input((), dtype="string", name=f"{name}_text")
    tokens = vectorize(text)  # (batch, max_length) int, 0 = padding, 1 = OOV
    x = layers.Embedding(vectorize.vocabulary_size(), token_dim, mask_zero=True, name=f"{name}_tokens")(tokens)
    x = layers.Bidirectional(layers.GRU(units), name=f"{name}_gru")(x)  # (batch, 2 * units)
    embeddings = layers.Dense(embedding_dim, name=f"{name}_projection")(x)
    # Unit length times sqrt(dim): entries of order 1 whatever the encoder's scale, so the conditioning
    # augmentation's mean starts as large as its noise (the matching loss only sees directions anyway).
    embeddings = layers.UnitNormalization(name=f"{name}_unit")(embeddings)
    embeddings = layers.Rescaling(float(embedding_dim) ** 0.5, name=f"{name}_scale")(embeddings)
    return keras.Model(text, embeddings, name=name)


def build_text_generator(latent_dim, condition_dim, image_shape, base_filters, name="text_generator"):
    """`[z, c] -> images` in [-1, 1]: DCGAN's generator (dense projection, stride-2 transposed convs, tanh) on the
    concatenation of z and the condition, with every batch norm conditioned on c (gamma and beta linear in c, as
    BigGAN conditions on its class embedding): the caption then shapes every resolution, not only the first map."""
    steps = num_upsamplings(image_shape)
    size = image_shape[0] // 2**steps
    z = keras.Input((latent_dim,), name=f"{name}_z")
    condition = keras.Input((condition_dim,), name=f"{name}_condition")
    joint = layers.Concatenate(name=f"{name}_z_and_condition")([z, condition])  # (batch, latent + condition)
    filters = base_filters * 2**steps
    x = layers.Dense(size * size * filters, use_bias=False, name=f"{name}_project")(joint)
    x = layers.Reshape((size, size, filters), name=f"{name}_reshape")(x)  # (batch, size, size, filters)
    x = ConditionalBatchNormalization(name=f"{name}_project_cbn")(x, condition)
    x = layers.ReLU(name=f"{name}_project_act")(x)
    for block in range(1, steps):
        filters //= 2
        x = layers.Conv2DTranspose(filters, 4, 2, padding="same", use_bias=False, name=f"{name}_block{block}_deconv")(x)
        x = ConditionalBatchNormalization(name=f"{name}_block{block}_cbn")(x, condition)
        x = layers.ReLU(name=f"{name}_block{block}_act")(x)
    x = layers.Conv2DTranspose(image_shape[-1], 4, 2, padding="same", name=f"{name}_output_deconv")(x)
    images = layers.Activation("tanh", dtype="float32", name=f"{name}_images")(x)  # (batch, H, W, C)
    return keras.Model([z, condition], images, name=name)


def build_matching_discriminator(image_shape, embedding_dim, base_filters, projection_dim=128, spectral_norm=True,
                                 name="matching_discriminator"):
    """`[images, text embeddings] -> logits (batch, 1)`: strided convs to features phi(x), then
    `logits = w . phi(x) + <V e, phi(x)>`, the projection discriminator with a linear map of the text embedding
    in place of a class embedding."""
    images = keras.Input(tuple(image_shape), name=f"{name}_images")
    text = keras.Input((embedding_dim,), name=f"{name}_text")
    trunk = build_dcgan_discriminator(image_shape, base_filters, spectral_norm=spectral_norm,
                                      normalization=None if spectral_norm else "batch", name=f"{name}_trunk")
    features = trunk.get_layer(f"{name}_trunk_features").output
    trunk_features = keras.Model(trunk.inputs, features, name=f"{name}_features")
    x = trunk_features(images)  # (batch, size * size * filters)
    dense = layers.Dense(projection_dim, name=f"{name}_phi")
    phi = layers.LeakyReLU(0.2, name=f"{name}_phi_act")(
        SpectralNormalization(dense, name=f"{name}_phi_sn")(x) if spectral_norm else dense(x))
    text_projection = layers.Dense(projection_dim, use_bias=False, name=f"{name}_text_projection")(text)
    unconditional = layers.Dense(1, name=f"{name}_logits")(phi)
    projection = layers.Dot(axes=1, name=f"{name}_projection")([text_projection, phi])  # (batch, 1)
    logits = layers.Add(name=f"{name}_projected_logits")([unconditional, projection])
    return keras.Model([images, text], logits, name=name)


def build_image_encoder(image_shape, embedding_dim, base_filters, name="image_encoder"):
    """`images -> (batch, embedding_dim)`: the image side of image-text matching (and of R-precision)."""
    images = keras.Input(tuple(image_shape), name=f"{name}_images")
    x = images
    for block, filters in enumerate((base_filters, 2 * base_filters), start=1):
        x = layers.Conv2D(filters, 3, 2, padding="same", name=f"{name}_conv{block}")(x)
        x = layers.LeakyReLU(0.2, name=f"{name}_act{block}")(x)
    x = layers.Flatten(name=f"{name}_flatten")(x)
    return keras.Model(images, layers.Dense(embedding_dim, name=f"{name}_projection")(x), name=name)


# ---------------------------------------------------------------------------------------------------------------
# the trainer


@keras.saving.register_keras_serializable(package="keras_gen")
class TextToImageGAN(AdversarialModel):
    """GAN-CLS + GAN-INT with conditioning augmentation and an image-text matching term.

    Per batch of `(images in [-1, 1], captions)`:
    - discriminator step (D, text encoder, image encoder): `gan_cls_discriminator_loss` on (real, caption),
      (real, another image's caption: the batch rolled by one), (fake, caption), plus `matching_weight` times the
      contrastive `matching_loss` of image and text embeddings. The text encoder learns from both.
    - generator step (G, conditioning augmentation): `gan_cls_generator_loss` of (fake, caption), plus
      `interpolation_weight` times that of images generated from GAN-INT embeddings `b e_i + (1 - b) e_j`
      (no caption exists for them; D judges them with the interpolated embedding), plus `kl_weight` times the CA KL.
      The text embedding is a fixed input here (stop-gradient): G adapts to the encoder, not the reverse.

    Args:
        text_encoder: `captions (batch,) string -> (batch, embedding_dim)`.
        generator: `[z, c] -> images`.
        discriminator: `[images, text embeddings] -> logits`.
        image_encoder: `images -> (batch, embedding_dim)`, or None (no matching term; no R-precision).
        latent_dim: size of z. condition_dim: size of c.
        kl_weight, interpolation_weight, matching_weight, temperature: loss weights and the matching temperature.
        interpolation: b of GAN-INT (0.5 in the paper).
        example_captions: a few training-style captions, kept for apps and exports to pre-fill.
        seed: seed of the latent and CA draws.
    """

    def __init__(self, text_encoder, generator, discriminator, image_encoder=None, latent_dim=32, condition_dim=16,
                 kl_weight=1.0, interpolation_weight=1.0, matching_weight=1.0, temperature=0.1, interpolation=0.5,
                 example_captions=(), seed=None, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("latent_dim", latent_dim), ("condition_dim", condition_dim)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
        for name, value in (("kl_weight", kl_weight), ("interpolation_weight", interpolation_weight),
                            ("matching_weight", matching_weight)):
            if not value >= 0:
                raise ValueError(f"`{name}` must be >= 0. Received: {name}={value!r}")
        if matching_weight > 0 and image_encoder is None:
            raise ValueError(f"`matching_weight` > 0 needs an `image_encoder`. Received: matching_weight={matching_weight}")
        if not 0.0 <= interpolation <= 1.0:
            raise ValueError(f"`interpolation` must be in [0, 1]. Received: interpolation={interpolation!r}")
        self.text_encoder = text_encoder
        self.generator = generator
        self.discriminator = discriminator
        self.image_encoder = image_encoder
        self.latent_dim = latent_dim
        self.condition_dim = condition_dim
        self.kl_weight = float(kl_weight)
        self.interpolation_weight = float(interpolation_weight)
        self.matching_weight = float(matching_weight)
        self.temperature = float(temperature)
        self.interpolation = float(interpolation)
        self.example_captions = tuple(str(c) for c in example_captions)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.conditioning = ConditioningAugmentation(condition_dim, seed=None if seed is None else seed + 1,
                                                     name="conditioning_augmentation")
        self.conditioning.build((None, int(text_encoder.output_shape[-1])))
        self.trackers = {name: keras.metrics.Mean(name=name) for name in (
            "d_loss", "g_loss", "kl", "matching_loss", "real_logits", "mismatched_logits", "fake_logits")}
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def image_shape(self):
        return tuple(int(d) for d in self.generator.output_shape[1:])

    @property
    def generator_weights(self):
        return self.generator.trainable_variables + self.conditioning.trainable_variables

    @property
    def discriminator_weights(self):
        encoders = self.text_encoder.trainable_variables
        if self.image_encoder is not None:
            encoders = encoders + self.image_encoder.trainable_variables
        return self.discriminator.trainable_variables + encoders

    # ----------------------------------------------------------------------------------------------------------
    # inference

    def encode_text(self, captions, training=False):
        return self.text_encoder(ops.convert_to_tensor(captions, "string"), training=training)

    def generate(self, captions, z, noise, training=False):
        """Images in [-1, 1] for `captions` from latents `z` (batch, latent_dim) and CA draws `noise`
        (batch, condition_dim)."""
        condition, _, _ = self.conditioning(self.encode_text(captions, training), noise=ops.convert_to_tensor(noise, "float32"))
        return self.generator([ops.convert_to_tensor(z, "float32"), condition], training=training)

    def draws(self, count, seed):
        """`(z, noise)` fixed by an integer seed: one stateless normal draw, split (what the export's
        `generate(text, seed)` uses)."""
        shape = tf.stack([tf.cast(count, tf.int32), self.latent_dim + self.condition_dim])
        values = tf.random.stateless_normal(shape, tf.stack([tf.cast(seed, tf.int32), 0]))
        return values[:, :self.latent_dim], values[:, self.latent_dim:]

    def sample(self, captions, seed):
        """One image in [-1, 1] per caption, the draws fixed by `seed`."""
        z, noise = self.draws(len(captions), seed)
        return self.generate(captions, z, noise)

    def call(self, inputs, training=False):
        """`[captions, z, noise] -> images` in [-1, 1]."""
        captions, z, noise = inputs
        return self.generate(captions, z, noise, training=training)

    # ----------------------------------------------------------------------------------------------------------
    # training

    def _condition(self, embeddings):
        return self.conditioning(embeddings)

    def _latents(self, batch_size):
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    def _unpack(self, data):
        if not isinstance(data, (tuple, list)) or len([d for d in data if d is not None]) < 2:
            raise ValueError("A text-to-image GAN trains on (images, captions) batches: load a captioned dataset.")
        images, captions = data[0], data[1]
        return ops.convert_to_tensor(images), ops.convert_to_tensor(captions)

    def discriminator_losses(self, images, captions, training=True):
        """-> (loss, logs) of the discriminator step."""
        embeddings = self.text_encoder(captions, training=training)
        batch_size = ops.shape(images)[0]
        condition, _, _ = self._condition(ops.stop_gradient(embeddings))
        fake = ops.stop_gradient(self.generator([self._latents(batch_size), condition], training=training))
        mismatched = ops.roll(embeddings, 1, axis=0)  # another image's caption
        real_logits = self.discriminator([images, embeddings], training=training)
        mismatched_logits = self.discriminator([images, mismatched], training=training)
        fake_logits = self.discriminator([fake, embeddings], training=training)
        loss = t2i_losses.gan_cls_discriminator_loss(real_logits, mismatched_logits, fake_logits)
        logs = {"real_logits": ops.mean(real_logits), "mismatched_logits": ops.mean(mismatched_logits),
                "fake_logits": ops.mean(fake_logits), "matching_loss": ops.zeros(())}
        if self.matching_weight > 0:
            logs["matching_loss"] = t2i_losses.matching_loss(self.image_encoder(images, training=training), embeddings,
                                                             self.temperature)
            loss = loss + self.matching_weight * logs["matching_loss"]
        return loss, logs

    def generator_losses(self, captions, batch_size, training=True):
        """-> (loss, logs) of the generator step."""
        embeddings = ops.stop_gradient(self.text_encoder(captions, training=False))
        condition, mean, log_sigma = self._condition(embeddings)
        fake = self.generator([self._latents(batch_size), condition], training=training)
        loss = t2i_losses.gan_cls_generator_loss(self.discriminator([fake, embeddings], training=training))
        kl = t2i_losses.conditioning_kl(mean, log_sigma)
        loss = loss + self.kl_weight * kl
        if self.interpolation_weight > 0:  # GAN-INT: captions between two real ones
            between = self.interpolation * embeddings + (1.0 - self.interpolation) * ops.roll(embeddings, 1, axis=0)
            between_condition, _, _ = self._condition(between)
            between_fake = self.generator([self._latents(batch_size), between_condition], training=training)
            between_logits = self.discriminator([between_fake, between], training=training)
            loss = loss + self.interpolation_weight * t2i_losses.gan_cls_generator_loss(between_logits)
        return loss, {"kl": kl}

    def train_step(self, data):
        images, captions = self._unpack(data)
        batch_size = ops.shape(images)[0]
        with tf.GradientTape() as tape:
            d_loss, d_logs = self.discriminator_losses(images, captions)
            scaled = self.d_optimizer.scale_loss(per_replica_loss(d_loss))
        weights = self.discriminator_weights
        self.d_optimizer.apply(dense_gradients(tape.gradient(scaled, weights)), weights)
        with tf.GradientTape() as tape:
            g_loss, g_logs = self.generator_losses(captions, batch_size)
            scaled = self.g_optimizer.scale_loss(per_replica_loss(g_loss))
        weights = self.generator_weights
        self.g_optimizer.apply(dense_gradients(tape.gradient(scaled, weights)), weights)
        return self._update(d_loss, g_loss, {**d_logs, **g_logs})

    def test_step(self, data):
        images, captions = self._unpack(data)
        d_loss, d_logs = self.discriminator_losses(images, captions, training=False)
        g_loss, g_logs = self.generator_losses(captions, ops.shape(images)[0], training=False)
        return self._update(d_loss, g_loss, {**d_logs, **g_logs})

    def _update(self, d_loss, g_loss, logs):
        values = {"d_loss": d_loss, "g_loss": g_loss, **logs}
        for name, tracker in self.trackers.items():
            tracker.update_state(values[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # ----------------------------------------------------------------------------------------------------------
    # saving

    def save_own_variables(self, store):
        super().save_own_variables(store)  # with the trainer's own seed generator (AdversarialModel)
        store["conditioning_seed_state"] = ops.convert_to_numpy(self.conditioning.seed_generator.state)

    def load_own_variables(self, store):
        store = {key: store[key] for key in store.keys()}
        if "conditioning_seed_state" in store:
            self.conditioning.seed_generator.state.assign(store.pop("conditioning_seed_state"))
        super().load_own_variables(store)

    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        return {
            **super().get_config(),
            "text_encoder": serialize(self.text_encoder),
            "generator": serialize(self.generator),
            "discriminator": serialize(self.discriminator),
            "image_encoder": None if self.image_encoder is None else serialize(self.image_encoder),
            "latent_dim": self.latent_dim,
            "condition_dim": self.condition_dim,
            "kl_weight": self.kl_weight,
            "interpolation_weight": self.interpolation_weight,
            "matching_weight": self.matching_weight,
            "temperature": self.temperature,
            "interpolation": self.interpolation,
            "example_captions": list(self.example_captions),
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("text_encoder", "generator", "discriminator", "image_encoder"):
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
