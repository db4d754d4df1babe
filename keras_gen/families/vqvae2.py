"""The VQ-VAE-2 families: `vqvae2` (stage 1, the two-level quantized autoencoder) and `vqvae2_prior` (stage 2,
PixelCNN priors over its code grids; needs `--vqvae_dir` or `--options vqvae_dir=...`).

    keras-gen train --model=vqvae2 --output_dir=runs/vqvae2 --epochs=15
    keras-gen train --model=vqvae2_prior --vqvae_dir=runs/vqvae2 --output_dir=runs/vqvae2_prior --epochs=20
"""

import dataclasses
from typing import ClassVar, Optional

import keras
import numpy as np

from keras_gen import data
from keras_gen.export.vqvae2 import vqvae2_signatures
from keras_gen.families import Options, Recipe, Smoke, option, register, without_options
from keras_gen.metrics.vqvae2 import evaluate_vqvae2, evaluate_vqvae2_prior, prior_sampler
from keras_gen.models.vqvae2 import VQVAE2, build_vqvae2, build_vqvae2_prior
from keras_gen.training.runner import load_trained


@dataclasses.dataclass(frozen=True)
class VQVAE2Options(Options):
    SHORTCUTS: ClassVar = {"latent_dim": ("embedding_dim",)}

    channels: int = option(64, "conv channels of the encoders and decoder")
    embedding_dim: int = option(16, "size of each code vector")
    top_codes: int = option(64, "codebook size of the top (coarse) grid")
    bottom_codes: int = option(128, "codebook size of the bottom (fine) grid")
    beta: float = option(0.25, "commitment loss weight")
    ema: bool = option(True, "update the codebooks by exponential moving averages (else by gradients)")
    decay: float = option(0.99, "EMA decay of the codebooks")
    restart_threshold: float = option(0.03, "restart codes whose usage falls below this fraction of the mean")
    data_variance: Optional[float] = option(None, "divides the reconstruction loss (default: the training pixels')")
    learning_rate: float = option(1e-3, "Adam learning rate")


@dataclasses.dataclass(frozen=True)
class PriorOptions(Options):
    vqvae_dir: Optional[str] = option(None, "a directory written by `keras-gen train --model=vqvae2` (required)")
    prior_filters: int = option(32, "gated PixelCNN filters (sized for a CPU)")
    prior_layers: int = option(5, "gated PixelCNN layers of the top prior")
    bottom_prior_layers: Optional[int] = option(None, "layers of the bottom prior (default: prior_layers)")
    bottom_labels: bool = option(True, "condition the bottom prior on the class too")
    temperature: float = option(1.0, "sampling temperature of both priors")
    learning_rate: float = option(1e-3, "Adam learning rate")


def make_datasets(config, options, with_labels=False):
    train = data.load(config.dataset, "train", config.batch_size, with_labels=with_labels, seed=config.seed,
                      data_dir=config.data_dir, repeat=config.steps_per_epoch is not None)
    test = data.load(config.dataset, "test", config.batch_size, with_labels=with_labels, data_dir=config.data_dir)
    return train, test, data.get_info(config.dataset)


def build_stage1(config, options, info):
    if options.data_variance is None:  # the reconstruction loss is divided by the training pixels' variance
        variance = float(np.var(data.as_numpy(config.dataset, "train", data_dir=config.data_dir)[0]))
    else:
        variance = options.data_variance
    model = build_vqvae2(info.image_shape, channels=options.channels, embedding_dim=options.embedding_dim,
                         top_num_embeddings=options.top_codes, bottom_num_embeddings=options.bottom_codes,
                         beta=options.beta, use_ema=options.ema, decay=options.decay,
                         restart_threshold=options.restart_threshold, data_variance=variance, seed=config.seed)
    model.compile(optimizer=keras.optimizers.Adam(options.learning_rate), jit_compile=config.jit_compile)
    return model


def load_vqvae(vqvae_dir):
    """The trained stage-1 `VQVAE2` in `vqvae_dir`, without its optimizer (stage 2 keeps it frozen)."""
    if not vqvae_dir:
        raise ValueError("`--model=vqvae2_prior` trains priors over a trained VQ-VAE-2: pass --vqvae_dir=DIR (a directory "
                         "written by `keras-gen train --model=vqvae2`) or --options vqvae_dir=DIR. Received: vqvae_dir=None")
    model, vqvae_config = load_trained(vqvae_dir)
    if not isinstance(model, VQVAE2):
        raise ValueError(f"`vqvae_dir` must hold a `vqvae2` model. Received: vqvae_dir={vqvae_dir!r} with "
                         f"model={vqvae_config.model!r}")
    fresh = VQVAE2.from_config(model.get_config())  # same weights, no compile state to drag along
    fresh.set_weights(model.get_weights())
    return fresh


def build_prior(config, options, info):
    vqvae = load_vqvae(options.vqvae_dir)
    if tuple(vqvae.image_shape) != tuple(info.image_shape):
        raise ValueError(f"The VQ-VAE-2 was trained on {vqvae.image_shape} images, dataset {config.dataset!r} has "
                         f"{info.image_shape}. Received: dataset={config.dataset!r}")
    model = build_vqvae2_prior(vqvae, num_classes=info.num_classes or None, filters=options.prior_filters,
                               num_layers=options.prior_layers,
                               bottom_num_layers=options.bottom_prior_layers or options.prior_layers,
                               bottom_class_conditional=options.bottom_labels)
    model.compile(optimizer=keras.optimizers.Adam(options.learning_rate), jit_compile=config.jit_compile)
    return model


def evaluate_prior(model, request, options):
    test = data.load(request.dataset, "test", 64, with_labels=True, data_dir=request.data_dir)
    return evaluate_vqvae2_prior(model, request, test, temperature=options.temperature)


def sample_prior(model, num, seed):
    return prior_sampler(model)(num, seed)


register(
    "vqvae2",
    VQVAE2Options,
    {
        "vqvae2": Recipe("VQ-VAE-2 stage 1: two-level discrete autoencoder (14x14 and 7x7 code grids on MNIST)",
                         build_stage1, smoke=Smoke({"channels": 8, "embedding_dim": 4, "top_codes": 8, "bottom_codes": 8})),
        "vqvae2_prior": Recipe("VQ-VAE-2 stage 2: class-conditional PixelCNN priors over a trained vqvae2 (--vqvae_dir)",
                               build_prior, PriorOptions(), evaluate=evaluate_prior, sample_images=sample_prior,
                               make_datasets=lambda config, options: make_datasets(config, options, with_labels=True),
                               smoke=Smoke({"prior_filters": 8, "prior_layers": 2}, builds_on=("vqvae2", "vqvae_dir"))),
    },
    default_dataset="mnist_5k",
    make_datasets=make_datasets,
    signatures=vqvae2_signatures,
    evaluate=without_options(evaluate_vqvae2),
    smoke_dataset="synthetic_16",
)
