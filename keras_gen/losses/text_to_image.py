"""Text-to-image losses: the matching-aware discriminator (GAN-CLS), the conditioning-augmentation KL term and the
image-text matching (contrastive) loss. Pure functions, float32 scalars out.
"""

import keras
import tensorflow_probability as tfp
from keras import ops

_serializable = keras.saving.register_keras_serializable(package="keras_gen")


def _f32(x):
    return ops.cast(x, "float32")


# GAN-CLS: Reed et al., "Generative Adversarial Text to Image Synthesis" (https://arxiv.org/abs/1605.05396),
# Algorithm 1. D scores three pairs: a real image with its caption (real), a real image with another image's
# caption (wrong), a generated image with its caption (fake). D must call both mismatches fake, so it learns to
# judge the match and not only realism. Non-saturating form: -log D = softplus(-logits), -log(1-D) = softplus(logits).


@_serializable
def gan_cls_discriminator_loss(real_logits, mismatched_logits, fake_logits):
    """-log D(real, matching) - 1/2 [log(1 - D(real, mismatched)) + log(1 - D(fake, matching))], batch means."""
    return (ops.mean(ops.softplus(-_f32(real_logits)))
            + 0.5 * (ops.mean(ops.softplus(_f32(mismatched_logits))) + ops.mean(ops.softplus(_f32(fake_logits)))))


@_serializable
def gan_cls_generator_loss(fake_logits):
    """-log D(fake, matching) (non-saturating)."""
    return ops.mean(ops.softplus(-_f32(fake_logits)))


# Conditioning augmentation: Zhang et al., StackGAN (https://arxiv.org/abs/1612.03242), section 3.1. The generator
# is conditioned on c ~ N(mu(e), diag(sigma(e)^2)) around the text embedding e; KL(N(mu, sigma^2) || N(0, I)) keeps
# that Gaussian smooth, so nearby captions give overlapping conditions.


def conditioning_kl(mean, log_sigma):
    """KL(N(mean, exp(log_sigma)^2) || N(0, I)), summed over the condition's dimensions, averaged over the batch."""
    mean, log_sigma = _f32(mean), _f32(log_sigma)
    posterior = tfp.distributions.Normal(mean, ops.exp(log_sigma))
    prior = tfp.distributions.Normal(ops.zeros_like(mean), ops.ones_like(mean))
    return ops.mean(ops.sum(tfp.distributions.kl_divergence(posterior, prior), axis=-1))


# Image-text matching: a symmetric InfoNCE (CLIP, Radford et al., https://arxiv.org/abs/2103.00020; the DAMSM
# sentence loss of AttnGAN, https://arxiv.org/abs/1711.10485): in a batch, each image's caption must out-score the
# other captions, and each caption's image the other images.


def cosine_similarities(image_embeddings, text_embeddings):
    """(images, texts) cosine similarity matrix."""
    images = _f32(image_embeddings) / (ops.norm(_f32(image_embeddings), axis=-1, keepdims=True) + 1e-8)
    texts = _f32(text_embeddings) / (ops.norm(_f32(text_embeddings), axis=-1, keepdims=True) + 1e-8)
    return ops.matmul(images, ops.transpose(texts))


def matching_loss(image_embeddings, text_embeddings, temperature=0.1):
    """Mean of the image->text and text->image cross-entropies of `cosine / temperature`, the i-th image matching
    the i-th text."""
    logits = cosine_similarities(image_embeddings, text_embeddings) / temperature  # (batch, batch)
    targets = ops.arange(ops.shape(logits)[0])
    image_to_text = keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)
    text_to_image = keras.losses.sparse_categorical_crossentropy(targets, ops.transpose(logits), from_logits=True)
    return 0.5 * (ops.mean(image_to_text) + ops.mean(text_to_image))
