"""The text-conditioned family: `text2image`, captions in, images out (`keras_gen.models.text_to_image`).

GAN-CLS (Reed et al. 2016) with GAN-INT, StackGAN's conditioning augmentation, a projection discriminator on the
text embedding and an image-text matching term that trains the encoders R-precision uses. The caption vocabulary
is adapted to the training captions when the model is built and saved inside it.
"""

import dataclasses
from typing import ClassVar

import keras
import numpy as np

from keras_gen.data import captions as captioned
from keras_gen.export.text_to_image import text_to_image_signatures
from keras_gen.families import Options, Recipe, Smoke, option, register
from keras_gen.metrics.text_to_image import evaluate_text_to_image
from keras_gen.models import text_to_image as networks
from keras_gen.models.text_to_image import TextToImageGAN
from keras_gen.utils.value_range import to_unit


@dataclasses.dataclass(frozen=True)
class TextToImageOptions(Options):
    SHORTCUTS: ClassVar = {"learning_rate": ("d_learning_rate", "g_learning_rate")}

    latent_dim: int = option(32, "size of z")
    condition_dim: int = option(16, "size of the conditioning-augmentation sample c")
    embedding_dim: int = option(64, "size of the text embedding")
    max_tokens: int = option(200, "vocabulary size (incl. padding and the OOV token)")
    max_words: int = option(16, "words a caption may have (the encoder's sequence length)")
    token_dim: int = option(32, "word embedding size")
    text_units: int = option(64, "GRU units per direction")
    base_filters: int = option(32, "filters of the widest generator/discriminator conv layer")
    encoder_filters: int = option(16, "filters of the image encoder's first conv (image-text matching)")
    projection_dim: int = option(128, "discriminator feature size phi(x) for the text projection")
    spectral_norm: bool = option(False, "spectral norm in D (else batch norm, faster to learn on a CPU budget)")
    # StackGAN uses 1; on this budget 1 pulled c to N(0, I) (KL ~0.2 nats) before G learned to read it.
    kl_weight: float = option(0.1, "weight of the conditioning-augmentation KL in the generator loss")
    interpolation_weight: float = option(1.0, "weight of the GAN-INT term (interpolated captions; 0: off)")
    matching_weight: float = option(1.0, "weight of the image-text matching loss on D's step (0: off, no R-precision)")
    temperature: float = option(0.1, "temperature of the matching loss")
    d_learning_rate: float = option(2e-4, "discriminator (and encoders) Adam learning rate")
    g_learning_rate: float = option(2e-4, "generator Adam learning rate")
    beta_1: float = option(0.5, "Adam beta_1")
    beta_2: float = option(0.999, "Adam beta_2")


def build_text_to_image(config, options, info):
    dataset = config.dataset
    texts = captioned.caption_texts(dataset, "train", data_dir=config.data_dir)
    shape = tuple(info.image_shape)
    text_encoder = networks.build_text_encoder(texts, options.embedding_dim, options.max_tokens, options.max_words,
                                               options.token_dim, options.text_units)
    generator = networks.build_text_generator(options.latent_dim, options.condition_dim, shape, options.base_filters)
    discriminator = networks.build_matching_discriminator(shape, options.embedding_dim, options.base_filters,
                                                          options.projection_dim, spectral_norm=options.spectral_norm)
    image_encoder = (networks.build_image_encoder(shape, options.embedding_dim, options.encoder_filters)
                     if options.matching_weight > 0 else None)
    model = TextToImageGAN(text_encoder, generator, discriminator, image_encoder, latent_dim=options.latent_dim,
                           condition_dim=options.condition_dim, kl_weight=options.kl_weight,
                           interpolation_weight=options.interpolation_weight, matching_weight=options.matching_weight,
                           temperature=options.temperature, example_captions=captioned.example_captions(dataset),
                           seed=config.seed, name=config.model)
    betas = dict(beta_1=options.beta_1, beta_2=options.beta_2)
    model.compile(d_optimizer=keras.optimizers.Adam(options.d_learning_rate, **betas),
                  g_optimizer=keras.optimizers.Adam(options.g_learning_rate, **betas), jit_compile=config.jit_compile)
    return model


def make_datasets(config, options):
    """Batches of (images in [-1, 1], captions); no validation set."""
    train = captioned.load_captioned(config.dataset, "train", config.batch_size, value_range="signed", seed=config.seed,
                                     data_dir=config.data_dir, drop_remainder=True,
                                     repeat=config.steps_per_epoch is not None)
    return train, None, captioned.get_captioned_info(config.dataset)


def generate_images(model, captions, seed):
    """One image in [0, 1] per caption (numpy)."""
    return to_unit(np.asarray(model.sample(list(captions), seed)))


def sample_images(model, num, seed):
    """`num` images of the model's example captions in turn (a progress grid, the same draws every call)."""
    captions = [model.example_captions[i % len(model.example_captions)] for i in range(num)]
    return generate_images(model, captions, seed)


def evaluate(model, request, options):
    return evaluate_text_to_image(lambda captions, seed: generate_images(model, captions, seed), model, request)


RECIPES = {
    "text2image": Recipe(
        "text-to-image GAN: caption encoder (TextVectorization + BiGRU), conditioning augmentation, GAN-CLS "
        "matching-aware projection D, GAN-INT, image-text matching", build_text_to_image, TextToImageOptions(),
        smoke=Smoke({"latent_dim": 4, "condition_dim": 2, "embedding_dim": 4, "max_tokens": 40, "token_dim": 4,
                     "text_units": 2, "base_filters": 2, "encoder_filters": 2, "projection_dim": 4})),
}

register("text", TextToImageOptions, RECIPES, default_dataset="captioned_digits", make_datasets=make_datasets,
         signatures=text_to_image_signatures, evaluate=evaluate, sample_images=sample_images)
