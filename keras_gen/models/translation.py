"""Paired image-to-image translation (pix2pix, SRGAN, SPADE) on the shared GAN trainer.

`ImageTranslationGAN` subclasses `keras_gen.models.gan.GAN` and only overrides its small hooks: a batch is
`(source, target)`, the generator's input is the source (plus a latent for SPADE), the discriminator sees
`[source, image]` (conditional) or just the image, and the generator loss adds reconstruction, feature and
KL terms to the adversarial one. The alternating updates, optimizers, loss scaling and saving are the GAN's.

The three recipes differ only in their networks and loss weights (see `pix2pix_loss_weights`, ...):

| model   | generator                 | discriminator             | generator loss                                  |
|---------|---------------------------|---------------------------|-------------------------------------------------|
| pix2pix | U-Net                     | conditional PatchGAN      | adversarial + 100 * L1                          |
| SRGAN   | SRResNet + pixel shuffle  | PatchGAN on the HR image  | 1e-3 * adversarial + content (+ L1)             |
| SPADE   | SPADE ResBlks from a map  | multi-scale cond. PatchGAN| hinge + 10 * feature matching (+ KL of styles)  |
"""

import os

import keras
from keras import ops

from keras_gen.models.gan import GAN
from keras_gen.utils.distribute import per_replica_loss, replica_draw

FEATURE_SOURCES = ("discriminator", "vgg19")
VGG_LAYER = "block2_conv2"  # 32x32 inputs leave too few pixels for the paper's block5_conv4


def discriminator_scales(outputs):
    """Discriminator outputs -> a list of `[features..., logits]` lists, one per scale.

    Accepts plain logits (a tensor), one scale's `[features..., logits]`, or a list of those (multi-scale).
    """
    if not isinstance(outputs, (list, tuple)):
        return [[outputs]]
    if isinstance(outputs[0], (list, tuple)):
        return [list(scale) for scale in outputs]
    return [list(outputs)]


def mean_over_scales(loss_fn, *scale_logits):
    """Averages a GAN loss over the scales of a multi-scale discriminator."""
    losses = [loss_fn(*logits) for logits in zip(*scale_logits)]
    return ops.mean(ops.stack(losses))


def build_vgg_feature_extractor(weights_path, input_channels, layer=VGG_LAYER):
    """VGG19 features at `layer` from user-supplied ImageNet weights (`.h5` / `.weights.h5`), inputs in [-1, 1].

    The weights file is the user's: nothing is downloaded. Gray images are repeated to 3 channels.
    """
    if not os.path.exists(weights_path):
        raise ValueError(f"`vgg_weights` must be an existing weights file. Received: vgg_weights={weights_path!r}")
    vgg = keras.applications.VGG19(include_top=False, weights=weights_path, input_shape=(None, None, 3))
    vgg.trainable = False
    features = keras.Model(vgg.input, vgg.get_layer(layer).output, name="vgg19_features")

    def extract(images):
        images = ops.cast(images, "float32")
        if input_channels == 1:
            images = ops.repeat(images, 3, axis=-1)
        # [-1, 1] -> caffe-style BGR with ImageNet means, as VGG19 was trained.
        rgb = (images + 1.0) * 127.5
        bgr = rgb[..., ::-1] - ops.convert_to_tensor([103.939, 116.779, 123.68])
        return [features(bgr, training=False)]

    return extract


@keras.saving.register_keras_serializable(package="keras_gen")
class ImageTranslationGAN(GAN):
    """Conditional GAN from a source image (or label map) to a target image, trained on aligned pairs.

    Generator loss: `adversarial_weight * adversarial + reconstruction_weight * |G(x) - y|_1
    + feature_weight * feature distance + kl_weight * KL(q(z | y) || N(0, I))`.

    The feature distance compares features of the fake and the real target:
    - with `feature_source="discriminator"` (default), the discriminator's own intermediate activations
      (every scale), L1: the feature matching loss of pix2pixHD / SPADE, and SRGAN's content loss when no
      VGG weights are available;
    - with `feature_source="vgg19"` and `vgg_weights` (a file path the user supplies), mean squared error of
      VGG19 features: SRGAN's perceptual content loss.
    `feature_source_used` records which one the model trains with.

    Args:
        generator: `source -> image`, or `[source, z] -> image` when `latent_dim` is set (SPADE).
        discriminator: `[source, image] -> outputs` when `conditional_discriminator`, else `image -> outputs`;
            outputs are logits, `[features..., logits]`, or a list of those per scale (see `discriminator_scales`).
        generator_loss, discriminator_loss: `GAN_LOSSES` names or functions (averaged over scales).
        adversarial_weight, reconstruction_weight, feature_weight, kl_weight: loss weights (>= 0).
        feature_source: "discriminator" or "vgg19".
        vgg_weights: path of VGG19 `include_top=False` weights, required for `feature_source="vgg19"`.
        conditional_discriminator: whether the discriminator also sees the source.
        latent_dim: size of the generator's latent input (SPADE), or None for a generator of the source only
            (pix2pix and SRGAN, whose only noise is dropout).
        style_encoder: optional `image -> [mean, log_var]` model (SPADE's VAE-style encoder): trained with the
            generator; in generator steps `z` is sampled from the encoding of the target (discriminator steps
            use prior draws), at inference it comes from a style image (`encode_style`) or from N(0, I).
        seed: seed for the latents and the reparameterization noise.

    References:
        pix2pix, https://arxiv.org/abs/1611.07004; SRGAN, https://arxiv.org/abs/1609.04802;
        SPADE, https://arxiv.org/abs/1903.07291; feature matching (pix2pixHD), https://arxiv.org/abs/1711.11585
    """

    def __init__(
        self,
        generator,
        discriminator,
        generator_loss="non_saturating",
        discriminator_loss="non_saturating",
        adversarial_weight=1.0,
        reconstruction_weight=100.0,
        feature_weight=0.0,
        kl_weight=0.0,
        feature_source="discriminator",
        vgg_weights=None,
        conditional_discriminator=True,
        latent_dim=None,
        style_encoder=None,
        seed=None,
        **kwargs,
    ):
        for key, value in (("adversarial_weight", adversarial_weight), ("reconstruction_weight", reconstruction_weight),
                           ("feature_weight", feature_weight), ("kl_weight", kl_weight)):
            if not value >= 0:
                raise ValueError(f"`{key}` must be >= 0. Received: {key}={value!r}")
        if feature_source not in FEATURE_SOURCES:
            raise ValueError(f"`feature_source` must be one of {FEATURE_SOURCES}. Received: feature_source={feature_source!r}")
        if feature_source == "vgg19" and vgg_weights is None:
            raise ValueError("`feature_source='vgg19'` needs the VGG19 weights file. Received: vgg_weights=None")
        if style_encoder is not None and latent_dim is None:
            raise ValueError("A style encoder needs a latent generator input: set `latent_dim`. Received: latent_dim=None")
        super().__init__(
            generator, discriminator, generator_loss=generator_loss, discriminator_loss=discriminator_loss,
            latent_dim=latent_dim or 1, seed=seed, **kwargs,
        )
        self.uses_latent = latent_dim is not None
        self.adversarial_weight = float(adversarial_weight)
        self.reconstruction_weight = float(reconstruction_weight)
        self.feature_weight = float(feature_weight)
        self.kl_weight = float(kl_weight)
        self.feature_source = feature_source
        self.vgg_weights = vgg_weights
        self.conditional_discriminator = conditional_discriminator
        self.style_encoder = style_encoder
        self.vgg_features = (
            build_vgg_feature_extractor(vgg_weights, generator.outputs[0].shape[-1])
            if feature_source == "vgg19" else None
        )
        if self.feature_weight > 0 and feature_source == "discriminator" and len(discriminator.outputs) < 2:
            raise ValueError(
                "`feature_weight` > 0 with discriminator features needs a discriminator built with "
                f"return_features=True. Received: feature_weight={feature_weight!r}"
            )
        self.reconstruction_tracker = keras.metrics.Mean(name="l1")
        self.feature_tracker = keras.metrics.Mean(name="feature_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    @property
    def source_shape(self):
        """(H, W, C) of the generator's condition: an image, or a one-hot label map (C = classes)."""
        return tuple(int(d) for d in self.generator.inputs[0].shape[1:])

    @property
    def target_shape(self):
        return tuple(int(d) for d in self.generator.outputs[0].shape[1:])

    @property
    def feature_source_used(self):
        """What the feature (content) loss compares: "vgg19:<layer>", "discriminator", or "none"."""
        if self.feature_weight == 0:
            return "none"
        return f"vgg19:{VGG_LAYER}" if self.feature_source == "vgg19" else "discriminator"

    @property
    def metrics(self):
        metrics = super().metrics + [self.reconstruction_tracker]
        if self.feature_weight > 0:
            metrics.append(self.feature_tracker)
        if self.style_encoder is not None:
            metrics.append(self.kl_tracker)
        return metrics

    # ----------------------------------------------------------------------------------------------------------
    # inference

    def encode_style(self, style_images, sample=False):
        """Style images -> latents: the encoder's mean, or (with `sample=True`) a draw from its posterior."""
        if self.style_encoder is None:
            raise ValueError("This model has no style encoder. Received: style_images")
        mean, log_var = self.style_encoder(ops.convert_to_tensor(style_images, "float32"), training=False)
        mean, log_var = ops.cast(mean, "float32"), ops.cast(log_var, "float32")
        if not sample:
            return mean
        return mean + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mean), seed=self.seed_generator)

    def translate(self, sources, z=None, seed=None):
        """Sources -> generated images; for a latent model `z` defaults to N(0, I) draws (seeded with `seed`)."""
        sources = ops.convert_to_tensor(sources, "float32")
        if not self.uses_latent:
            return self.generator(sources, training=False)
        z = self.sample_latent(int(ops.shape(sources)[0]), seed=seed) if z is None else ops.convert_to_tensor(z, "float32")
        return self.generator([sources, z], training=False)

    def call(self, inputs, training=False):
        """Generator inference: `source`, or `[source, z]` for a latent model."""
        return self.generator(inputs, training=training)

    # ----------------------------------------------------------------------------------------------------------
    # the GAN hooks

    def unpack_batch(self, data):
        """`(source, target)` -> `(real_images=target, condition=source)`."""
        if isinstance(data, (tuple, list)) and len(data) == 1:  # fit(x=(a, b)) arrives as ((a, b),)
            data = data[0]
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError("ImageTranslationGAN trains on (source, target) batches: use keras_gen.data.paired.load_pairs.")
        source, target = data
        return target, source

    def generator_inputs(self, batch_size, condition):
        condition = ops.convert_to_tensor(condition, "float32")
        return [condition, self.sample_latent(batch_size)] if self.uses_latent else condition

    def discriminator_inputs(self, images, condition):
        images = ops.convert_to_tensor(images, "float32")
        return [ops.convert_to_tensor(condition, "float32"), images] if self.conditional_discriminator else images

    def compute_discriminator_loss(self, real_images, fake_images, condition):
        real = discriminator_scales(self.discriminator(self.discriminator_inputs(real_images, condition), training=True))
        fake = discriminator_scales(self.discriminator(self.discriminator_inputs(fake_images, condition), training=True))
        real_logits, fake_logits = [s[-1] for s in real], [s[-1] for s in fake]
        loss = mean_over_scales(self.discriminator_loss, real_logits, fake_logits)
        if self.discriminator.losses:
            loss = loss + ops.cast(ops.sum(self.discriminator.losses), "float32")
        logs = {
            "real_logits": ops.mean(ops.stack([ops.mean(ops.cast(l, "float32")) for l in real_logits])),
            "fake_logits": ops.mean(ops.stack([ops.mean(ops.cast(l, "float32")) for l in fake_logits])),
        }
        return loss, logs

    def feature_distance(self, real_images, fake_images, condition, fake_outputs=None):
        """Feature (content) loss between the fake and the real target, per `feature_source`."""
        if self.feature_source == "vgg19":
            real_features = self.vgg_features(real_images)
            fake_features = self.vgg_features(fake_images)
            square = True
        else:
            real = discriminator_scales(self.discriminator(self.discriminator_inputs(real_images, condition), training=True))
            fake = fake_outputs or discriminator_scales(
                self.discriminator(self.discriminator_inputs(fake_images, condition), training=True)
            )
            real_features = [f for scale in real for f in scale[:-1]]
            fake_features = [f for scale in fake for f in scale[:-1]]
            square = False
        terms = []
        for real_f, fake_f in zip(real_features, fake_features):
            difference = ops.cast(fake_f, "float32") - ops.stop_gradient(ops.cast(real_f, "float32"))
            terms.append(ops.mean(ops.square(difference)) if square else ops.mean(ops.abs(difference)))
        return ops.mean(ops.stack(terms))

    def compute_generator_loss(self, real_images, fake_images, condition, kl=None):
        fake = discriminator_scales(self.discriminator(self.discriminator_inputs(fake_images, condition), training=True))
        adversarial = ops.mean(ops.stack([self.generator_loss(scale[-1]) for scale in fake]))
        reconstruction = ops.mean(ops.abs(ops.cast(fake_images, "float32") - ops.cast(real_images, "float32")))
        loss = self.adversarial_weight * adversarial + self.reconstruction_weight * reconstruction
        logs = {"l1": reconstruction}
        if self.feature_weight > 0:
            features = self.feature_distance(real_images, fake_images, condition, fake_outputs=fake)
            loss = loss + self.feature_weight * features
            logs["feature_loss"] = features
        if kl is not None:
            loss = loss + self.kl_weight * kl
            logs["kl"] = kl
        if self.generator.losses:
            loss = loss + ops.cast(ops.sum(self.generator.losses), "float32")
        return loss, logs

    def generator_step(self, real_images, condition):
        """One update of the generator (and the style encoder, which is trained through the generator loss)."""
        import tensorflow as tf

        batch_size = ops.shape(real_images)[0]
        weights = self.generator.trainable_weights
        encoder_weights = [] if self.style_encoder is None else self.style_encoder.trainable_weights
        with tf.GradientTape(persistent=self.style_encoder is not None) as tape:
            kl = None
            if self.style_encoder is not None:
                mean, log_var = self.style_encoder(ops.convert_to_tensor(real_images, "float32"), training=True)
                mean, log_var = ops.cast(mean, "float32"), ops.cast(log_var, "float32")
                noise = replica_draw(lambda shape: keras.random.normal(shape, seed=self.seed_generator), ops.shape(mean))
                z = mean + ops.exp(0.5 * log_var) * noise
                # KL(N(mean, var) || N(0, I)), summed over latent dims, averaged over the batch.
                kl = ops.mean(-0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1))
                inputs = [ops.convert_to_tensor(condition, "float32"), z]
            else:
                inputs = self.generator_inputs(batch_size, condition)
            fake_images = self.generator(inputs, training=True)
            loss, logs = self.compute_generator_loss(real_images, fake_images, condition, kl=kl)
            scaled_loss = self.g_optimizer.scale_loss(per_replica_loss(loss))
            encoder_loss = None if self.style_encoder is None else self.e_optimizer.scale_loss(per_replica_loss(loss))
        self.g_optimizer.apply(tape.gradient(scaled_loss, weights), weights)
        if self.style_encoder is not None:
            self.e_optimizer.apply(tape.gradient(encoder_loss, encoder_weights), encoder_weights)
        return loss, logs

    def update_trackers(self, d_loss, d_logs, g_loss, g_logs):
        super().update_trackers(d_loss, d_logs, g_loss, g_logs)
        self.reconstruction_tracker.update_state(g_logs["l1"])
        if "feature_loss" in g_logs:
            self.feature_tracker.update_state(g_logs["feature_loss"])
        if "kl" in g_logs:
            self.kl_tracker.update_state(g_logs["kl"])

    def compile(self, d_optimizer=None, g_optimizer=None, e_optimizer=None, **kwargs):
        """The GAN's two optimizers, plus (with a style encoder) `e_optimizer` for the encoder.

        The encoder is trained by the generator loss but keeps its own optimizer (default: a copy of the
        generator's configuration), because the GAN trainer builds `g_optimizer` over the generator alone.
        """
        super().compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer, **kwargs)
        self.e_optimizer = None
        if self.style_encoder is not None:
            if e_optimizer is None:
                e_optimizer = self.g_optimizer.__class__.from_config(self.g_optimizer.get_config())
            self.e_optimizer = self._loss_scaled(e_optimizer, "e_optimizer")
            self.e_optimizer.build(self.style_encoder.trainable_variables)
            self._adversarial_compile_config["e_optimizer"] = keras.saving.serialize_keras_object(self.e_optimizer)

    # ----------------------------------------------------------------------------------------------------------
    # saving

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "adversarial_weight": self.adversarial_weight,
                "reconstruction_weight": self.reconstruction_weight,
                "feature_weight": self.feature_weight,
                "kl_weight": self.kl_weight,
                "feature_source": self.feature_source,
                "vgg_weights": self.vgg_weights,
                "conditional_discriminator": self.conditional_discriminator,
                "latent_dim": self.latent_dim if self.uses_latent else None,
                "style_encoder": None if self.style_encoder is None else keras.saving.serialize_keras_object(self.style_encoder),
            }
        )
        for key in ("prior", "num_classes", "gradient_penalty_weight", "clip_value", "ema_images"):
            config.pop(key, None)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("style_encoder") is not None:
            config["style_encoder"] = keras.saving.deserialize_keras_object(config["style_encoder"])
        return super().from_config(config)


def pix2pix_loss_weights():
    """pix2pix: non-saturating adversarial loss plus lambda = 100 times L1 (Isola et al., section 4)."""
    return dict(generator_loss="non_saturating", discriminator_loss="non_saturating",
                adversarial_weight=1.0, reconstruction_weight=100.0, feature_weight=0.0)


def srgan_loss_weights():
    """SRGAN: content loss + 1e-3 adversarial (Ledig et al., eq. 3). We keep an L1 pixel term (the SRResNet
    objective) because discriminator features alone, without a pretrained VGG, are a weak content signal."""
    return dict(generator_loss="non_saturating", discriminator_loss="non_saturating",
                adversarial_weight=1e-3, reconstruction_weight=1.0, feature_weight=1.0)


def spade_loss_weights(with_style_encoder=False):
    """SPADE: hinge adversarial loss + 10 * feature matching (+ 0.05 * KL with the style encoder); SPADE
    also uses a VGG loss, left out here. We add a small L1 term so the tiny CPU runs converge quickly."""
    return dict(generator_loss="hinge", discriminator_loss="hinge", adversarial_weight=1.0,
                reconstruction_weight=10.0, feature_weight=10.0, kl_weight=0.05 if with_style_encoder else 0.0)
