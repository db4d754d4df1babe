"""`benchmarks/speed.py --paired`: the plain-Keras reference trainers train, and the pairs are ordered and summarized right."""

import functools
import importlib.util
import os

import numpy as np
import pytest

from keras_gen.families import get_family
from keras_gen.training.config import TrainConfig
from tests.helpers import REPO_ROOT


@functools.cache
def _speed_reference():
    path = os.path.join(REPO_ROOT, "benchmarks", "speed_reference.py")
    spec = importlib.util.spec_from_file_location("speed_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_alternating_order_puts_each_arm_first_as_often_as_last():
    order = _speed_reference().alternating_order(["a", "b"], 4)
    assert order == [["a", "b"], ["b", "a"], ["a", "b"], ["b", "a"]]
    three = _speed_reference().alternating_order(["a", "b", "reference"], 2)
    assert three == [["a", "b", "reference"], ["reference", "b", "a"]]


def test_paired_rounds_divide_runs_of_the_same_round():
    speed_reference = _speed_reference()
    durations = iter([1.0, 2.0, 4.0, 1.0, 2.0, 2.0])  # seconds per run, in the order the runs happen
    calls = []

    def run_arm(arm):
        calls.append(arm)
        return 100 / next(durations)  # examples/s of a run of 100 examples

    speeds, ratios = speed_reference.paired_rounds(run_arm, ["project", "reference"], 3)
    assert calls == ["project", "reference", "reference", "project", "project", "reference"]
    assert speeds == {"project": [100.0, 100.0, 50.0], "reference": [50.0, 25.0, 50.0]}
    assert ratios == {"project": [2.0, 4.0, 1.0]}


def test_ratio_statistics():
    stats = _speed_reference().ratio_statistics([0.9, 1.3, 1.1, 1.0, 1.2])
    assert stats["median"] == pytest.approx(1.1)
    assert (stats["min"], stats["max"]) == (0.9, 1.3)
    assert (stats["q1"], stats["q3"]) == (pytest.approx(1.0), pytest.approx(1.2))
    assert stats["iqr"] == pytest.approx(0.2)
    assert (stats["pairs"], stats["below_one"]) == (5, 1)


SMOKE = {"vae": {"hidden_units": 16, "latent_dim": 4}, "dcgan": {"base_filters": 4, "latent_dim": 6},
         "cgan": {"base_filters": 4, "latent_dim": 6}}


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_reference_trains_fresh_copies_of_the_project_networks(name):
    family = get_family(name)
    config = TrainConfig(model=name, dataset="synthetic_16", batch_size=4, epochs=1, steps_per_epoch=2,
                         output_dir="/tmp/unused", options=SMOKE[name])
    train, _, info = family.datasets(config)
    project = family.build(config, info)
    reference = _speed_reference().reference_for(project)
    pairs = ([(project.encoder, reference.encoder), (project.decoder, reference.decoder)] if name == "vae" else
             [(project.generator, reference.generator), (project.discriminator, reference.discriminator)])
    for ours, theirs in pairs:  # same architecture (so outputs of the same shape), its own weights
        assert theirs is not ours and theirs.count_params() == ours.count_params()
        assert theirs.input_shape == ours.input_shape and theirs.output_shape == ours.output_shape
        assert not any(np.array_equal(a, b) for a, b in zip(theirs.get_weights(), ours.get_weights()) if a.std() > 0)
    before = [w.numpy().copy() for w in reference.trainable_weights]
    reference.run_eagerly = True  # the same train_step, without seconds of tracing
    history = reference.fit(train, epochs=1, steps_per_epoch=1, verbose=0).history
    assert history and all(np.isfinite(values[-1]) for values in history.values())
    changed = [not np.array_equal(b, w.numpy()) for b, w in zip(before, reference.trainable_weights)]
    assert all(changed), "every trainable weight gets a gradient"
