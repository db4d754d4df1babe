"""Generators and discriminators for `keras_gen.models.gan.GAN`, as functional `build_*` helpers.

Every helper names every layer (`f"{name}_block1_conv"`), so checkpoints and summaries are readable.
Generators end in `tanh`: they produce images in [-1, 1] (load data with `value_range="signed"`).
Conditional networks take `[inputs, labels]` with integer labels of shape `(batch,)`.
"""

import keras
from keras import layers, ops

from keras_gen.layers.conditional_batch_norm import ConditionalBatchNormalization
from keras_gen.layers.cross_replica import CrossReplicaBatchNormalization, CrossReplicaDropout
from keras_gen.layers.self_attention import SelfAttention2D
from keras_gen.layers.spectral_norm import SpectralNormalization


@keras.saving.register_keras_serializable(package="keras_gen")
class OrthogonalRegularization(keras.regularizers.Regularizer):
    """BigGAN's orthogonal regularization: `strength * ||W^T W * (1 - I)||_F^2` with W the kernel as
    `(fan_in, units)`. Unlike plain orthogonality it leaves the filter norms free.

    Reference: Brock et al., "Large Scale GAN Training" (https://arxiv.org/abs/1809.11096), section 3.1.
    """

    def __init__(self, strength=1e-4):
        if not strength >= 0:
            raise ValueError(f"`strength` must be >= 0. Received: strength={strength!r}")
        self.strength = strength

    def __call__(self, kernel):
        weights = ops.reshape(kernel, (-1, kernel.shape[-1]))  # (fan_in, units)
        gram = ops.matmul(ops.transpose(weights), weights)  # (units, units)
        off_diagonal = gram * (1.0 - ops.eye(kernel.shape[-1], dtype=gram.dtype))
        return self.strength * ops.sum(ops.square(off_diagonal))

    def get_config(self):
        return {"strength": self.strength}


@keras.saving.register_keras_serializable(package="keras_gen")
class SplitLatent(layers.Layer):
    """Splits `(batch, sum(sizes))` latents into chunks `(batch, size_i)`: BigGAN's hierarchical latent."""

    def __init__(self, sizes, **kwargs):
        super().__init__(**kwargs)
        if not sizes or any(not isinstance(s, int) or s < 1 for s in sizes):
            raise ValueError(f"`sizes` must be a list of positive integers. Received: sizes={sizes!r}")
        self.sizes = list(sizes)

    def call(self, inputs):
        chunks, start = [], 0
        for size in self.sizes:
            chunks.append(inputs[:, start : start + size])
            start += size
        return chunks

    def compute_output_shape(self, input_shape):
        return [(input_shape[0], size) for size in self.sizes]

    def get_config(self):
        return {**super().get_config(), "sizes": self.sizes}


def _maybe_sn(layer, spectral_norm):
    return SpectralNormalization(layer, name=f"{layer.name}_sn") if spectral_norm else layer


def num_upsamplings(image_shape):
    """How many stride-2 steps from the smallest feature map to the image: 28 -> 7 (2), 32 -> 4 (3)."""
    height, width = image_shape[0], image_shape[1]
    if height != width:
        raise ValueError(f"GAN networks take square images. Received: image_shape={tuple(image_shape)}")
    steps = 0
    while height % 2 == 0 and height > 4:
        height //= 2
        steps += 1
    if steps == 0:
        raise ValueError(f"Image size must be divisible by 2 at least once. Received: image_shape={tuple(image_shape)}")
    return steps


def _check_attention_resolution(attention_resolution, resolutions):
    if attention_resolution is not None and attention_resolution not in resolutions:
        raise ValueError(
            f"`attention_resolution` must be one of the feature-map sizes {sorted(resolutions)} or None. "
            f"Received: attention_resolution={attention_resolution!r}"
        )


# ------------------------------------------------------------------------------------------------------------
# The original GAN: fully connected networks.
# Goodfellow et al., "Generative Adversarial Networks" (https://arxiv.org/abs/1406.2661).


def build_mlp_generator(latent_dim=100, image_shape=(28, 28, 1), hidden_units=(256, 512, 1024), name="mlp_generator"):
    """`z -> images`: fully connected layers with batch norm, tanh output reshaped to `image_shape`."""
    z = keras.Input((latent_dim,), name=f"{name}_z")
    x = z
    for index, units in enumerate(hidden_units, start=1):
        x = layers.Dense(units, name=f"{name}_dense{index}")(x)
        x = CrossReplicaBatchNormalization(name=f"{name}_bn{index}")(x)
        x = layers.LeakyReLU(0.2, name=f"{name}_act{index}")(x)
    pixels = int(image_shape[0] * image_shape[1] * image_shape[2])
    x = layers.Dense(pixels, activation="tanh", name=f"{name}_output")(x)
    images = layers.Reshape(tuple(image_shape), name=f"{name}_images")(x)  # (batch, H, W, C)
    return keras.Model(z, images, name=name)


def build_mlp_discriminator(image_shape=(28, 28, 1), hidden_units=(1024, 512, 256), dropout=0.3, name="mlp_discriminator"):
    """`images -> logits (batch, 1)`: fully connected layers with dropout (the paper's regularizer)."""
    images = keras.Input(tuple(image_shape), name=f"{name}_images")
    x = layers.Flatten(name=f"{name}_flatten")(images)  # (batch, H*W*C)
    for index, units in enumerate(hidden_units, start=1):
        x = layers.Dense(units, name=f"{name}_dense{index}")(x)
        x = layers.LeakyReLU(0.2, name=f"{name}_act{index}")(x)
        x = CrossReplicaDropout(dropout, name=f"{name}_dropout{index}")(x)
    logits = layers.Dense(1, name=f"{name}_logits")(x)
    return keras.Model(images, logits, name=name)


# ------------------------------------------------------------------------------------------------------------
# DCGAN, and its conditional / spectrally normalized / self-attention (SAGAN) variants.
# Radford et al., "Unsupervised Representation Learning with DCGANs" (https://arxiv.org/abs/1511.06434):
# strided convolutions instead of pooling, batch norm, ReLU in G with tanh output, LeakyReLU in D.
# Conditional BN and projection D: Miyato & Koyama (https://arxiv.org/abs/1802.05637).
# Spectral norm: Miyato et al. (https://arxiv.org/abs/1802.05957). SAGAN: Zhang et al.
# (https://arxiv.org/abs/1805.08318).


def build_dcgan_generator(
    latent_dim=100,
    image_shape=(28, 28, 1),
    base_filters=64,
    num_classes=None,
    spectral_norm=False,
    attention_resolution=None,
    label_embedding_dim=32,
    name="dcgan_generator",
):
    """`z -> images` (or `[z, labels] -> images` with `num_classes`): a dense projection to a small feature
    map, then stride-2 transposed convolutions with batch norm (class-conditional batch norm with
    `num_classes`) and ReLU, tanh output. 28x28: 7 -> 14 -> 28; 32x32: 4 -> 8 -> 16 -> 32.

    Args:
        spectral_norm: spectrally normalize every dense/conv layer (SAGAN does it in G too).
        attention_resolution: add a `SelfAttention2D` after the feature map of this size (e.g. 14 or 16).
        label_embedding_dim: with `num_classes`, also concatenate a learned class embedding of this size to z
            (as BigGAN does), so the class shapes the first feature map and not only the batch-norm scales;
            0 conditions through batch norm alone.
    """
    steps = num_upsamplings(image_shape)
    size = image_shape[0] // 2**steps
    _check_attention_resolution(attention_resolution, [size * 2**i for i in range(1, steps)])
    z = keras.Input((latent_dim,), name=f"{name}_z")
    labels = keras.Input((), dtype="int32", name=f"{name}_labels") if num_classes else None

    def normalize(x, label):
        if num_classes:
            return ConditionalBatchNormalization(num_classes, name=f"{name}_{label}_cbn")(x, labels)
        return CrossReplicaBatchNormalization(name=f"{name}_{label}_bn")(x)

    generator_input = z
    if num_classes and label_embedding_dim:
        class_embedding = layers.Embedding(num_classes, label_embedding_dim, name=f"{name}_class_embedding")(labels)
        generator_input = layers.Concatenate(name=f"{name}_z_and_class")([z, class_embedding])  # (batch, latent + E)
    filters = base_filters * 2**steps
    project = layers.Dense(size * size * filters, use_bias=False, name=f"{name}_project")
    x = _maybe_sn(project, spectral_norm)(generator_input)
    x = layers.Reshape((size, size, filters), name=f"{name}_reshape")(x)  # (batch, size, size, filters)
    x = layers.ReLU(name=f"{name}_project_act")(normalize(x, "project"))
    for block in range(1, steps):
        filters //= 2
        conv = layers.Conv2DTranspose(filters, 4, 2, padding="same", use_bias=False, name=f"{name}_block{block}_deconv")
        x = _maybe_sn(conv, spectral_norm)(x)
        x = layers.ReLU(name=f"{name}_block{block}_act")(normalize(x, f"block{block}"))
        if x.shape[1] == attention_resolution:
            x = SelfAttention2D(spectral_norm=spectral_norm, name=f"{name}_attention")(x)
    conv = layers.Conv2DTranspose(image_shape[-1], 4, 2, padding="same", name=f"{name}_output_deconv")
    x = _maybe_sn(conv, spectral_norm)(x)
    images = layers.Activation("tanh", dtype="float32", name=f"{name}_images")(x)  # (batch, H, W, C)
    return keras.Model([z, labels] if num_classes else z, images, name=name)


def build_dcgan_discriminator(
    image_shape=(28, 28, 1),
    base_filters=64,
    num_classes=None,
    spectral_norm=False,
    normalization="batch",
    attention_resolution=None,
    dropout=0.0,
    projection_dim=256,
    hidden_units=0,
    name="dcgan_discriminator",
):
    """`images -> logits (batch, 1)` (or `[images, labels] -> logits`): stride-2 convolutions with LeakyReLU(0.2),
    no normalization on the first layer.

    With `num_classes` it is a projection discriminator: `logits = w . phi(x) + <embed(y), phi(x)>` with
    `phi(x) = leaky_relu(dense(flatten(h)))` of size `projection_dim`, `h` the last feature map.

    Args:
        spectral_norm: spectrally normalize every conv/dense layer.
        normalization: "batch" (DCGAN), "layer" (WGAN-GP: batch norm would break the per-example penalty)
            or None (the usual choice with spectral norm).
        attention_resolution: add a `SelfAttention2D` after the feature map of this size.
        hidden_units: for an unconditional discriminator, a LeakyReLU dense layer of this size between the
            features and the logit (the projection discriminator's phi(x)); 0: the logit is linear in the features.
    """
    if normalization not in ("batch", "layer", None):
        raise ValueError(f"`normalization` must be 'batch', 'layer' or None. Received: normalization={normalization!r}")
    steps = num_upsamplings(image_shape)
    _check_attention_resolution(attention_resolution, [image_shape[0] // 2**i for i in range(1, steps)])
    images = keras.Input(tuple(image_shape), name=f"{name}_images")
    labels = keras.Input((), dtype="int32", name=f"{name}_labels") if num_classes else None
    x, filters = images, base_filters
    for block in range(1, steps + 1):
        conv = layers.Conv2D(filters, 4, 2, padding="same", name=f"{name}_block{block}_conv")
        x = _maybe_sn(conv, spectral_norm)(x)
        if block > 1 and normalization == "batch":
            x = CrossReplicaBatchNormalization(name=f"{name}_block{block}_bn")(x)
        elif block > 1 and normalization == "layer":
            x = layers.LayerNormalization(axis=[1, 2, 3], name=f"{name}_block{block}_ln")(x)
        x = layers.LeakyReLU(0.2, name=f"{name}_block{block}_act")(x)
        if dropout:
            x = CrossReplicaDropout(dropout, name=f"{name}_block{block}_dropout")(x)
        if x.shape[1] == attention_resolution:
            x = SelfAttention2D(spectral_norm=spectral_norm, name=f"{name}_attention")(x)
        filters *= 2
    features = layers.Flatten(name=f"{name}_features")(x)  # (batch, size*size*filters)
    if num_classes:
        # phi(x) for the projection: a dense layer over the flattened features. Global pooling (as in the deep
        # ResNet discriminators of the paper) would throw away the layout a shallow DCGAN D needs to tell digits apart.
        dense = layers.Dense(projection_dim, name=f"{name}_projection_features")
        phi = layers.LeakyReLU(0.2, name=f"{name}_projection_act")(_maybe_sn(dense, spectral_norm)(features))
        # Not spectrally normalized: keras.layers.SpectralNormalization casts its output to the input dtype,
        # which for integer labels would truncate the embedding and cut its gradient.
        class_embedding = layers.Embedding(num_classes, projection_dim, name=f"{name}_class_embedding")(labels)
        logits = _maybe_sn(layers.Dense(1, name=f"{name}_logits"), spectral_norm)(phi)  # (batch, 1)
        projection = layers.Dot(axes=1, name=f"{name}_projection")([class_embedding, phi])  # (batch, 1)
        logits = layers.Add(name=f"{name}_projected_logits")([logits, projection])
    else:
        if hidden_units:
            dense = layers.Dense(hidden_units, name=f"{name}_hidden")
            features = layers.LeakyReLU(0.2, name=f"{name}_hidden_act")(_maybe_sn(dense, spectral_norm)(features))
        logits = _maybe_sn(layers.Dense(1, name=f"{name}_logits"), spectral_norm)(features)
    logits = layers.Activation("linear", dtype="float32", name=f"{name}_output")(logits)
    return keras.Model([images, labels] if num_classes else images, logits, name=name)


def build_conditional_generator(latent_dim, num_classes, image_shape=(28, 28, 1), base_filters=64, **kwargs):
    """`[z, labels] -> images`: the DCGAN generator with class-conditional batch norm."""
    kwargs.setdefault("name", "conditional_generator")
    return build_dcgan_generator(latent_dim, image_shape, base_filters, num_classes=num_classes, **kwargs)


def build_projection_discriminator(num_classes, image_shape=(28, 28, 1), base_filters=64, spectral_norm=True, **kwargs):
    """`[images, labels] -> logits`: the DCGAN discriminator with a class projection, spectrally normalized."""
    kwargs.setdefault("name", "projection_discriminator")
    kwargs.setdefault("normalization", None if spectral_norm else "batch")
    return build_dcgan_discriminator(image_shape, base_filters, num_classes=num_classes, spectral_norm=spectral_norm, **kwargs)


# ------------------------------------------------------------------------------------------------------------
# BigGAN-style generator: Brock et al., "Large Scale GAN Training for High Fidelity Natural Image Synthesis"
# (https://arxiv.org/abs/1809.11096). A shared class embedding and one chunk of z condition every residual
# block's batch norm; orthogonal regularization; the truncation trick is `GAN.sample_latent(truncation=...)`.


def biggan_latent_chunks(latent_dim, image_shape):
    """How z is split: one chunk for the input projection, one per residual block; the first takes the remainder."""
    num_chunks = num_upsamplings(image_shape) + 1
    if latent_dim < num_chunks:
        raise ValueError(f"`latent_dim` must be >= {num_chunks} to split z across the blocks. Received: latent_dim={latent_dim}")
    size = latent_dim // num_chunks
    return [latent_dim - size * (num_chunks - 1)] + [size] * (num_chunks - 1)


def build_biggan_generator(
    latent_dim=120,
    num_classes=10,
    image_shape=(28, 28, 1),
    base_filters=32,
    embedding_dim=32,
    attention_resolution=None,
    orthogonal_regularization=1e-4,
    spectral_norm=True,
    name="biggan_generator",
):
    """`[z, labels] -> images`: residual up-blocks (BN-ReLU-up-conv-BN-ReLU-conv plus a 1x1 shortcut) whose
    batch norms are conditioned on `[shared_embedding(labels), z_chunk]`.

    Args:
        embedding_dim: size of the class embedding shared by all blocks.
        orthogonal_regularization: strength of `OrthogonalRegularization` on every kernel (0 turns it off).
    """
    steps = num_upsamplings(image_shape)
    size = image_shape[0] // 2**steps
    _check_attention_resolution(attention_resolution, [size * 2**i for i in range(1, steps + 1)])
    regularizer = OrthogonalRegularization(orthogonal_regularization) if orthogonal_regularization else None
    z = keras.Input((latent_dim,), name=f"{name}_z")
    labels = keras.Input((), dtype="int32", name=f"{name}_labels")
    chunks = SplitLatent(biggan_latent_chunks(latent_dim, image_shape), name=f"{name}_split_z")(z)
    shared = layers.Embedding(num_classes, embedding_dim, name=f"{name}_shared_embedding")(labels)  # (batch, E)

    def conv(filters, kernel_size, label):
        layer = layers.Conv2D(filters, kernel_size, padding="same", kernel_regularizer=regularizer, name=f"{name}_{label}")
        return _maybe_sn(layer, spectral_norm)

    filters = base_filters * 2**steps
    dense = layers.Dense(size * size * filters, kernel_regularizer=regularizer, name=f"{name}_project")
    x = _maybe_sn(dense, spectral_norm)(chunks[0])
    x = layers.Reshape((size, size, filters), name=f"{name}_reshape")(x)  # (batch, size, size, filters)
    for block in range(1, steps + 1):
        prefix = f"block{block}"
        condition = layers.Concatenate(name=f"{name}_{prefix}_condition")([shared, chunks[block]])  # (batch, E + chunk)
        filters //= 2
        h = ConditionalBatchNormalization(spectral_norm=spectral_norm, name=f"{name}_{prefix}_cbn1")(x, condition)
        h = layers.ReLU(name=f"{name}_{prefix}_act1")(h)
        h = layers.UpSampling2D(name=f"{name}_{prefix}_upsample")(h)
        h = conv(filters, 3, f"{prefix}_conv1")(h)
        h = ConditionalBatchNormalization(spectral_norm=spectral_norm, name=f"{name}_{prefix}_cbn2")(h, condition)
        h = layers.ReLU(name=f"{name}_{prefix}_act2")(h)
        h = conv(filters, 3, f"{prefix}_conv2")(h)
        shortcut = layers.UpSampling2D(name=f"{name}_{prefix}_shortcut_upsample")(x)
        shortcut = conv(filters, 1, f"{prefix}_shortcut_conv")(shortcut)
        x = layers.Add(name=f"{name}_{prefix}_add")([h, shortcut])
        if x.shape[1] == attention_resolution:
            x = SelfAttention2D(spectral_norm=spectral_norm, name=f"{name}_attention")(x)
    x = CrossReplicaBatchNormalization(name=f"{name}_output_bn")(x)
    x = layers.ReLU(name=f"{name}_output_act")(x)
    x = conv(image_shape[-1], 3, "output_conv")(x)
    images = layers.Activation("tanh", dtype="float32", name=f"{name}_images")(x)  # (batch, H, W, C)
    return keras.Model([z, labels], images, name=name)
