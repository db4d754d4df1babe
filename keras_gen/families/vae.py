"""The VAE family: `vae` (the lecture's fully connected 784-400-20 model) and `conv_vae`."""

import dataclasses
from typing import Optional

import keras
import numpy as np

from keras_gen import data
from keras_gen.export.vae import vae_signatures
from keras_gen.families import Options, Recipe, Smoke, option, register
from keras_gen.metrics.vae import evaluate_vae
from keras_gen.models.vae import build_vae


@dataclasses.dataclass(frozen=True)
class VAEOptions(Options):
    latent_dim: int = option(20, "size of z (20 in the lecture)")
    likelihood: str = option("bernoulli", "decoder distribution p(x|z)", choices=("bernoulli", "gaussian"))
    # None: "dynamic" for a Bernoulli decoder (the standard benchmark), "none" for a Gaussian one.
    binarize: Optional[str] = option(None, "train on Bernoulli draws of the pixels (default: dynamic if Bernoulli)",
                                     choices=("dynamic", "none"))
    beta: float = option(1.0, "weight of the KL term (beta-VAE)")
    hidden_units: int = option(400, "hidden layer width of the fully connected encoder and decoder")
    learning_rate: float = option(1e-3, "Adam learning rate")


def binarize_mode(options):
    mode = options.binarize or ("dynamic" if options.likelihood == "bernoulli" else "none")
    return None if mode == "none" else mode


def make_datasets(config, options):
    binarize = binarize_mode(options)
    train = data.load(config.dataset, "train", config.batch_size, binarize=binarize, seed=config.seed,
                      data_dir=config.data_dir, repeat=config.steps_per_epoch is not None)
    test = data.load(config.dataset, "test", config.batch_size, binarize=binarize and "static", seed=config.seed,
                     data_dir=config.data_dir)
    return train, test, data.get_info(config.dataset)


def _builder(architecture):
    def build(config, options, info):
        model = build_vae(image_shape=info.image_shape, latent_dim=options.latent_dim, architecture=architecture,
                          likelihood=options.likelihood, beta=options.beta,
                          hidden_units=(options.hidden_units,) if architecture == "mlp" else None, seed=config.seed)
        model.compile(optimizer=keras.optimizers.Adam(options.learning_rate), jit_compile=config.jit_compile)
        return model

    return build


def evaluate(model, request, options):
    return evaluate_vae(model, request, binarize=binarize_mode(options))


def sample_images(model, num, seed):
    return np.asarray(model.generate(num, seed))


register(
    "vae",
    VAEOptions,
    {
        "vae": Recipe("fully connected VAE (784-400-20, Bernoulli decoder) as in the lecture", _builder("mlp"),
                      smoke=Smoke({"hidden_units": 16, "latent_dim": 4})),
        "conv_vae": Recipe("convolutional VAE", _builder("conv"), smoke=Smoke({"latent_dim": 4})),
    },
    default_dataset="mnist_5k",
    make_datasets=make_datasets,
    signatures=vae_signatures,
    evaluate=evaluate,
    sample_images=sample_images,
    smoke_dataset="synthetic_16",
)
