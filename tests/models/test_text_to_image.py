import os
import subprocess

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.export.text_to_image import export_text_to_image
from keras_gen.layers.conditioning_augmentation import ConditioningAugmentation
from keras_gen.models import text_to_image as t2i
from tests.helpers import assert_keras_roundtrip

CAPTIONS = ["a thick seven", "a thin one", "small 3 written in the top left", "a large, thick eight"]
SHAPE = (16, 16, 1)


def tiny_model(seed=0, **kwargs):
    text_encoder = t2i.build_text_encoder(CAPTIONS, embedding_dim=6, max_tokens=30, max_length=8, token_dim=4, units=3)
    model = t2i.TextToImageGAN(
        text_encoder, t2i.build_text_generator(4, 3, SHAPE, 4),
        t2i.build_matching_discriminator(SHAPE, 6, 4, projection_dim=5), t2i.build_image_encoder(SHAPE, 6, 2),
        latent_dim=4, condition_dim=3, example_captions=CAPTIONS[:2], seed=seed, **kwargs)
    model.compile()
    return model


def test_conditioning_augmentation_draws_around_the_mean():
    layer = ConditioningAugmentation(3, seed=1)
    embeddings = np.random.default_rng(0).normal(size=(2, 5)).astype(np.float32)
    noise = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 2.0]], np.float32)
    condition, mean, log_sigma = (np.asarray(t) for t in layer(embeddings, noise=noise))
    np.testing.assert_allclose(condition[0], mean[0], atol=1e-6)  # zero noise: the mean
    np.testing.assert_allclose(condition[1], mean[1] + np.exp(log_sigma[1]) * noise[1], atol=1e-6)
    restored = ConditioningAugmentation.from_config(layer.get_config())
    assert restored.units == 3 and restored.seed == 1
    with pytest.raises(ValueError, match="Received: units=0"):
        ConditioningAugmentation(0)


def test_text_vectorization_inside_the_model_maps_unknown_words_to_oov():
    encoder = t2i.build_text_encoder(CAPTIONS, embedding_dim=6, max_tokens=30, max_length=8, token_dim=4, units=3)
    vectorize = encoder.get_layer("text_encoder_vectorize")
    tokens = np.asarray(vectorize(tf.constant(["A THICK seven!", "a zebra seven"])))
    assert tokens.shape == (2, 8)
    vocabulary = vectorize.get_vocabulary()
    assert [vocabulary[t] for t in tokens[0, :3]] == ["a", "thick", "seven"]  # lower-cased, punctuation stripped
    assert tokens[1, 1] == 1 and vocabulary[1] == "[UNK]"  # "zebra" was never seen
    assert np.all(tokens[:, 3:] == 0)  # padding


def test_only_the_text_changes_the_output_and_seeds_reproduce():
    model = tiny_model()
    z, noise = model.draws(2, 7)
    same = np.asarray(model.generate(["a thick seven", "a thick seven"], z[:1].numpy().repeat(2, 0),
                                     noise[:1].numpy().repeat(2, 0)))
    np.testing.assert_allclose(same[0], same[1], atol=1e-6)
    other = np.asarray(model.generate(["a thick seven", "a thin one"], z[:1].numpy().repeat(2, 0),
                                      noise[:1].numpy().repeat(2, 0)))
    assert np.abs(other[0] - other[1]).max() > 1e-4  # same z and noise, other caption
    np.testing.assert_allclose(model.sample(CAPTIONS, 3), model.sample(CAPTIONS, 3), atol=0)
    assert np.abs(np.asarray(model.sample(CAPTIONS, 3)) - np.asarray(model.sample(CAPTIONS, 4))).max() > 1e-4


def test_fit_updates_each_role_and_round_trips(tmp_path):
    model = tiny_model()
    images = np.random.default_rng(0).uniform(-1, 1, (8,) + SHAPE).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices((images, tf.constant(CAPTIONS * 2))).batch(4)
    before = {id(w): np.asarray(w).copy() for w in model.text_encoder.trainable_weights + model.generator_weights}
    history = model.fit(ds, epochs=1, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss", "kl", "matching_loss", "real_logits", "mismatched_logits",
                                    "fake_logits"}
    assert all(np.isfinite(v[0]) for v in history.history.values())
    changed = [not np.allclose(before[id(w)], np.asarray(w)) for w in model.text_encoder.trainable_weights]
    assert any(changed)  # the text encoder learns on D's step
    assert int(model.d_optimizer.iterations) == 2 and int(model.g_optimizer.iterations) == 2
    restored = assert_keras_roundtrip(model, ["a thick seven", "an unknown word"], str(tmp_path / "t2i.keras"),
                                      call=lambda m, captions: m.sample(captions, 5))
    assert restored.example_captions == tuple(CAPTIONS[:2])
    assert int(restored.d_optimizer.iterations) == 2
    restored.fit(ds, epochs=1, verbose=0)  # resumes
    assert int(restored.g_optimizer.iterations) == 4


def test_export_runs_in_saved_model_cli(tmp_path):
    model = tiny_model()
    export_dir = str(tmp_path / "export")
    export_text_to_image(model, export_dir)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("PYTHONPATH", None)

    def cli(text):
        return subprocess.run(["saved_model_cli", "run", "--dir", export_dir, "--tag_set", "serve", "--signature_def",
                               "generate", "--input_exprs", f"text={text};seed=3", "--outdir", str(tmp_path / "out"),
                               "--overwrite"], capture_output=True, text=True, env=env, timeout=300)

    result = cli('[b"a thick seven", b"a zebra"]')
    assert result.returncode == 0, result.stderr[-2000:]
    images = np.load(tmp_path / "out" / "images.npy")
    expected = (np.asarray(model.sample(["a thick seven", "a zebra"], 3)) + 1) / 2
    np.testing.assert_allclose(images, expected, atol=1e-5)  # bad inputs: the family contract, in a fresh process
