"""Trains a model family handed in by the caller: datasets and model from the family, shared callbacks, resume,
save. Nothing here knows a family by name."""

import contextlib
import dataclasses
import functools
import os

import keras
import tensorflow as tf
from absl import logging

import keras_gen.models  # noqa: F401  (registers every custom class, so any saved model loads)
from keras_gen.training.callbacks import (
    EpochCheckpoint,
    SampleGrid,
    StopOnNaN,
    TrainingDivergedError,
    UnlessDiverged,
    read_state,
)
from keras_gen.training.config import TrainConfig, config_path

MODEL_FILE = "model.keras"


@functools.lru_cache(maxsize=None)
def distribution_strategy(name):
    """The `tf.distribute` strategy for `--strategy` (`multi_worker` reads TF_CONFIG).

    One instance per name and process: a second MirroredStrategy in the same process reuses collective
    instance keys of the first, and its all-reduces then abort with shape mismatches (train twice in a
    notebook, or a test that trains several models).
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        # All local GPUs; on a machine without one, every logical CPU device (tests split the CPU in two).
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.MirroredStrategy([d.name for d in gpus or tf.config.list_logical_devices("CPU")])
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"`strategy` must be one of default, mirrored, multi_worker. Received: strategy={name!r}")


def worker_id(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    return 0 if resolver is None or resolver.task_id is None else int(resolver.task_id)


def is_chief(strategy):
    """True for single-process training, the `chief` task, or worker 0 of a cluster without a chief."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and worker_id(strategy) == 0 and not has_chief


def train(family, config, callbacks=(), verbose="auto"):
    """Trains `family` (a `keras_gen.families.ModelFamily`) as `config` says, writing `config.output_dir`;
    returns the trained model.

    `config.fd_every=N` computes the classifier Frechet distance of samples every N epochs into the logs
    (history.csv, TensorBoard); `config.tensorboard` writes TensorBoard logs to `logs/`.

    Output directory: `config.json` (the recipe, with every option resolved), `model.keras` (final),
    `checkpoints/epoch_NNNN.keras` and `state.json` (resume points), `history.csv` (per-epoch metrics),
    `samples/epoch_NNNN.png` (sample grids).
    """
    if config.model != family.name:
        raise ValueError(f"`config.model` must name the family being trained ({family.name!r}). "
                         f"Received: model={config.model!r}")
    # Parsed first, so a misspelt option fails before any data is read.
    options = family.resolve_options(config)
    config = config.replace(options=dataclasses.asdict(options))
    # A multi-worker strategy must exist before any other TensorFlow op runs in the process.
    strategy = distribution_strategy(config.strategy)
    if config.dataset is None:
        config = config.replace(dataset=family.default_dataset)
    if not is_chief(strategy):
        # Every worker runs the same program; only the chief writes the real output directory.
        config = config.replace(output_dir=os.path.join(config.output_dir, "workers", f"worker_{worker_id(strategy)}"))
    os.makedirs(config.output_dir, exist_ok=True)
    keras.config.set_dtype_policy(config.precision)
    keras.utils.set_random_seed(config.seed)

    train_ds, val_ds, info = family.make_datasets(config, options)
    state = read_state(config.output_dir) if config.resume else None
    scope = strategy.scope() if config.strategy != "default" else contextlib.nullcontext()
    with scope:
        if state is not None:
            logging.info("Resuming from %s (epoch %d).", state["checkpoint"], state["epoch"])
            model = keras.models.load_model(state["checkpoint"])
            initial_epoch = state["epoch"]
        else:
            if config.resume:
                logging.warning("--resume: no checkpoint in %s; starting from epoch 0.", config.output_dir)
            model = family.build_model(config, options, info)
            initial_epoch = 0
    if config.run_eagerly:
        model.run_eagerly = True
    config.to_json(config_path(config.output_dir))
    if initial_epoch >= config.epochs:
        logging.info("Already trained for %d epochs (asked for %d): nothing to do.", initial_epoch, config.epochs)
        return model

    if config.strategy == "multi_worker":
        _work_around_multi_worker_log_reduction(model)
    nan_guard = StopOnNaN()
    # Callbacks that add to the logs (the FD callback) run before the ones that write the logs out.
    metric_callbacks = list(callbacks)
    if config.fd_every and family.sample_images is not None:
        from keras_gen.training.eval_callback import frechet_distance_callback

        metric_callbacks.append(UnlessDiverged(frechet_distance_callback(
            family.sample_images, config.dataset, every=config.fd_every, data_dir=config.data_dir, seed=config.seed),
            nan_guard))
    all_callbacks = [
        nan_guard,
        *metric_callbacks,
        UnlessDiverged(EpochCheckpoint(config.output_dir), nan_guard),
        keras.callbacks.CSVLogger(os.path.join(config.output_dir, "history.csv"), append=initial_epoch > 0),
    ]
    if config.tensorboard:
        all_callbacks.append(keras.callbacks.TensorBoard(os.path.join(config.output_dir, "logs")))
    if family.callbacks is not None:
        all_callbacks.extend(UnlessDiverged(callback, nan_guard) for callback in family.callbacks(config))
    if family.sample_images is not None and config.sample_every:
        samples = SampleGrid(family.sample_images, os.path.join(config.output_dir, "samples"), config.sample_every)
        all_callbacks.append(UnlessDiverged(samples, nan_guard))

    model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=config.epochs,
        initial_epoch=initial_epoch,
        steps_per_epoch=config.steps_per_epoch,
        validation_steps=config.validation_steps if val_ds is not None else None,
        shuffle=False,  # the tf.data pipeline shuffles (seeded); Keras ignores this for datasets but warns
        callbacks=all_callbacks,
        verbose=verbose,
    )
    if nan_guard.message:
        raise TrainingDivergedError(nan_guard.message)
    _atomic_save(model, os.path.join(config.output_dir, MODEL_FILE))
    return model


def _work_around_multi_worker_log_reduction(model):
    """Keras 3 averages each step's logs across workers with `reduce(MEAN, axis=0)`, which fails on the scalar
    logs every train_step returns ("Invalid reduction dimension 0", tensorflow/tensorflow#72388). Giving the logs
    a leading axis of 1 makes that reduction the mean over replicas. Only the logs change, not the gradients.
    """

    def with_leading_axis(step):
        def wrapped(data):
            return {name: tf.reshape(value, [1]) for name, value in step(data).items()}

        return wrapped

    model.train_step = with_leading_axis(model.train_step)
    model.test_step = with_leading_axis(model.test_step)


def _atomic_save(model, path):
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp.keras")
    model.save(tmp)
    os.replace(tmp, path)


def load_trained(model_dir):
    """(model, TrainConfig) from a directory written by `train`: the newest of the final model and the last
    checkpoint (a resumed run that diverged leaves a checkpoint newer than the earlier run's final model)."""
    if not model_dir or not os.path.isdir(model_dir):
        raise FileNotFoundError(f"No model directory at model_dir={model_dir!r}: train one with `keras-gen train --output_dir=...`.")
    candidates = [os.path.join(model_dir, MODEL_FILE)] + [(read_state(model_dir) or {}).get("checkpoint", "")]
    candidates = [path for path in candidates if path and os.path.exists(path)]
    if not candidates:
        raise FileNotFoundError(
            f"No trained model in model_dir={model_dir!r}: expected {MODEL_FILE} or checkpoints/ written by "
            f"`keras-gen train --output_dir={model_dir}`."
        )
    path = max(candidates, key=os.path.getmtime)
    if not os.path.exists(config_path(model_dir)):
        raise FileNotFoundError(f"model_dir={model_dir!r} has a model but no config.json: it was not written by keras-gen.")
    return keras.models.load_model(path), TrainConfig.from_json(config_path(model_dir))
