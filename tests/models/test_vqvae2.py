import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from keras_gen.export.vqvae2 import VQVAE2Endpoints, export_vqvae2
from keras_gen.metrics.vqvae2 import code_statistics
from keras_gen.models.vqvae2 import VQVAE2, VQVAE2Prior, build_vqvae2, build_vqvae2_prior
from tests.helpers import assert_keras_roundtrip, call_export

SHAPE = (16, 16, 1)
METRICS = {"loss", "reconstruction_loss", "codebook_loss", "commitment_loss", "top_perplexity",
           "bottom_perplexity", "top_usage", "bottom_usage"}


def _vqvae(use_ema=True, **kwargs):
    model = build_vqvae2(SHAPE, channels=8, residual_channels=4, num_residual_blocks=1, embedding_dim=4,
                         top_num_embeddings=8, bottom_num_embeddings=16, use_ema=use_ema, **kwargs)
    # Eager steps: a handful of steps on tiny models is faster than tracing the train step.
    model.compile(optimizer=keras.optimizers.Adam(1e-3), run_eagerly=True)
    return model


def _images(batch=4, seed=0):
    return np.random.default_rng(seed).uniform(size=(batch,) + SHAPE).astype("float32")


def _nearest(encodings, codebook):
    """Index of the nearest codebook row for each vector of the last axis, by brute force in float64."""
    distances = ((encodings[..., None, :].astype(np.float64) - codebook.astype(np.float64)) ** 2).sum(-1)
    return distances.argmin(-1)


def _perplexity_and_usage(indices, num_embeddings):
    """exp(entropy) of the code histogram and the fraction of codes used, by hand."""
    counts = np.bincount(np.asarray(indices).reshape(-1), minlength=num_embeddings)
    probs = counts[counts > 0] / counts.sum()
    return float(np.exp(-np.sum(probs * np.log(probs)))), float(np.mean(counts > 0))


def _forward_by_hand(model, images):
    """The model's forward pass from its sub-networks, with the quantization redone in numpy: each level's
    encodings, nearest-code indices and codebook rows (the bottom encoder sees the quantized top), and the
    unclipped decoder output."""
    top_codebook = model.top_quantizer.codebook.numpy()
    bottom_codebook = model.bottom_quantizer.codebook.numpy()
    features = model.bottom_encoder(images).numpy()
    top_encodings = model.top_encoder(features).numpy()
    top = _nearest(top_encodings, top_codebook)
    bottom_encodings = model.bottom_conditioner([features, top_codebook[top]]).numpy()
    bottom = _nearest(bottom_encodings, bottom_codebook)
    decoded = model.decoder([top_codebook[top], bottom_codebook[bottom]]).numpy()
    return {"top": (top_encodings, top, top_codebook[top]), "bottom": (bottom_encodings, bottom, bottom_codebook[bottom]),
            "decoded": decoded}


def test_grids_encode_decode_and_reconstruction_agree():
    model = _vqvae()
    images = _images()
    assert (model.top_grid_shape, model.bottom_grid_shape) == ((4, 4), (8, 8))
    top, bottom = model.encode(images)
    assert top.shape == (4, 4, 4) and bottom.shape == (4, 8, 8) and top.dtype == tf.int32
    assert 0 <= top.numpy().min() and top.numpy().max() < 8 and bottom.numpy().max() < 16
    # Each index is the nearest codebook row (numpy, float64) to its level's encoder output.
    by_hand = _forward_by_hand(model, images)
    np.testing.assert_array_equal(top.numpy(), by_hand["top"][1])
    np.testing.assert_array_equal(bottom.numpy(), by_hand["bottom"][1])
    # The reconstruction is the decoder on those codebook rows, clipped to [0, 1].
    reconstruction = model(images).numpy()
    assert reconstruction.shape == (4,) + SHAPE and 0 <= reconstruction.min() and reconstruction.max() <= 1
    np.testing.assert_allclose(reconstruction, np.clip(by_hand["decoded"], 0.0, 1.0), atol=1e-6)
    np.testing.assert_allclose(model.decode_indices(top, bottom).numpy(), reconstruction, atol=1e-6)


def test_mnist_grids_are_14_and_7():
    model = build_vqvae2((28, 28, 1), channels=8, residual_channels=4, num_residual_blocks=1, embedding_dim=4)
    assert (model.top_grid_shape, model.bottom_grid_shape) == ((7, 7), (14, 14))


@pytest.mark.parametrize("use_ema", [True, False])
def test_train_step_tracks_each_loss_and_trains_the_encoders(use_ema):
    model = _vqvae(use_ema=use_ema, data_variance=0.5)
    if use_ema:  # the traced (graph) train step, as `keras-gen train` runs it
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
    images = _images(8)
    model(images)
    top, bottom = model.encode(images)  # the codes the step's forward pass assigns (weights before the update)
    by_hand = _forward_by_hand(model, images)
    encoder_before = [w.numpy().copy() for w in model.bottom_encoder.weights]
    logs = model.train_on_batch(images, return_dict=True)
    assert set(logs) == METRICS
    assert all(np.isfinite(v) for v in logs.values())
    np.testing.assert_allclose(logs["loss"], logs["reconstruction_loss"] / 0.5 + logs["codebook_loss"]
                               + logs["commitment_loss"], rtol=1e-5)
    assert (logs["codebook_loss"] == 0.0) == use_ema
    # Each term recomputed from the forward pass before the update: the plain MSE of the unclipped decoder
    # output, and per level mean((z - e)^2), weighted by beta = 0.25 for the commitment loss.
    np.testing.assert_allclose(logs["reconstruction_loss"], np.mean((images - by_hand["decoded"]) ** 2), rtol=1e-5)
    squared_errors = sum(np.mean((encodings - rows) ** 2) for encodings, _, rows in (by_hand["top"], by_hand["bottom"]))
    np.testing.assert_allclose(logs["commitment_loss"], 0.25 * squared_errors, rtol=1e-5)
    np.testing.assert_allclose(logs["codebook_loss"], 0.0 if use_ema else squared_errors, rtol=1e-5)
    assert 1.0 <= logs["top_perplexity"] <= 8 and 1.0 <= logs["bottom_perplexity"] <= 16
    # The logged perplexity and usage are those of the batch's code histogram, recomputed by hand and with
    # the evaluation's `code_statistics`.
    for level, indices, num_embeddings in (("top", top, 8), ("bottom", bottom, 16)):
        perplexity, usage = _perplexity_and_usage(indices, num_embeddings)
        np.testing.assert_allclose(logs[f"{level}_perplexity"], perplexity, rtol=1e-5)
        np.testing.assert_allclose(logs[f"{level}_usage"], usage, rtol=1e-6)
        assert code_statistics(indices, num_embeddings) == pytest.approx({"perplexity": perplexity, "usage": usage})
    # The reconstruction gradient reaches the encoder through both quantizers (straight-through).
    changed = [np.abs(a - w.numpy()).max() > 0 for a, w in zip(encoder_before, model.bottom_encoder.weights)]
    assert all(changed)
    assert model.top_quantizer.codebook.trainable == (not use_ema)


def test_a_few_steps_reduce_the_reconstruction_error():
    model = _vqvae()
    images = np.zeros((8,) + SHAPE, np.float32)
    images[:, 4:12, 4:12] = 1.0  # one square: learnable in a few steps
    model.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=True)
    first = model.train_on_batch(images, return_dict=True)["reconstruction_loss"]
    for _ in range(15):
        last = model.train_on_batch(images, return_dict=True)["reconstruction_loss"]
    assert last < 0.5 * first


def test_save_load_roundtrip_and_resume(tmp_path):
    model = _vqvae()
    images = _images(8)
    model.fit(images, batch_size=4, epochs=1, verbose=0)
    restored = assert_keras_roundtrip(model, images, str(tmp_path / "vqvae2.keras"))
    assert isinstance(restored, VQVAE2)
    for a, b in zip(model.encode(images), restored.encode(images)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # EMA state and usage trackers came back too.
    np.testing.assert_array_equal(model.top_quantizer.ema_count.numpy(), restored.top_quantizer.ema_count.numpy())
    np.testing.assert_array_equal(model.top_quantizer.code_usage.numpy(), restored.top_quantizer.code_usage.numpy())
    # Resuming: one more step from both gives the same weights (optimizer moments restored).
    model.fit(images, batch_size=8, epochs=1, verbose=0, shuffle=False)
    restored.fit(images, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def _prior_model(vqvae):
    prior = build_vqvae2_prior(vqvae, num_classes=3, filters=8, num_layers=2)
    prior.compile(optimizer=keras.optimizers.Adam(1e-3), run_eagerly=True)
    return prior


def test_prior_stage_trains_priors_only_and_samples(tmp_path):
    vqvae = _vqvae()
    images, labels = _images(6), np.arange(6) % 3
    vqvae.fit(images, batch_size=6, epochs=1, verbose=0)
    vqvae_weights = [w.numpy().copy() for w in vqvae.weights]
    prior = _prior_model(vqvae)
    assert prior.top_prior.conditional_on_labels and prior.bottom_prior.conditional_on_labels
    assert not build_vqvae2_prior(vqvae, num_classes=3, filters=8, num_layers=2,
                                  bottom_class_conditional=False).bottom_prior.conditional_on_labels
    logs = prior.train_on_batch(images, labels, return_dict=True)
    assert set(logs) == {"loss", "top_loss", "bottom_loss"}
    np.testing.assert_allclose(logs["top_loss"], np.log(8), atol=0.3)
    np.testing.assert_allclose(logs["bottom_loss"], np.log(16), atol=0.3)
    for before, after in zip(vqvae_weights, vqvae.weights):  # frozen, EMA included
        np.testing.assert_array_equal(before, after.numpy())
    generated = prior.generate(labels=np.array([0, 1, 2]), seed=4).numpy()
    assert generated.shape == (3,) + SHAPE
    np.testing.assert_array_equal(generated, prior.generate(labels=np.array([0, 1, 2]), seed=4).numpy())
    top, bottom = prior.sample_codes(labels=np.array([0, 1]), seed=1)
    assert top.shape == (2, 4, 4) and bottom.shape == (2, 8, 8)
    np.testing.assert_allclose(vqvae.decode_indices(top, bottom).numpy(),
                               prior.generate(labels=np.array([0, 1]), seed=1).numpy(), atol=1e-6)

    restored = assert_keras_roundtrip(prior, (images, labels), str(tmp_path / "prior.keras"))
    assert isinstance(restored, VQVAE2Prior) and isinstance(restored.vqvae, VQVAE2)
    np.testing.assert_array_equal(restored.generate(labels=np.array([0, 1, 2]), seed=4).numpy(), generated)
    prior.train_on_batch(images, labels)
    restored.train_on_batch(images, labels)
    for a, b in zip(prior.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_export_loads_without_keras_gen(tmp_path):
    vqvae = _vqvae()
    images, labels = _images(4), np.arange(4) % 3
    vqvae.fit(images, batch_size=4, epochs=1, verbose=0)
    prior = _prior_model(vqvae)
    prior.train_on_batch(images, labels)
    export_dir = str(tmp_path / "export")
    export_vqvae2(prior, export_dir)
    top, bottom = (t.numpy() for t in vqvae.encode(images[:2]))
    result = call_export(export_dir, {
        "encode": {"images": (images[:2].tolist(), "float32")},
        "decode": {"top_indices": (top.tolist(), "int32"), "bottom_indices": (bottom.tolist(), "int32")},
        "reconstruct": {"images": (images[:2].tolist(), "float32")},
        "sample": {"labels": ([0, 2], "int32"), "seed": (4, "int32")},
    })
    np.testing.assert_array_equal(result["encode"]["top_indices"], top)
    np.testing.assert_array_equal(result["encode"]["bottom_indices"], bottom)
    expected = vqvae(images[:2]).numpy()
    np.testing.assert_allclose(result["decode"]["images"], expected, atol=1e-5)
    np.testing.assert_allclose(result["reconstruct"]["images"], expected, atol=1e-5)
    np.testing.assert_allclose(result["sample"]["images"], prior.generate(labels=np.array([0, 2]), seed=4).numpy(),
                               atol=1e-5)
    # The export samples with the cached sampler (the full-grid reference loop is not in the SavedModel) and
    # draws the reference sampler's codes.
    reference_top, reference_bottom = prior.sample_codes(labels=np.array([0, 2]), seed=4, method="reference")
    np.testing.assert_array_equal(result["sample"]["top_indices"], reference_top.numpy())
    np.testing.assert_array_equal(result["sample"]["bottom_indices"], reference_bottom.numpy())
    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(export_dir, "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    functions = [function.signature.name for function in saved_model.meta_graphs[0].graph_def.library.function]
    assert any(name.startswith("__inference_sample_") for name in functions)  # CachedSampler.sample
    assert not any("reference_sample_loop" in name for name in functions)
    # The endpoints wrapper gives the same answers from the export and from the model.
    from_export, from_model = VQVAE2Endpoints(export_dir=export_dir), VQVAE2Endpoints(model=prior)
    np.testing.assert_allclose(from_export.reconstruct(images[:2]), from_model.reconstruct(images[:2]), atol=1e-5)
    assert from_export.num_classes == 3 and from_export.can_sample
    # Stage 1 exports have no `sample`.
    stage1_dir = str(tmp_path / "stage1")
    export_vqvae2(vqvae, stage1_dir)
    with open(os.path.join(stage1_dir, "keras_gen_export.json")) as f:
        assert json.load(f)["signatures"] == ["decode", "encode", "reconstruct"]


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match=r"image_shape=\(18, 18, 1\)"):
        build_vqvae2((18, 18, 1))
    with pytest.raises(ValueError, match="data_variance=0"):
        build_vqvae2(SHAPE, channels=8, data_variance=0)
    vqvae = _vqvae()
    prior = _prior_model(vqvae)
    with pytest.raises(ValueError, match="labels=None"):
        prior.train_on_batch(_images(2))
    with pytest.raises(ValueError, match="model="):
        export_vqvae2(keras.Sequential([keras.layers.Dense(1)]), "/tmp/unused")
