"""Callbacks shared by every trainer: atomic per-epoch checkpoints, a NaN stop that names the step, sample grids."""

import json
import math
import os

import keras
import numpy as np

from keras_gen.utils.images import save_grid


class TrainingDivergedError(RuntimeError):
    """A loss became NaN or infinite; training stopped and no checkpoint was written for that epoch."""


def _atomic_write_json(path, payload):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
    os.replace(tmp, path)


def checkpoint_dir(model_dir):
    return os.path.join(model_dir, "checkpoints")


def read_state(model_dir):
    """The last completed epoch and its checkpoint, or None when training never finished an epoch there."""
    path = os.path.join(model_dir, "state.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        state = json.load(f)
    return state if os.path.exists(state.get("checkpoint", "")) else None


class StopOnNaN(keras.callbacks.Callback):
    """Stops training at the first batch whose logged losses are not finite, remembering where it happened."""

    def __init__(self):
        super().__init__()
        self.message = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = {k: float(v) for k, v in (logs or {}).items() if np.ndim(v) == 0 and not math.isfinite(float(v))}
        if bad and self.message is None:
            step = int(self.model.optimizer.iterations.numpy()) if self.model.optimizer is not None else None
            self.message = (
                f"Training diverged: {', '.join(f'{k}={v}' for k, v in sorted(bad.items()))} at epoch {self._epoch + 1}, "
                f"batch {batch + 1} (optimizer step {step}). No checkpoint was written for this epoch; earlier ones are intact."
            )
            self.model.stop_training = True


class UnlessDiverged(keras.callbacks.Callback):
    """Runs `callback` at each epoch's end only while `nan_guard` has seen no NaN: a checkpoint of NaN weights
    would replace a good one, and sampling from (or evaluating) them fails in ways that hide the divergence
    message."""

    def __init__(self, callback, nan_guard):
        super().__init__()
        self.callback = callback
        self.nan_guard = nan_guard

    def set_model(self, model):
        super().set_model(model)
        self.callback.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        self.callback.set_params(params)

    def on_train_begin(self, logs=None):
        self.callback.on_train_begin(logs)

    def on_epoch_begin(self, epoch, logs=None):
        self.callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if not self.nan_guard.message:
            self.callback.on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        if not self.nan_guard.message:
            self.callback.on_train_end(logs)


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves the whole model (weights, optimizer state, custom train_step config) as `.keras` after each epoch.

    The file is written to a temporary name and renamed, so an interrupted save never replaces a good checkpoint;
    `state.json` names the last completed epoch for `--resume`. Only the newest `keep` checkpoints are kept.
    Wrapped in `UnlessDiverged`, it writes nothing for an epoch that went NaN.
    """

    def __init__(self, model_dir, keep=2):
        super().__init__()
        self.model_dir = model_dir
        self.keep = keep
        os.makedirs(checkpoint_dir(model_dir), exist_ok=True)

    def on_epoch_end(self, epoch, logs=None):
        path = os.path.join(checkpoint_dir(self.model_dir), f"epoch_{epoch + 1:04d}.keras")
        tmp = os.path.join(checkpoint_dir(self.model_dir), f".epoch_{epoch + 1:04d}.tmp.keras")
        self.model.save(tmp)
        os.replace(tmp, path)
        _atomic_write_json(os.path.join(self.model_dir, "state.json"), {"epoch": epoch + 1, "checkpoint": path})
        saved = sorted(f for f in os.listdir(checkpoint_dir(self.model_dir)) if f.startswith("epoch_"))
        for old in saved[: -self.keep]:
            os.remove(os.path.join(checkpoint_dir(self.model_dir), old))


class SampleGrid(keras.callbacks.Callback):
    """Writes `samples/epoch_NNNN.png` from the same seed every `every` epochs, so progress can be watched."""

    def __init__(self, sample_images, out_dir, every=1, num=64, seed=1234):
        super().__init__()
        self.sample_images = sample_images
        self.out_dir = out_dir
        self.every = every
        self.num = num
        self.seed = seed

    def on_epoch_end(self, epoch, logs=None):
        if self.every and (epoch + 1) % self.every == 0:
            images = np.asarray(self.sample_images(self.model, self.num, self.seed))
            save_grid(images, os.path.join(self.out_dir, f"epoch_{epoch + 1:04d}.png"), scale=2)


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """Keras' `EarlyStopping` whose state survives `--resume`, and which always ends on the best epoch's weights.

    After each epoch that improves `monitor`, the weights go to `<model_dir>/best.weights.h5` and the counters
    (best value, best epoch, epochs waited) to `<model_dir>/early_stopping.json`, both written atomically. With
    `resume=True` the counters are read back when training begins, so a resumed run stops where the
    uninterrupted one would have. When training ends (stopped early or not), the best epoch's weights are loaded
    into the model, so the run's final `model.keras` is the model that scored best on validation.

    Args:
        model_dir: the run's output directory.
        resume: read the saved counters (the runner passes `config.resume`); otherwise old ones are discarded.
        monitor, patience, min_delta, mode: as in `keras.callbacks.EarlyStopping`.
    """

    STATE_FILE = "early_stopping.json"
    WEIGHTS_FILE = "best.weights.h5"

    def __init__(self, model_dir, resume=False, monitor="val_loss", patience=10, min_delta=0.0, mode="min"):
        super().__init__(monitor=monitor, patience=patience, min_delta=min_delta, mode=mode,
                         restore_best_weights=False)  # the weights are kept on disk, not in memory
        self.model_dir = model_dir
        self.resume = resume

    @property
    def state_path(self):
        return os.path.join(self.model_dir, self.STATE_FILE)

    @property
    def weights_path(self):
        return os.path.join(self.model_dir, self.WEIGHTS_FILE)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self.resume and os.path.exists(self.state_path) and os.path.exists(self.weights_path):
            with open(self.state_path) as f:
                state = json.load(f)
            self.best, self.best_epoch, self.wait = float(state["best"]), int(state["best_epoch"]), int(state["wait"])
        else:
            for path in (self.state_path, self.weights_path):
                if os.path.exists(path):
                    os.remove(path)

    def on_epoch_end(self, epoch, logs=None):
        previous = self.best
        super().on_epoch_end(epoch, logs)
        if self.best is None:  # no `monitor` in the logs yet
            return
        if previous is None or self.best != previous:  # this epoch is the new best
            tmp = os.path.join(self.model_dir, ".best.tmp.weights.h5")
            self.model.save_weights(tmp)
            os.replace(tmp, self.weights_path)
        _atomic_write_json(self.state_path, {"best": float(self.best), "best_epoch": int(self.best_epoch),
                                             "wait": int(self.wait), "monitor": self.monitor})

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if os.path.exists(self.weights_path):
            self.model.load_weights(self.weights_path)
