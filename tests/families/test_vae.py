import csv
import os

import keras
import numpy as np
import pytest

from keras_gen import data
from keras_gen.families import get_family, train
from keras_gen.training.config import TrainConfig
from keras_gen.training.runner import load_trained


def _config(output_dir, **changes):
    options = {"hidden_units": "16", "latent_dim": "4", **changes.pop("options", {})}
    values = dict(model="vae", dataset="synthetic_16", epochs=1, steps_per_epoch=1, batch_size=8, sample_every=0,
                  run_eagerly=True, output_dir=str(output_dir), options=options)
    return TrainConfig(**{**values, **changes})


def _rows(output_dir):
    with open(os.path.join(output_dir, "history.csv")) as f:
        return [{key: float(value) for key, value in row.items()} for row in csv.DictReader(f)]


def _sorted(images):
    images = np.asarray(images)
    return images[np.lexsort(images.reshape(len(images), -1).T)]


def test_validation_digits_are_held_out_from_the_train_split_never_the_test_split():
    family = get_family("vae")
    train_x, _ = data.as_numpy("synthetic_16", "train")
    test_x, _ = data.as_numpy("synthetic_16", "test")
    config = _config("/unused", batch_size=64, steps_per_epoch=None,
                     options={"likelihood": "gaussian", "validation_examples": "16"})
    train_ds, validation, _ = family.datasets(config)
    np.testing.assert_array_equal(np.concatenate(list(validation)), train_x[48:])
    np.testing.assert_array_equal(_sorted(np.concatenate(list(train_ds))), _sorted(train_x[:48]))
    # Without held-out digits, validation is the test split (watched only: early stopping needs held-out ones).
    _, validation, _ = family.datasets(_config("/unused", options={"likelihood": "gaussian"}))
    np.testing.assert_array_equal(np.concatenate(list(validation)), test_x)


@pytest.mark.parametrize("options, message", [
    ({"early_stopping_patience": "3"}, "Received: early_stopping_patience=3, validation_examples=0"),
    ({"kl_warmup_steps": "-1"}, "Received: kl_warmup_steps=-1"),
    ({"weight_decay": "-0.1"}, "Received: weight_decay=-0.1"),
    ({"validation_examples": "-5"}, "Received: validation_examples=-5"),
])
def test_bad_options_are_named(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        train(_config(tmp_path, options=options), verbose=0)


def test_resume_continues_the_kl_warmup_and_keeps_adamw(tmp_path):
    options = {"kl_warmup_steps": "4", "weight_decay": "0.01"}
    train(_config(tmp_path, options=options), verbose=0)
    model = train(_config(tmp_path, options=options, epochs=3, resume=True), verbose=0)
    assert isinstance(model.optimizer, keras.optimizers.AdamW) and model.optimizer.weight_decay == pytest.approx(0.01)
    assert int(model.optimizer.iterations.numpy()) == 3 and model.kl_warmup_steps == 4
    # One step per epoch, at optimizer steps 0, 1, 2: KL weights 0, 1/4, 1/2.
    rows = _rows(tmp_path)
    assert [row["epoch"] for row in rows] == [0, 1, 2]
    for row, weight in zip(rows, [0.0, 0.25, 0.5]):
        assert row["loss"] == pytest.approx(row["reconstruction"] + weight * row["kl"], rel=1e-5)
        # Validation scores the ELBO itself.
        assert row["val_loss"] == pytest.approx(row["val_reconstruction"] + row["val_kl"], rel=1e-5)


def test_early_stopping_keeps_the_best_validation_epoch(tmp_path):
    options = {"validation_examples": "16", "early_stopping_patience": "2", "learning_rate": "0.05"}
    model = train(_config(tmp_path, options=options, epochs=6), verbose=0)
    rows = _rows(tmp_path)
    best = int(np.argmin([row["val_loss"] for row in rows]))
    assert len(rows) == 6 or len(rows) == best + 3  # ran out of epochs, or stopped 2 epochs after the best
    restored, _ = load_trained(str(tmp_path))
    best_weights = keras.models.clone_model(model)
    best_weights.load_weights(tmp_path / "best.weights.h5")
    for final, expected, kept in zip(model.weights, best_weights.weights, restored.weights):
        np.testing.assert_array_equal(final.numpy(), expected.numpy())
        np.testing.assert_array_equal(kept.numpy(), expected.numpy())
    # The model at the end is the best epoch's: its validation loss is the best one (static binarization).
    _, validation, _ = get_family("vae").datasets(_config(tmp_path, options=options))
    score = model.evaluate(validation, verbose=0, return_dict=True)
    assert score["reconstruction"] == pytest.approx(rows[best]["val_reconstruction"], abs=5.0)


def test_the_vae_recipe_decays_its_learning_rate_on_a_cosine_over_the_whole_run(tmp_path):
    family = get_family("vae")
    options = family.resolve_options(_config(tmp_path))
    assert (options.learning_rate, options.learning_rate_schedule) == (2e-3, "cosine")
    # synthetic_16: 64 train examples - 16 held out = 48 = 6 batches of 8 per epoch; 3 epochs = 18 steps.
    config = _config(tmp_path, epochs=3, steps_per_epoch=None, options={"validation_examples": "16"})
    schedule = family.build(config, data.get_info("synthetic_16")).optimizer._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay) and schedule.decay_steps == 18
    for step, rate in [(0, 2e-3), (9, 1e-3), (18, 0.0), (30, 0.0)]:  # 2e-3 * (1 + cos(pi * step / 18)) / 2
        assert float(schedule(step)) == pytest.approx(rate, abs=1e-9), step
    # With --steps_per_epoch the run is epochs x steps_per_epoch; a resumed run keeps the schedule it was built with.
    train(_config(tmp_path, epochs=2, steps_per_epoch=2), verbose=0)
    model = train(_config(tmp_path, epochs=3, steps_per_epoch=2, resume=True), verbose=0)
    assert model.optimizer._learning_rate.decay_steps == 4 and int(model.optimizer.iterations.numpy()) == 6
    assert float(model.optimizer.learning_rate) == 0.0
    # conv_vae keeps Adam's constant 1e-3.
    conv = get_family("conv_vae").resolve_options(_config(tmp_path, model="conv_vae"))
    assert (conv.learning_rate, conv.learning_rate_schedule) == (1e-3, "constant")
