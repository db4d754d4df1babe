import json

import keras
import numpy as np

from keras_gen.training.callbacks import ResumableEarlyStopping

VAL_LOSSES = [5.0, 3.0, 4.0, 2.5, 2.6, 2.7, 2.8, 2.0]  # best at epoch 3 (0-based); patience 3 runs out at epoch 6


def one_weight_model():
    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Dense(1, use_bias=False)(inputs))
    model.stop_training = False
    return model


def run_epochs(callback, model, epochs):
    """A hand-made history: at epoch e the model's weight is e, and the validation loss is VAL_LOSSES[e]."""
    for epoch in epochs:
        model.layers[-1].kernel.assign([[float(epoch)]])
        callback.on_epoch_end(epoch, {"loss": 1.0, "val_loss": VAL_LOSSES[epoch]})
        if model.stop_training:
            return epoch
    return None


def test_early_stopping_ends_on_the_best_epochs_weights(tmp_path):
    model = one_weight_model()
    callback = ResumableEarlyStopping(str(tmp_path), patience=3)
    callback.set_model(model)
    callback.on_train_begin()
    assert run_epochs(callback, model, range(len(VAL_LOSSES))) == 6
    assert json.load(open(tmp_path / "early_stopping.json")) == {"best": 2.5, "best_epoch": 3, "wait": 3,
                                                                 "monitor": "val_loss"}
    callback.on_train_end()
    assert float(model.layers[-1].kernel.numpy()[0, 0]) == 3.0


def test_early_stopping_state_survives_a_resume(tmp_path):
    model = one_weight_model()
    first = ResumableEarlyStopping(str(tmp_path), patience=3)
    first.set_model(model)
    first.on_train_begin()
    assert run_epochs(first, model, range(5)) is None  # interrupted after epoch 4: best epoch 3, waited 1

    resumed_model = one_weight_model()  # the weights of epoch 3 exist only on disk now
    resumed = ResumableEarlyStopping(str(tmp_path), resume=True, patience=3)
    resumed.set_model(resumed_model)
    resumed.on_train_begin()
    assert (resumed.best, resumed.best_epoch, resumed.wait) == (2.5, 3, 1)
    assert run_epochs(resumed, resumed_model, range(5, len(VAL_LOSSES))) == 6  # where the whole run stops
    resumed.on_train_end()
    assert float(resumed_model.layers[-1].kernel.numpy()[0, 0]) == 3.0

    # A fresh (not resumed) run in the same directory starts over: the old best is discarded.
    fresh_model = one_weight_model()
    fresh = ResumableEarlyStopping(str(tmp_path), patience=3)
    fresh.set_model(fresh_model)
    fresh.on_train_begin()
    assert not (tmp_path / "early_stopping.json").exists() and not (tmp_path / "best.weights.h5").exists()
    assert run_epochs(fresh, fresh_model, [7]) is None
    fresh.on_train_end()
    np.testing.assert_array_equal(fresh_model.layers[-1].kernel.numpy(), [[7.0]])
