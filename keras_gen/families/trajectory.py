"""The trajectory family: `social_gan`, several plausible futures for every pedestrian of a crowd.

Data are trajectory datasets (`keras_gen.data.trajectories`): `crowds_sim` (offline, social force crowds) by default,
`eth_ucy` from a local folder (`--data_dir`, leave-one-scene-out with `--options test_scene=...`).
"""

import dataclasses

import keras

from keras_gen.data import trajectories as trajectory_data
from keras_gen.export.social_gan import SocialGANEndpoints, social_gan_signatures
from keras_gen.families import Options, Recipe, Smoke, option, register
from keras_gen.losses.gan import GAN_LOSSES
from keras_gen.metrics.trajectory import evaluate_predictions
from keras_gen.models.social_gan import SocialGAN, build_trajectory_discriminator, build_trajectory_generator


@dataclasses.dataclass(frozen=True)
class SocialGANOptions(Options):
    # Network sizes: the paper's (64-d embeddings, 1024-d pooling) are for GPUs; these train on a CPU in minutes.
    embedding_dim: int = option(16, "size of the displacement and relative-position embeddings")
    encoder_units: int = option(32, "LSTM units of the generator's encoder")
    decoder_units: int = option(32, "LSTM units of the decoder (noise included)")
    mlp_units: int = option(64, "hidden units of the pooling and context MLPs")
    pooling_dim: int = option(32, "size of the pooled vector of the other pedestrians")
    noise_dim: int = option(8, "noise per pedestrian (part of the decoder's initial state)")
    pooling: bool = option(True, "pool the other pedestrians (False: the ablation without the pooling module)")
    discriminator_units: int = option(32, "LSTM units of the trajectory discriminator")
    variety_k: int = option(20, "samples per scene of the variety loss (best of k; the paper's k = 20)")
    adversarial_weight: float = option(1.0, "weight of the adversarial loss next to the variety loss")
    loss: str = option("non_saturating", "GAN objective (keras_gen.losses.gan)", choices=tuple(GAN_LOSSES))
    learning_rate: float = option(1e-3, "Adam learning rate of both networks (the paper's)")
    test_scene: str = option("eth", "eth_ucy: the scene held out as the test split (eth, hotel, univ, zara1, zara2)")
    num_eval_samples: int = option(20, "K of minADE/minFDE in `keras-gen evaluate`")


def build(config, options, info):
    generator = build_trajectory_generator(
        info.obs_len, info.pred_len, options.embedding_dim, options.encoder_units, options.decoder_units,
        options.mlp_units, options.pooling_dim, options.noise_dim, pooling=options.pooling)
    discriminator = build_trajectory_discriminator(info.obs_len + info.pred_len, options.embedding_dim,
                                                   options.discriminator_units, options.mlp_units)
    model = SocialGAN(generator, discriminator, generator_loss=options.loss, discriminator_loss=options.loss,
                      noise_dim=options.noise_dim, variety_k=options.variety_k,
                      adversarial_weight=options.adversarial_weight, obs_len=info.obs_len, pred_len=info.pred_len,
                      seed=config.seed, name=config.model)
    model.compile(d_optimizer=keras.optimizers.Adam(options.learning_rate),
                  g_optimizer=keras.optimizers.Adam(options.learning_rate), jit_compile=config.jit_compile)
    return model


def make_datasets(config, options):
    """`(train windows as (trajectories, mask) batches, None, TrajectoryInfo)`; no validation set."""
    info = trajectory_data.get_trajectory_info(config.dataset)
    windows = trajectory_data.load_windows(config.dataset, "train", config.data_dir, options.test_scene)
    if len(windows) < config.batch_size:
        raise ValueError(f"{config.dataset} has {len(windows)} training windows, fewer than one batch. "
                         f"Received: batch_size={config.batch_size}")
    train = trajectory_data.trajectory_dataset(windows, config.batch_size, seed=config.seed,
                                               repeat=config.steps_per_epoch is not None)
    return train, None, info


def evaluate(model, request, options):
    """minADE/minFDE over `num_eval_samples`, the two baselines and collision rates on the test split."""
    windows = trajectory_data.load_windows(request.dataset, "test", request.data_dir, options.test_scene)
    endpoints = SocialGANEndpoints(model=model)
    results = evaluate_predictions(lambda observed, mask, k: endpoints.predict(observed, mask, k, request.seed),
                                   windows.take(request.num_examples), num_samples=options.num_eval_samples)
    return {"pooling": options.pooling, **results}


RECIPES = {
    "social_gan": Recipe("Social GAN: LSTM encoder-decoder with social pooling, noise, variety loss and a trajectory "
                         "discriminator (Gupta et al. 2018)", build, SocialGANOptions(),
                         smoke=Smoke({"embedding_dim": 4, "encoder_units": 4, "decoder_units": 6, "mlp_units": 4,
                                      "pooling_dim": 4, "noise_dim": 2, "discriminator_units": 4, "variety_k": 2,
                                      "num_eval_samples": 2})),
}

register("trajectory", SocialGANOptions, RECIPES, default_dataset="crowds_sim", make_datasets=make_datasets,
         signatures=social_gan_signatures, evaluate=evaluate, smoke_dataset="crowds_sim_tiny")
