"""Each registered model trained once per test session at its smoke settings (`Recipe.smoke`), shared by the
family contract test and any test that needs a trained model directory of a family."""

import dataclasses
import os

import keras
import numpy as np
import pytest

from keras_gen.families import get_family
from keras_gen.training.callbacks import TrainingDivergedError
from keras_gen.training.config import TrainConfig
from keras_gen.training.runner import train

STEPS = 2  # batches per epoch
BATCH = 4


@dataclasses.dataclass
class FamilyRun:
    """A smoke run: one epoch, then `--resume` to three epochs whose third is poisoned with NaN weights."""

    name: str
    output_dir: str
    config: TrainConfig
    model: keras.Model  # as the first `train` call returned it (epoch 1)
    first_history: list  # history.csv lines after epoch 1
    resumed_history: list  # history.csv lines after the resumed run stopped
    diverged: TrainingDivergedError  # what the resumed run raised


class PoisonWeights(keras.callbacks.Callback):
    """Sets every trainable weight to NaN when epoch `epoch` (0-based) begins."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            for weight in self.model.trainable_weights:
                weight.assign(np.full(weight.shape, np.nan, weight.dtype))


def smoke_config(name, output_dir, dependency_dirs=None, **changes):
    family = get_family(name)
    options = dict(family.smoke.options)
    if family.smoke.builds_on:
        model, option = family.smoke.builds_on
        options[option] = dependency_dirs[model]
    values = dict(model=name, dataset=family.smoke.dataset, epochs=1, steps_per_epoch=STEPS, batch_size=BATCH, run_eagerly=True,
                  validation_steps=1,
                  output_dir=str(output_dir), options=options)
    return TrainConfig(**{**values, **changes})


def _history(output_dir):
    with open(os.path.join(output_dir, "history.csv")) as f:
        return f.read().splitlines()


def run_family(name, output_dir, dependency_dirs=None):
    family = get_family(name)
    config = smoke_config(name, output_dir, dependency_dirs)
    model = train(family, config, verbose=0)
    first_history = _history(output_dir)
    with pytest.raises(TrainingDivergedError) as diverged:
        train(family, config.replace(epochs=3, resume=True), callbacks=[PoisonWeights(epoch=2)], verbose=0)
    return FamilyRun(name, str(output_dir), config, model, first_history, _history(output_dir), diverged.value)


@pytest.fixture(scope="session")
def family_run(tmp_path_factory):
    """`family_run(name) -> FamilyRun`, trained on first use (after the model it builds on, if any)."""
    runs = {}

    def get(name):
        if name not in runs:
            builds_on = get_family(name).smoke.builds_on
            dependencies = {builds_on[0]: get(builds_on[0]).output_dir} if builds_on else {}
            runs[name] = run_family(name, tmp_path_factory.mktemp(name), dependencies)
        return runs[name]

    return get
