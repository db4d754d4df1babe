"""The `keras-gen` command: parses absl flags, builds a config, hands off to library functions.

    keras-gen train --model=vae --dataset=mnist_5k --epochs=30 --output_dir=runs/vae [--resume]
    keras-gen evaluate --model_dir=runs/vae [--iw_samples=1000] [--out=metrics.json]
    keras-gen report --model_dir=runs/vae [--out=report.png]
    keras-gen sample|traverse|interpolate|edit|reconstruct --model_dir=runs/vae --out=grid.png
    keras-gen train --model=dcgan --loss=non_saturating; then sample|interpolate|arithmetic|neighbours (GANs)
    keras-gen train --model=vqvae2; keras-gen train --model=vqvae2_prior --vqvae_dir=runs/vqvae2; sample --labels=3,7
    keras-gen train --model=pix2pix|cyclegan|srgan|spade; then translate --input=in.png --out=out.png
    keras-gen train --model=video_gan [--dataset=moving_digits_32]; then sample --out=clips.gif (+ clips_strip.png)
    keras-gen train --model=stylegan2; then sample [--truncation=0.7]|mix [--crossover=4]|truncation|interpolate
    keras-gen train --model=social_gan [--dataset=eth_ucy --data_dir=DIR]; then predict --scene=0 --num_samples=20
    keras-gen train --model=text2image; then generate --text="a thick, slanted seven" --out=seven.png
    keras-gen export --model_dir=runs/vae --export_dir=saved_models/vae
    keras-gen app [--model_dir=runs/vae | --export_dir=DIR] [--port=7860]   # no model: every shipped model
    keras-gen models [--model=NAME: its options and their defaults] | datasets

Family settings: `--options key=value,...`, checked against the family's options (`keras-gen models --model=NAME`).
"""

import importlib
import json
import os
import sys
import types

from absl import app, flags

FLAGS = flags.FLAGS

# Training.
flags.DEFINE_string("model", None, "Model family to train (see `keras-gen models`).")
flags.DEFINE_string("dataset", None, "Dataset name (see `keras-gen datasets`) or folder:PATH[,resolution=64,...] "
                    "for your own images; default: the family's offline set.")
flags.DEFINE_string("data_dir", None, "tensorflow-datasets data directory.")
flags.DEFINE_integer("epochs", 10, "Number of epochs.")
flags.DEFINE_integer("batch_size", 64, "Batch size (global, across replicas).")
flags.DEFINE_float("learning_rate", None, "Learning rate of every optimizer; default: the family's recipe.")
flags.DEFINE_integer("latent_dim", None, "Latent size; default: the family's.")
flags.DEFINE_integer("seed", 0, "Random seed (training, sampling and image picks).")
flags.DEFINE_string("output_dir", None, "Where `train` writes the model, checkpoints, history and samples.")
flags.DEFINE_bool("resume", False, "Continue training from the last checkpoint in --output_dir.")
flags.DEFINE_integer("steps_per_epoch", None, "Batches per epoch; default: one pass over the training split.")
flags.DEFINE_integer("validation_steps", None, "Validation batches per epoch; default: the whole validation split.")
flags.DEFINE_string("loss", None, "Loss for families that take one (GANs).")
flags.DEFINE_enum("precision", "float32", ["float32", "mixed_float16", "mixed_bfloat16"], "Compute precision.")
flags.DEFINE_enum("strategy", "default", ["default", "mirrored", "multi_worker"], "tf.distribute strategy.")
flags.DEFINE_bool("jit_compile", False, "Compile train steps with XLA.")
flags.DEFINE_bool("run_eagerly", False, "Run train steps eagerly (debugging).")
flags.DEFINE_integer("sample_every", 1, "Write a sample grid every N epochs (0: never).")
flags.DEFINE_integer("fd_every", 0, "Classifier Frechet distance of samples every N epochs into history.csv (0: never).")
flags.DEFINE_bool("tensorboard", False, "Write TensorBoard logs to <output_dir>/logs.")
flags.DEFINE_string("options", "", "Family settings, `key=value,key=value` (see `keras-gen models --model=NAME`).")
# Using a trained model.
flags.DEFINE_string("model_dir", None, "A directory written by `keras-gen train`.")
flags.DEFINE_string("export_dir", None, "Where `export` writes the SavedModel.")
flags.DEFINE_string("out", None, "Output file (PNG for image commands, JSON for evaluate).")
flags.DEFINE_integer("num_samples", 64, "Images to generate.")
flags.DEFINE_integer("num_examples", None, "Evaluate on at most this many test examples.")
flags.DEFINE_integer("iw_samples", 1000, "Importance samples per example for the IW log-likelihood.")
flags.DEFINE_string("input", None, "Input image file(s), comma-separated.")
flags.DEFINE_integer("steps", 8, "Points along a traversal or an interpolation.")
flags.DEFINE_enum("method", "linear", ["linear", "spherical"], "Interpolation path.")
flags.DEFINE_string("dimensions", None, "Latent dimensions to traverse, comma-separated (default: the first 8).")
flags.DEFINE_string("edits", None, "Latent edits `dim=value,...` for `edit`.")
flags.DEFINE_string("labels", None, "Class labels, comma-separated, for class-conditional models.")
flags.DEFINE_float("truncation", None, "Truncation for sampling (BigGAN-style models; StyleGAN2: psi in [0, 1]).")
flags.DEFINE_integer("crossover", None, "StyleGAN2 `mix`: w rows taken from the row sources (default: half).")
flags.DEFINE_string("inception_weights", None, "Local InceptionV3 weights file for evaluating colour images (never downloaded).")
flags.DEFINE_string("vqvae_dir", None, "A trained VQ-VAE-2 directory (for `--model=vqvae2_prior`).")
flags.DEFINE_string("direction", "a2b", "CycleGAN translation direction for `translate` (a2b or b2a).")
flags.DEFINE_string("text", None, "Captions for text-to-image `generate`, separated by |.")
flags.DEFINE_string("style", None, "A style image for SPADE's `translate` (needs its style encoder).")
flags.DEFINE_integer("scene", 0, "Test window to predict for `predict` (trajectory models).")
flags.DEFINE_string("host", "127.0.0.1", "Address the app binds to (127.0.0.1: this machine only).")
flags.DEFINE_integer("port", 7860, "Port the app listens on.")

BUILTIN_COMMANDS = ("train", "evaluate", "report", "export", "app", "models", "datasets")
# Each family's extra verbs and its Gradio app, by the family's `group`: the CLI, not the library, knows the UI.
VERBS = {
    "vae": "keras_gen.cli.vae",
    "gan": "keras_gen.cli.gan",
    "vqvae2": "keras_gen.cli.vqvae2",
    "translation": "keras_gen.cli.translation",
    "video": "keras_gen.cli.video",
    "style": "keras_gen.cli.style",
    "trajectory": "keras_gen.cli.trajectory",
    "text": "keras_gen.cli.text",
}
APPS = {
    "vae": "keras_gen_apps.vae_app",
    "gan": "keras_gen_apps.gan_app",
    "vqvae2": "keras_gen_apps.vqvae2_app",
    "translation": "keras_gen_apps.translation_app",
    "video": "keras_gen_apps.video_app",
    "style": "keras_gen_apps.style_app",
    "trajectory": "keras_gen_apps.trajectory_app",
    "text": "keras_gen_apps.text_app",
}
SHIPPED_APP = "keras_gen_apps.shipped_app"  # `keras-gen app` with no model: every model in saved_models/, a tab each


class UsageError(ValueError):
    """A command-line mistake: printed as one line, no traceback."""


def _args():
    """Every flag's value as attributes, for family commands."""
    return types.SimpleNamespace(**{name: FLAGS[name].value for name in FLAGS if name in _OUR_FLAGS})


def _require(name):
    value = FLAGS[name].value
    if value in (None, ""):
        raise UsageError(f"This command needs --{name}.")
    return value


def train_config():
    """A `TrainConfig` from the flags: every config field has a flag of the same name."""
    import dataclasses

    from keras_gen.training.config import TrainConfig, parse_options

    model = _require("model")
    options = parse_options(FLAGS.options)
    if FLAGS.vqvae_dir:
        options["vqvae_dir"] = FLAGS.vqvae_dir
    values = {f.name: FLAGS[f.name].value for f in dataclasses.fields(TrainConfig) if f.name != "options"}
    return TrainConfig(**{**values, "output_dir": FLAGS.output_dir or os.path.join("runs", model), "options": options})


def run_command(command):
    """Runs one command; returns what to print (a string)."""
    from keras_gen.families import family_names, get_family

    if command == "models":
        if FLAGS.model:
            return get_family(FLAGS.model).describe()
        return "\n".join(f"{name:12s} {get_family(name).description}" for name in family_names())
    if command == "datasets":
        from keras_gen import data

        from keras_gen.data.clips import clip_dataset_names, get_clip_info

        images = [f"{name:16s} {data.get_info(name).description}" for name in data.dataset_names()]
        schemes = list(data.scheme_descriptions().values())
        clips = [f"{name:16s} {get_clip_info(name).description}" for name in clip_dataset_names()]
        return "\n".join(images + schemes + ["clip datasets (video models):"] + clips)
    if command == "train":
        from keras_gen.training.runner import train

        config = train_config()
        train(get_family(config.model), config)
        return f"Trained {config.model}; wrote {config.output_dir}"

    from keras_gen.training.runner import load_trained

    if command == "app":
        return _launch_app()
    model_dir = _require("model_dir")
    if command == "report":  # reads history.csv, samples/ and metrics.json; loads no model
        from keras_gen.report import write_report

        return f"Wrote {write_report(model_dir, FLAGS.out or os.path.join(model_dir, 'report.png'))}"
    model, config = load_trained(model_dir)
    family = get_family(config.model)
    if command == "evaluate":
        metrics = family.evaluate_run(model, config, num_examples=FLAGS.num_examples, iw_samples=FLAGS.iw_samples,
                                      inception_weights=FLAGS.inception_weights)
        text = json.dumps(metrics, sort_keys=True)
        if FLAGS.out:
            with open(FLAGS.out, "w") as f:
                f.write(text + "\n")
        with open(os.path.join(model_dir, "metrics.json"), "w") as f:
            f.write(text + "\n")
        return text
    if command == "export":
        export_dir = _require("export_dir")
        family.export(model, export_dir)
        return f"Exported {config.model} to {export_dir}"
    verbs = importlib.import_module(VERBS[family.group]).COMMANDS
    if command not in verbs:
        valid = sorted(set(BUILTIN_COMMANDS) | set(verbs))
        raise UsageError(f"Unknown command {command!r} for model {config.model!r}. Valid commands: {', '.join(valid)}")
    _require("out")
    written = verbs[command](model, config, family.resolve_options(config), _args())
    return f"Wrote {written}"


def _launch_app():
    """`--model_dir`: that run's app; `--export_dir`: that export's app; neither: every shipped model, a tab each."""
    from keras_gen_apps.common import launch

    if FLAGS.model_dir:
        from keras_gen.families import get_family
        from keras_gen.training.config import TrainConfig, config_path

        if not os.path.exists(config_path(FLAGS.model_dir)):
            raise UsageError(f"No trained model in model_dir={FLAGS.model_dir!r} (no config.json). Train one first.")
        group, path = get_family(TrainConfig.from_json(config_path(FLAGS.model_dir)).model).group, FLAGS.model_dir
    elif FLAGS.export_dir:
        from keras_gen.export.common import read_metadata

        group, path = read_metadata(FLAGS.export_dir).get("group"), FLAGS.export_dir
        if group not in APPS:
            raise UsageError(f"export_dir={FLAGS.export_dir!r} is not a keras-gen export with a known model group "
                             f"(its keras_gen_export.json names group={group!r}); re-export it with `keras-gen export`.")
    else:
        launch(importlib.import_module(SHIPPED_APP).build_app(), FLAGS.host, FLAGS.port)
        return "App closed."
    launch(importlib.import_module(APPS[group]).build_app(path), FLAGS.host, FLAGS.port)
    return "App closed."


def main(argv):
    if len(argv) != 2:
        from keras_gen.families import family_names

        print(__doc__, file=sys.stderr)
        print(f"Models: {', '.join(family_names())}", file=sys.stderr)
        return 2
    from keras_gen.data import DatasetUnavailableError
    from keras_gen.training.callbacks import TrainingDivergedError

    try:
        print(run_command(argv[1]))
    except (UsageError, ValueError, FileNotFoundError, DatasetUnavailableError, TrainingDivergedError) as error:
        print(f"keras-gen {argv[1]}: error: {error}", file=sys.stderr)
        return 2
    return 0


_OUR_FLAGS = [name for name in FLAGS]  # noqa: the flags defined above (absl adds its own later)


def _start_tensorflow_quietly():
    """Imports TensorFlow and finds its devices with the process's stderr muted.

    TensorFlow 2.21 writes its C++ start-up log (the oneDNN notice, "Could not find cuda drivers", "failed call to
    cuInit: CUDA error" on a machine without a GPU) straight to file descriptor 2, before its log level applies:
    to a new user it reads like a failure. A Python error raised meanwhile is still printed, after stderr is back.
    Setting TF_CPP_MIN_LOG_LEVEL yourself (0 shows everything) keeps TensorFlow's own log.
    """
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def run():
    _start_tensorflow_quietly()
    app.run(main)


if __name__ == "__main__":
    run()
