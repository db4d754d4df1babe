"""GAN losses as pure functions: logits in, scalar out.

Every generator loss is `<name>_generator_loss(fake_logits)` and every discriminator loss is
`<name>_discriminator_loss(real_logits, fake_logits)`. Logits are the discriminator's raw (pre-sigmoid)
outputs of any shape `(batch, ...)` (one score per image, or a patch map); every loss averages over all of
them and returns a float32 scalar. The trainer in `keras_gen.models.gan` takes these functions as arguments.

`GAN_LOSSES` maps a name (the CLI's `--loss`) to a `GANLoss`: the two functions plus the trainer settings
the recipe needs (weight clipping for WGAN, the gradient penalty weight for WGAN-GP).
"""

import collections

import keras
from keras import ops

from keras_gen.utils.distribute import replica_draw


# Registered so a model that takes a loss function as an argument can save it by name in its config.
_serializable = keras.saving.register_keras_serializable(package="keras_gen")


def _as_float32(logits):
    # Mixed precision: losses are always computed and reduced in float32.
    return ops.cast(logits, "float32")


# Original GAN: the minimax game  min_G max_D  E[log D(x)] + E[log(1 - D(G(z)))].
# Goodfellow et al., "Generative Adversarial Networks" (2014): https://arxiv.org/abs/1406.2661
# With D = sigmoid(logits): -log D = softplus(-logits) and -log(1 - D) = softplus(logits).


@_serializable
def minimax_discriminator_loss(real_logits, fake_logits):
    """-E[log D(x)] - E[log(1 - D(G(z)))]: binary cross-entropy with real = 1, fake = 0."""
    real_logits, fake_logits = _as_float32(real_logits), _as_float32(fake_logits)
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


@_serializable
def minimax_generator_loss(fake_logits):
    """E[log(1 - D(G(z)))], which G minimizes. Saturates: its gradient vanishes when D(G(z)) -> 0."""
    return -ops.mean(ops.softplus(_as_float32(fake_logits)))


# Non-saturating GAN: the same D, but G maximizes log D(G(z)) instead of minimizing log(1 - D(G(z))).
# Goodfellow et al. (2014), section 3: https://arxiv.org/abs/1406.2661


@_serializable
def non_saturating_discriminator_loss(real_logits, fake_logits):
    """The minimax discriminator loss (the D objective is unchanged)."""
    return minimax_discriminator_loss(real_logits, fake_logits)


@_serializable
def non_saturating_generator_loss(fake_logits):
    """-E[log D(G(z))]: strong gradients early in training, when D confidently rejects the samples."""
    return ops.mean(ops.softplus(-_as_float32(fake_logits)))


# Wasserstein GAN: the critic estimates the Earth-Mover distance; the trainer clips the critic's weights
# (Arjovsky et al., https://arxiv.org/abs/1701.07875) or adds a gradient penalty on real/fake
# interpolates (WGAN-GP, Gulrajani et al., https://arxiv.org/abs/1704.00028) to keep it 1-Lipschitz.


@_serializable
def wasserstein_discriminator_loss(real_logits, fake_logits):
    """E[D(G(z))] - E[D(x)]: the negated Earth-Mover estimate, which the critic minimizes."""
    return ops.mean(_as_float32(fake_logits)) - ops.mean(_as_float32(real_logits))


@_serializable
def wasserstein_generator_loss(fake_logits):
    """-E[D(G(z))]."""
    return -ops.mean(_as_float32(fake_logits))


def drift_penalty(real_logits):
    """E[D(x)^2] on real images: Progressive GAN's drift term (weight epsilon_drift = 0.001 in the paper), which
    keeps the critic's output near zero so the Wasserstein loss cannot drift without bound.

    Reference: Karras et al., https://arxiv.org/abs/1710.10196, appendix A.1.
    """
    return ops.mean(ops.square(_as_float32(real_logits)))


def interpolation_weights(batch_size, seed=None, rank=4):
    """One weight per example, uniform in [0, 1], shaped to broadcast over rank-`rank` inputs: `(batch, 1, 1, 1)`
    for images. Under a distribution strategy each replica gets its slice of one global-batch draw."""
    shape = (batch_size,) + (1,) * (rank - 1)
    return replica_draw(lambda global_shape: keras.random.uniform(global_shape, 0.0, 1.0, seed=seed), shape)


def gradient_penalty(critic, real_images, fake_images, alpha=None, seed=None, target_norm=1.0):
    """WGAN-GP penalty E[(||grad_x D(x_hat)||_2 - target_norm)^2] at x_hat = alpha * real + (1 - alpha) * fake.

    Args:
        critic: callable `images -> logits` (close over labels for a conditional critic).
        real_images: `(batch, ...)` real images.
        fake_images: `(batch, ...)` generated images, same shape.
        alpha: interpolation weights broadcastable to the images, e.g. `(batch, 1, 1, 1)`; None draws them
            uniformly in [0, 1] per example with `seed`.
        seed: a `keras.random.SeedGenerator` (or int) for drawing `alpha`.
        target_norm: the gradient norm the penalty pulls towards (1 for a 1-Lipschitz critic).

    Returns:
        float32 scalar. Differentiable with respect to the critic's weights (the trainer's tape watches them).
    """
    import tensorflow as tf  # the penalty differentiates the critic with respect to its input

    real_images = ops.cast(real_images, "float32")
    fake_images = ops.cast(fake_images, "float32")
    if alpha is None:
        alpha = interpolation_weights(ops.shape(real_images)[0], seed=seed, rank=len(real_images.shape))
    interpolates = alpha * real_images + (1.0 - alpha) * fake_images
    with tf.GradientTape() as tape:
        tape.watch(interpolates)
        logits = _as_float32(critic(interpolates))
    gradients = tape.gradient(logits, interpolates)  # (batch, H, W, C)
    gradients = ops.reshape(gradients, (ops.shape(gradients)[0], -1))  # (batch, H*W*C)
    norms = ops.sqrt(ops.sum(ops.square(gradients), axis=1) + 1e-12)
    return ops.mean(ops.square(norms - target_norm))


# Least-squares GAN (a = 0, b = 1, c = 1): Mao et al., https://arxiv.org/abs/1611.04076


@_serializable
def least_squares_discriminator_loss(real_logits, fake_logits):
    """1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2], on the raw scores."""
    real_logits, fake_logits = _as_float32(real_logits), _as_float32(fake_logits)
    return 0.5 * ops.mean(ops.square(real_logits - 1.0)) + 0.5 * ops.mean(ops.square(fake_logits))


@_serializable
def least_squares_generator_loss(fake_logits):
    """1/2 E[(D(G(z)) - 1)^2]."""
    return 0.5 * ops.mean(ops.square(_as_float32(fake_logits) - 1.0))


# Hinge loss: Lim & Ye, "Geometric GAN", https://arxiv.org/abs/1705.02894; used by SN-GAN, SAGAN, BigGAN
# (Miyato et al., https://arxiv.org/abs/1802.05957).


@_serializable
def hinge_discriminator_loss(real_logits, fake_logits):
    """E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]."""
    real_logits, fake_logits = _as_float32(real_logits), _as_float32(fake_logits)
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


@_serializable
def hinge_generator_loss(fake_logits):
    """-E[D(G(z))]."""
    return -ops.mean(_as_float32(fake_logits))


GANLoss = collections.namedtuple(
    "GANLoss", ["generator_loss", "discriminator_loss", "clip_value", "gradient_penalty_weight"]
)
GANLoss.__doc__ = """A named loss recipe: the two loss functions and the trainer settings it needs.

`clip_value`: clip every discriminator weight to [-clip_value, clip_value] after each D step (WGAN), or None.
`gradient_penalty_weight`: weight of `gradient_penalty` in the D loss (WGAN-GP), or 0.
"""

GAN_LOSSES = {
    "minimax": GANLoss(minimax_generator_loss, minimax_discriminator_loss, None, 0.0),
    "non_saturating": GANLoss(non_saturating_generator_loss, non_saturating_discriminator_loss, None, 0.0),
    # WGAN's published clip value.
    "wasserstein": GANLoss(wasserstein_generator_loss, wasserstein_discriminator_loss, 0.01, 0.0),
    # WGAN-GP's published penalty weight (lambda = 10).
    "wgan_gp": GANLoss(wasserstein_generator_loss, wasserstein_discriminator_loss, None, 10.0),
    "least_squares": GANLoss(least_squares_generator_loss, least_squares_discriminator_loss, None, 0.0),
    "hinge": GANLoss(hinge_generator_loss, hinge_discriminator_loss, None, 0.0),
}


def get_gan_loss(name):
    """The `GANLoss` registered as `name`, with an error listing the valid names."""
    if name not in GAN_LOSSES:
        raise ValueError(f"Unknown GAN loss. Valid losses: {', '.join(GAN_LOSSES)}. Received: loss={name!r}")
    return GAN_LOSSES[name]
