import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.layers.pixelcnn import MaskedConv2D
from keras_gen.models.pixelcnn import PixelCNNPrior, build_pixelcnn_prior_network
from tests.helpers import assert_keras_roundtrip

GRID = (4, 4)
CODES = 6


def _prior(num_classes=None, condition=False, filters=8, num_layers=3):
    network = build_pixelcnn_prior_network(
        GRID, CODES, filters=filters, num_layers=num_layers, num_classes=num_classes,
        condition_grid_shape=(2, 2) if condition else None, condition_num_embeddings=5 if condition else None,
    )
    return PixelCNNPrior(network)


def _data(batch=4, seed=0, num_classes=3, condition=False):
    rng = np.random.default_rng(seed)
    data = {"codes": rng.integers(0, CODES, (batch,) + GRID).astype("int32"),
            "labels": (np.arange(batch) % num_classes).astype("int32")}
    if condition:
        data["condition"] = rng.integers(0, 5, (batch, 2, 2)).astype("int32")
    return data


def test_logits_at_a_position_ignore_codes_at_and_after_it():
    prior = _prior(num_classes=3, condition=True)
    data = _data(condition=True)
    logits = prior(data).numpy()
    assert logits.shape == (4,) + GRID + (CODES,)
    height, width = GRID
    for position in range(height * width):
        changed = dict(data, codes=data["codes"].copy())
        flat = changed["codes"].reshape(4, -1)
        flat[:, position:] = (flat[:, position:] + 1) % CODES  # every code at and after `position`
        new_logits = prior(changed).numpy().reshape(4, height * width, CODES)
        np.testing.assert_allclose(new_logits[:, : position + 1], logits.reshape(4, -1, CODES)[:, : position + 1],
                                   atol=1e-5)
        if position == 0:  # and an earlier code does matter for the positions after it
            assert np.abs(new_logits[:, 1:] - logits.reshape(4, -1, CODES)[:, 1:]).max() > 1e-6


def test_labels_and_condition_change_the_logits():
    prior = _prior(num_classes=3, condition=True)
    data = _data(condition=True)
    base = prior(data).numpy()
    other_labels = prior(dict(data, labels=(data["labels"] + 1) % 3)).numpy()
    other_condition = prior(dict(data, condition=(data["condition"] + 1) % 5)).numpy()
    assert np.abs(base - other_labels).max() > 1e-5
    assert np.abs(base - other_condition).max() > 1e-5


def test_train_step_starts_near_log_k_and_decreases():
    prior = _prior(num_classes=3)
    prior.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=True)  # fast for a few steps
    data = _data(batch=8)
    data["codes"] = np.broadcast_to(data["labels"][:, None, None], (8,) + GRID).astype("int32")  # learnable
    initial = prior.evaluate(data, verbose=0, return_dict=True)["loss"]
    assert abs(initial - np.log(CODES)) < 0.3
    history = prior.fit(tf.data.Dataset.from_tensors(data).repeat(15), epochs=1, verbose=0)
    final = prior.evaluate(data, verbose=0, return_dict=True)["loss"]
    assert set(history.history) == {"loss"}
    assert final < initial - 0.3


def test_sampling_is_seeded_and_low_temperature_is_greedy():
    prior = _prior(num_classes=3)
    labels = np.array([0, 1, 2], np.int32)
    codes = prior.sample(labels=labels, seed=5).numpy()
    assert codes.shape == (3,) + GRID and codes.dtype == np.int32
    assert codes.min() >= 0 and codes.max() < CODES
    np.testing.assert_array_equal(codes, prior.sample(labels=labels, seed=5).numpy())
    assert not np.array_equal(codes, prior.sample(labels=labels, seed=6).numpy())
    # Temperature -> 0 is greedy decoding, which we redo by hand one position at a time (logits scaled up
    # so that no two are within float precision of each other).
    logits_layer = prior.network.get_layer("pixelcnn_prior_logits")
    logits_layer.set_weights([w * 10.0 for w in logits_layer.get_weights()])
    greedy = np.zeros((3,) + GRID, np.int32)
    for row in range(GRID[0]):
        for col in range(GRID[1]):
            logits = prior({"codes": greedy, "labels": labels}).numpy()
            greedy[:, row, col] = logits[:, row, col].argmax(-1)
    np.testing.assert_array_equal(prior.sample(labels=labels, temperature=1e-7, seed=1).numpy(), greedy)


@pytest.mark.parametrize("kernel_size,num_layers,conditioning", [
    (3, 1, "none"), (3, 3, "labels"), (5, 2, "labels+grid"), (3, 4, "grid"),
])
def test_cached_sampler_draws_the_reference_samplers_codes(kernel_size, num_layers, conditioning):
    # On a non-square grid (rows and columns cannot be swapped unnoticed), the cached sampler (each layer computed
    # once per position) must draw exactly the codes of the reference sampler (the whole network at every
    # position) from the same seeds.
    grid = (4, 6)
    network = build_pixelcnn_prior_network(
        grid, CODES, filters=8, num_layers=num_layers, kernel_size=kernel_size,
        num_classes=3 if "labels" in conditioning else None,
        condition_grid_shape=(2, 3) if "grid" in conditioning else None,
        condition_num_embeddings=5 if "grid" in conditioning else None,
    )
    prior = PixelCNNPrior(network)
    rng = np.random.default_rng(0)
    # Large random weights everywhere (biases included): every term of every layer matters.
    network.set_weights([rng.normal(0.0, 0.5, w.shape).astype("float32") for w in network.get_weights()])
    labels = np.array([0, 1, 2, 0, 1, 2], np.int32) if "labels" in conditioning else None
    condition = rng.integers(0, 5, (6, 2, 3)).astype("int32") if "grid" in conditioning else None
    draws = []
    for seed in (0, 1):
        kwargs = dict(num_samples=6, labels=labels, condition=condition, seed=seed, seed_offset=3)
        reference = prior.sample(method="reference", **kwargs).numpy()
        cached = prior.sample(method="cached", **kwargs).numpy()
        np.testing.assert_array_equal(cached, reference)
        draws.append(cached)
    np.testing.assert_array_equal(prior.sample(**kwargs).numpy(), cached)  # "auto" is the cached one
    assert len(np.unique(draws[0])) >= 4  # the draws are not trivially constant ...
    assert not np.array_equal(draws[0], draws[1])  # ... and follow the seed
    # Each code was drawn from the logits the full network gives at its position on the final codes (a logit
    # error too small to flip these few draws shows here).
    codes, logits = prior.cached_sampler.sample(
        tf.constant(6), tf.zeros(6, tf.int32) if labels is None else tf.constant(labels),
        tf.zeros((6, 1, 1), tf.int32) if condition is None else tf.constant(condition), tf.constant(1.0),
        tf.constant(0), tf.constant(3), return_logits=True,
    )
    np.testing.assert_array_equal(codes.numpy(), draws[0])
    inputs = {"codes": draws[0], "labels": labels, "condition": condition}
    full_logits = prior({key: value for key, value in inputs.items() if value is not None}).numpy()
    np.testing.assert_allclose(logits.numpy(), full_logits, rtol=1e-4, atol=1e-4)
    assert full_logits.std() > 1.0


def test_cached_sampler_needs_the_builders_layout():
    # A network laid out differently (here: one masked conv, no gated blocks) is sampled the plain way.
    codes = keras.Input(GRID, dtype="int32", name="codes")
    x = keras.layers.Embedding(CODES, 4)(codes)
    logits = MaskedConv2D(CODES, 3, "A", name="logits")(x)
    prior = PixelCNNPrior(keras.Model({"codes": codes}, logits, name="custom"))
    codes_drawn = prior.sample(num_samples=2, seed=0).numpy()
    np.testing.assert_array_equal(codes_drawn, prior.sample(num_samples=2, seed=0, method="reference").numpy())
    with pytest.raises(ValueError, match="method='cached'"):
        prior.sample(num_samples=2, method="cached")
    with pytest.raises(ValueError, match="method='fast'"):
        _prior().sample(num_samples=2, method="fast")


def test_sampling_follows_the_model_distribution():
    # An unconditional prior whose logits we force: the output bias makes code 2 dominant everywhere.
    prior = _prior()
    logits_layer = prior.network.get_layer("pixelcnn_prior_logits")
    kernel, bias = logits_layer.get_weights()
    bias = np.full(CODES, -5.0, np.float32)
    bias[2] = 5.0
    logits_layer.set_weights([kernel * 0.0, bias])
    codes = prior.sample(num_samples=8, seed=0).numpy()
    assert np.mean(codes == 2) > 0.95
    # A spread-out distribution: code frequencies over 4,096 draws match softmax(bias) (tolerance ~4 standard
    # errors), and a temperature of 2 flattens it to softmax(bias / 2).
    bias = np.log(np.array([0.4, 0.3, 0.15, 0.1, 0.04, 0.01], np.float32))
    logits_layer.set_weights([kernel * 0.0, bias])
    for temperature in (1.0, 2.0):
        expected = np.exp(bias / temperature) / np.exp(bias / temperature).sum()
        codes = prior.sample(num_samples=256, temperature=temperature, seed=1).numpy()
        np.testing.assert_allclose(np.bincount(codes.reshape(-1), minlength=CODES) / codes.size, expected, atol=0.03)


def test_save_load_roundtrip_and_resume(tmp_path):
    prior = _prior(num_classes=3, condition=True)
    prior.compile(optimizer=keras.optimizers.Adam(1e-3), run_eagerly=True)
    data = _data(condition=True)
    prior.fit(tf.data.Dataset.from_tensors(data), epochs=1, verbose=0)
    path = str(tmp_path / "pixelcnn_prior.keras")
    restored = assert_keras_roundtrip(prior, data, path)
    assert isinstance(restored, PixelCNNPrior)
    np.testing.assert_array_equal(
        prior.sample(labels=data["labels"], condition=data["condition"], seed=2).numpy(),
        restored.sample(labels=data["labels"], condition=data["condition"], seed=2).numpy(),
    )
    # One more step from both gives the same weights: the optimizer state came back.
    prior.fit(tf.data.Dataset.from_tensors(data), epochs=1, verbose=0)
    restored.fit(tf.data.Dataset.from_tensors(data), epochs=1, verbose=0)
    for a, b in zip(prior.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_bad_arguments_name_the_parameter():
    prior = _prior(num_classes=3)
    with pytest.raises(ValueError, match="labels=None"):
        prior.sample(num_samples=2)
    with pytest.raises(ValueError, match="temperature=0"):
        prior.sample(labels=np.zeros(2, np.int32), temperature=0)
    with pytest.raises(ValueError, match="num_samples=0"):
        _prior().sample(num_samples=0)
    with pytest.raises(ValueError, match="condition_grid_shape"):
        build_pixelcnn_prior_network(GRID, CODES, condition_grid_shape=(3, 3), condition_num_embeddings=4)
    with pytest.raises(ValueError, match="num_layers=0"):
        build_pixelcnn_prior_network(GRID, CODES, num_layers=0)
