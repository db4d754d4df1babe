"""The VQ-VAE-2 families: `vqvae2` (stage 1, the two-level quantized autoencoder) and `vqvae2_prior`
(stage 2, PixelCNN priors over its code grids; needs `--vqvae_dir` or `--options vqvae_dir=...`).

    keras-gen train --model=vqvae2 --output_dir=runs/vqvae2 --epochs=15
    keras-gen train --model=vqvae2_prior --vqvae_dir=runs/vqvae2 --output_dir=runs/vqvae2_prior --epochs=20
    keras-gen sample --model_dir=runs/vqvae2_prior --labels=0,1,2,3 --out=samples.png
    keras-gen reconstruct --model_dir=runs/vqvae2 --out=reconstructions.png

Options (`--options key=value,...`), stage 1: channels (64), embedding_dim (16), top_codes (64),
bottom_codes (128), beta (0.25), ema (true), decay (0.99), restart_threshold (0.03), data_variance (default:
the training pixels' variance).
Stage 2: vqvae_dir, prior_filters (32), prior_layers (5), bottom_prior_layers (prior_layers), bottom_labels (true:
the bottom prior sees the class too), temperature (1.0). The prior defaults are sized for a CPU.
"""

import keras
import numpy as np

from keras_gen import data
from keras_gen.export.vqvae2 import export_vqvae2
from keras_gen.families import ModelFamily, register
from keras_gen.models.vqvae2 import VQVAE2, build_vqvae2, build_vqvae2_prior
from keras_gen.utils.images import load_image, save_grid


def make_datasets(config, with_labels=False):
    info = data.get_info(config.dataset)
    train = data.load(config.dataset, "train", config.batch_size, with_labels=with_labels, seed=config.seed,
                      data_dir=config.data_dir, repeat=config.steps_per_epoch is not None)
    test = data.load(config.dataset, "test", config.batch_size, with_labels=with_labels, data_dir=config.data_dir)
    return train, test, info


def _pixel_variance(config):
    """Variance of the training pixels in [0, 1] (the reconstruction loss is divided by it)."""
    images, _ = data.as_numpy(config.dataset, "train", data_dir=config.data_dir)
    return float(np.var(images))


def build_model(config, info):
    model = build_vqvae2(
        info.image_shape,
        channels=config.option("channels", 64, int),
        embedding_dim=config.latent_dim or config.option("embedding_dim", 16, int),
        top_num_embeddings=config.option("top_codes", 64, int),
        bottom_num_embeddings=config.option("bottom_codes", 128, int),
        beta=config.option("beta", 0.25, float),
        use_ema=config.option("ema", True, bool),
        decay=config.option("decay", 0.99, float),
        restart_threshold=config.option("restart_threshold", 0.03, float),
        data_variance=config.option("data_variance", None, float) or _pixel_variance(config),
        seed=config.seed,
    )
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), jit_compile=config.jit_compile)
    return model


def load_vqvae(vqvae_dir):
    """The trained stage-1 `VQVAE2` in `vqvae_dir`, without its optimizer (stage 2 keeps it frozen)."""
    from keras_gen.training.runner import load_trained

    if not vqvae_dir:
        raise ValueError(
            "`--model=vqvae2_prior` trains priors over a trained VQ-VAE-2: pass --vqvae_dir=DIR (a directory written "
            f"by `keras-gen train --model=vqvae2`) or --options vqvae_dir=DIR. Received: vqvae_dir={vqvae_dir!r}"
        )
    model, vqvae_config = load_trained(vqvae_dir)
    if not isinstance(model, VQVAE2):
        raise ValueError(f"`vqvae_dir` must hold a `vqvae2` model. Received: vqvae_dir={vqvae_dir!r} with "
                         f"model={vqvae_config.model!r}")
    fresh = VQVAE2.from_config(model.get_config())  # same weights, no compile state to drag along
    fresh.set_weights(model.get_weights())
    return fresh


def build_prior_model(config, info):
    vqvae = load_vqvae(config.option("vqvae_dir", None))
    if tuple(vqvae.image_shape) != tuple(info.image_shape):
        raise ValueError(f"The VQ-VAE-2 was trained on {vqvae.image_shape} images, dataset {config.dataset!r} has "
                         f"{info.image_shape}. Received: dataset={config.dataset!r}")
    layers = config.option("prior_layers", 5, int)
    model = build_vqvae2_prior(
        vqvae,
        num_classes=info.num_classes or None,
        filters=config.option("prior_filters", 32, int),
        num_layers=layers,
        bottom_num_layers=config.option("bottom_prior_layers", layers, int),
        bottom_class_conditional=config.option("bottom_labels", True, bool),
    )
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), jit_compile=config.jit_compile)
    return model


def code_statistics(indices, num_embeddings):
    """Perplexity (exp of the entropy of the code histogram) and the fraction of codes used, over a whole set."""
    counts = np.bincount(np.asarray(indices).reshape(-1), minlength=num_embeddings).astype(np.float64)
    probs = counts / counts.sum()
    nonzero = probs[probs > 0]
    return {"perplexity": float(np.exp(-(nonzero * np.log(nonzero)).sum())), "usage": float(np.mean(counts > 0))}


def _encode_all(vqvae, images, batch_size=250):
    tops, bottoms = [], []
    for start in range(0, len(images), batch_size):
        top, bottom = vqvae.encode(images[start:start + batch_size])
        tops.append(np.asarray(top))
        bottoms.append(np.asarray(bottom))
    return np.concatenate(tops), np.concatenate(bottoms)


def _reconstruct_all(vqvae, images, batch_size=250):
    return np.concatenate([np.asarray(vqvae(images[s:s + batch_size])) for s in range(0, len(images), batch_size)])


def evaluate(model, config, args):
    """Reconstruction MSE over the test split and the code grids' perplexity and usage there."""
    images, _ = data.as_numpy(config.dataset, "test", data_dir=config.data_dir,
                              limit=getattr(args, "num_examples", None))
    top, bottom = _encode_all(model, images)
    top_stats = code_statistics(top, model.top_quantizer.num_embeddings)
    bottom_stats = code_statistics(bottom, model.bottom_quantizer.num_embeddings)
    return {
        "model": config.model, "dataset": config.dataset, "num_examples": int(len(images)),
        "reconstruction_mse": float(np.mean((_reconstruct_all(model, images) - images) ** 2)),
        "top_perplexity": top_stats["perplexity"], "top_usage": top_stats["usage"],
        "bottom_perplexity": bottom_stats["perplexity"], "bottom_usage": bottom_stats["usage"],
        "top_grid": list(model.top_grid_shape), "bottom_grid": list(model.bottom_grid_shape),
    }


def _sampler(model, temperature):
    def sample_fn(num, seed, labels=None):
        if labels is None and model.class_conditional:
            labels = np.arange(num) % model.num_classes
        labels = None if labels is None else np.asarray(labels, np.int32)
        return np.asarray(model.generate(num, labels=labels, temperature=temperature, seed=seed))

    return sample_fn


def evaluate_prior(model, config, args):
    """Test cross-entropy of both priors (nats per code), and, with the shipped MNIST classifier, the classifier
    Fréchet distance and label accuracy of class-conditional samples (`--num_examples` samples, default 1000)."""
    _, test, _ = make_datasets(config.replace(steps_per_epoch=None), with_labels=True)
    results = {"model": config.model, "dataset": config.dataset,
               **{f"test_{k}": float(v) for k, v in model.evaluate(test, verbose=0, return_dict=True).items()}}
    temperature = config.option("temperature", 1.0, float)
    try:
        from keras_gen.metrics import ClassifierNotFoundError, evaluate_generator, load_real_images
    except ImportError as error:  # the metrics package is optional for this family
        return {**results, "sample_quality": f"unavailable: {error}"}
    num_samples = getattr(args, "num_examples", None) or 1000
    labels = np.arange(num_samples) % model.num_classes if model.class_conditional else None
    try:
        real_images = load_real_images(config.dataset, "test", data_dir=config.data_dir)[0]
        quality = evaluate_generator(_sampler(model, temperature), real_images, num_samples=num_samples,
                                     batch_size=250, labels=labels, seed=getattr(args, "seed", 0) or 0)
    except ClassifierNotFoundError as error:
        return {**results, "sample_quality": f"unavailable: {error}"}
    return {**results, "temperature": temperature, **{f"sample_{k}": v for k, v in quality.items()}}


def sample_images(model, num, seed):
    return _sampler(model, 1.0)(num, seed)


def _labels(model, args):
    """`--labels=3,3,7` (one image per label), else `--num_samples` images cycling through the classes."""
    if not getattr(args, "labels", None):
        return np.arange(args.num_samples) % model.num_classes if model.class_conditional else None
    try:
        labels = np.array([int(v) for v in args.labels.split(",") if v.strip()], np.int32)
    except ValueError:
        raise ValueError(f"`--labels` must be comma-separated integers. Received: labels={args.labels!r}") from None
    if not model.class_conditional:
        raise ValueError(f"This prior is not class-conditional. Received: labels={args.labels!r}")
    if labels.size == 0 or labels.min() < 0 or labels.max() >= model.num_classes:
        raise ValueError(f"`--labels` must be in [0, {model.num_classes}). Received: labels={args.labels!r}")
    return labels


def sample_command(model, config, args):
    """Class-conditional samples (`--labels`, else `--num_samples` cycling through the classes)."""
    labels = _labels(model, args)
    images = model.generate(args.num_samples, labels=labels, temperature=config.option("temperature", 1.0, float),
                            seed=args.seed)
    # Cycling through the classes: one column per class.
    ncols = model.num_classes if model.class_conditional and not getattr(args, "labels", None) else None
    return save_grid(np.asarray(images), args.out, ncols=ncols, scale=2)


def stage1_sample_command(model, config, args):
    raise ValueError(
        "A stage-1 VQ-VAE-2 has no prior to sample from: train `keras-gen train --model=vqvae2_prior "
        f"--vqvae_dir=<this model_dir>` and sample from that. Received: model={config.model!r}"
    )


def _input_images(vqvae, config, args):
    if getattr(args, "input", None):
        height, width, channels = vqvae.image_shape
        return np.stack([load_image(p, (height, width), channels) for p in args.input.split(",") if p])
    images, _ = data.as_numpy(config.dataset, "test", data_dir=config.data_dir)
    return images[np.random.default_rng(args.seed).permutation(len(images))[: args.num_samples]]


def reconstruct_command(model, config, args):
    """Top row: inputs (`--input` files or `--num_samples` test digits); bottom row: reconstructions."""
    vqvae = model.vqvae if not isinstance(model, VQVAE2) else model
    images = _input_images(vqvae, config, args)
    return save_grid(np.concatenate([images, np.asarray(vqvae(images))]), args.out, ncols=len(images), scale=2)


register(
    ModelFamily(
        name="vqvae2",
        description="VQ-VAE-2 stage 1: two-level discrete autoencoder (14x14 and 7x7 code grids on MNIST)",
        default_dataset="mnist_5k",
        make_datasets=make_datasets,
        build_model=build_model,
        export=export_vqvae2,
        evaluate=evaluate,
        commands={"reconstruct": reconstruct_command, "sample": stage1_sample_command},
        sample_images=None,
        app="apps.vqvae2_app:build_app",
    )
)
register(
    ModelFamily(
        name="vqvae2_prior",
        description="VQ-VAE-2 stage 2: class-conditional PixelCNN priors over a trained vqvae2 (--vqvae_dir)",
        default_dataset="mnist_5k",
        make_datasets=lambda config: make_datasets(config, with_labels=True),
        build_model=build_prior_model,
        export=export_vqvae2,
        evaluate=evaluate_prior,
        commands={"sample": sample_command, "reconstruct": reconstruct_command},
        sample_images=sample_images,
        app="apps.vqvae2_app:build_app",
    )
)
