"""The VAE family: `vae` (the lecture's fully connected 784-400-20 model) and `conv_vae`."""


import keras
import numpy as np

from keras_gen import data
from keras_gen.export.vae import export_vae
from keras_gen.families import ModelFamily, register
from keras_gen.latent import tools
from keras_gen.metrics.evaluate import evaluate_generator, load_real_images
from keras_gen.metrics.likelihood import evaluate_likelihood
from keras_gen.models.vae import build_vae
from keras_gen.utils.images import load_image, save_grid

DEFAULT_LATENT_DIM = 20


def _binarize(config, info):
    """Bernoulli VAEs on grey images train on dynamically binarized pixels by default (the standard benchmark)."""
    likelihood = config.option("likelihood", "bernoulli")
    default = "dynamic" if likelihood == "bernoulli" else "none"
    mode = config.option("binarize", default)
    if mode not in ("dynamic", "none"):
        raise ValueError(f"Option `binarize` must be 'dynamic' or 'none'. Received: binarize={mode!r}")
    return None if mode == "none" else mode


def make_datasets(config):
    info = data.get_info(config.dataset)
    binarize = _binarize(config, info)
    train = data.load(config.dataset, "train", config.batch_size, binarize=binarize, seed=config.seed,
                      data_dir=config.data_dir, repeat=config.steps_per_epoch is not None)
    test = data.load(config.dataset, "test", config.batch_size, binarize=binarize and "static", seed=config.seed,
                     data_dir=config.data_dir)
    return train, test, info


def _builder(architecture):
    def build_model(config, info):
        model = build_vae(
            image_shape=info.image_shape,
            latent_dim=config.latent_dim or DEFAULT_LATENT_DIM,
            architecture=architecture,
            likelihood=config.option("likelihood", "bernoulli"),
            beta=config.option("beta", 1.0, float),
            hidden_units=(config.option("hidden_units", 400, int),) if architecture == "mlp" else None,
            seed=config.seed,
        )
        model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), jit_compile=config.jit_compile)
        return model

    return build_model


def evaluate(model, config, args):
    """Test ELBO and the importance-weighted log-likelihood on the test split (binarized once, with a fixed seed)."""
    info = data.get_info(config.dataset)
    test = data.load(config.dataset, "test", 100, binarize=_binarize(config, info) and "static", seed=config.seed,
                     data_dir=config.data_dir)
    if getattr(args, "num_examples", None):
        test = test.unbatch().take(args.num_examples).batch(100)
    results = evaluate_likelihood(model, test, iw_samples=getattr(args, "iw_samples", None) or 1000)
    # Sample quality of decoded prior samples (the decoder's mean images) against the test split, in the shipped
    # classifier's feature space for grey images (InceptionV3 with --inception_weights for colour ones).
    real_images, _ = load_real_images(config.dataset, "test", data_dir=config.data_dir)
    num = max(int(getattr(args, "num_examples", None) or 1000), 2)
    results.update(evaluate_generator(lambda count, seed: sample_images(model, count, seed), real_images,
                                      num_samples=num, seed=config.seed, kid_subset_size=min(1000, num, len(real_images)),
                                      inception_weights=getattr(args, "inception_weights", None)))
    return {"model": config.model, "dataset": config.dataset, **results}


def sample_images(model, num, seed):
    return np.asarray(model.generate(num, seed))


def _test_images(config, count, seed):
    images, labels = data.as_numpy(config.dataset, "test", data_dir=config.data_dir)
    order = np.random.default_rng(seed).permutation(len(images))[:count]
    return images[order], labels[order]


def _input_images(model, config, args, count):
    """Images named by `--input` (comma-separated files), else `count` test images picked by `--seed`."""
    if getattr(args, "input", None):
        paths = [p for p in args.input.split(",") if p]
        shape = tuple(model.image_shape)
        return np.stack([load_image(p, shape[:2], shape[-1]) for p in paths])
    return _test_images(config, count, args.seed)[0]


def sample_command(model, config, args):
    images = sample_images(model, args.num_samples, args.seed)
    return save_grid(images, args.out, scale=2)


def traverse_command(model, config, args):
    """Rows: latent dimensions (`--dimensions`, default the first 8); columns: values over [-3, 3]."""
    dims = [int(d) for d in args.dimensions.split(",")] if args.dimensions else list(range(min(8, model.latent_dim)))
    values = np.linspace(-3.0, 3.0, args.steps)
    base = model.encode(_input_images(model, config, args, 1))[0][0] if args.input else np.zeros(model.latent_dim)
    grid = tools.traverse(lambda z: model.decode(z), np.asarray(base), dims, values)
    return save_grid(grid, args.out, ncols=args.steps, scale=2)


def interpolate_command(model, config, args):
    """Between two images (`--input a.png,b.png`, else two test digits), `--steps` points, `--method`."""
    image_a, image_b = _input_images(model, config, args, 2)[:2]
    grid = tools.interpolate_images(lambda x: model.encode(x)[0], lambda z: model.decode(z), image_a, image_b,
                                    args.steps, args.method)
    return save_grid(grid, args.out, ncols=args.steps, scale=2)


def edit_command(model, config, args):
    """`--edits dim=value,...` set on the code of one image; writes [original, reconstruction, edited]."""
    changes = {int(k): float(v) for k, v in (item.split("=") for item in (args.edits or "0=2.0").split(","))}
    image = _input_images(model, config, args, 1)[0]
    reconstruction, edited = tools.edit(lambda x: model.encode(x)[0], lambda z: model.decode(z), image, changes)
    return save_grid(np.stack([image, reconstruction, edited]), args.out, ncols=3, scale=4)


def reconstruct_command(model, config, args):
    """Top row: `--num_samples` test digits; bottom row: their reconstructions."""
    images = _input_images(model, config, args, args.num_samples)
    return save_grid(np.concatenate([images, np.asarray(model(images))]), args.out, ncols=len(images), scale=2)


COMMANDS = {
    "sample": sample_command,
    "traverse": traverse_command,
    "interpolate": interpolate_command,
    "edit": edit_command,
    "reconstruct": reconstruct_command,
}

for _name, _architecture, _description in (
    ("vae", "mlp", "fully connected VAE (784-400-20, Bernoulli decoder) as in the lecture"),
    ("conv_vae", "conv", "convolutional VAE"),
):
    register(
        ModelFamily(
            name=_name,
            description=_description,
            default_dataset="mnist_5k",
            make_datasets=make_datasets,
            build_model=_builder(_architecture),
            export=export_vae,
            evaluate=evaluate,
            commands=COMMANDS,
            sample_images=sample_images,
            app="apps.vae_app:build_app",
        )
    )
