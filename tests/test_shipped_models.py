"""The models shipped in `saved_models/`: listed in its manifest, loadable without keras_gen, served by one app."""

import json
import os

import numpy as np
import pytest

from keras_gen_apps.common import launch
from keras_gen_apps.shipped_app import SAVED_MODELS, build_app, read_manifest
from keras_gen.cli import APPS
from keras_gen.export.vae import VAEEndpoints
from tests.apps.serving import free_port, read
from tests.helpers import run_in_fresh_process

ENTRIES = read_manifest()


def _measured(entry):
    """The benchmark result the manifest entry's metrics come from ("file.json#model": one model of a multi-model
    result)."""
    result_file, _, key = entry["result"].partition("#")
    result = json.load(open(os.path.join(os.path.dirname(SAVED_MODELS), result_file)))
    return result[key] if key else result


def test_manifest_lists_every_shipped_export_and_the_folder_stays_small():
    exports = sorted(os.path.relpath(root, SAVED_MODELS) for root, _, files in os.walk(SAVED_MODELS)
                     if "saved_model.pb" in files)
    assert sorted(os.path.relpath(entry["path"], SAVED_MODELS) for entry in ENTRIES) == exports
    total = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(SAVED_MODELS) for f in files)
    assert total < 60 * 1024 * 1024
    for entry in ENTRIES:
        metadata = json.load(open(os.path.join(entry["path"], "keras_gen_export.json")))
        assert (metadata["model"], metadata["group"], metadata["signatures"]) == (entry["model"], entry["group"], entry["signatures"])
        assert entry["group"] in APPS and entry["trained_by"]["command"] and entry["trained_by"]["commit"]
        result = _measured(entry)
        assert all(result[key] == value for key, value in entry["metrics"].items()), entry["name"]


# How each group's export makes 8 outputs: (signature, inputs, output key). VQ-VAE-2 draws one per label; the
# image-conditioned models take a bright square on black (a label map of two regions), the trajectory model 8 walkers.
SAMPLE_CALLS = {
    "vae": ("sample", {"count": 8, "seed": 3}, "images"),
    "gan": ("sample", {"count": 8, "seed": 3}, "images"),
    "style": ("sample", {"count": 8, "seed": 3, "truncation": 1.0}, "images"),
    "vqvae2": ("sample", {"labels": list(range(8)), "seed": 3}, "images"),
    "video": ("sample_video", {"count": 8, "seed": 3}, "videos"),
    "text": ("generate", {"text": ["a thick seven", "a small 3"] * 4, "seed": 3}, "images"),
}
IMAGE_OUTPUT_GROUPS = set(SAMPLE_CALLS) | {"translation"}


def _square(shape, value=1):
    """8 copies of a (H, W[, C]) picture: `value` in a centred square of half the size, 0 elsewhere."""
    picture = np.zeros(shape, np.float32 if len(shape) == 3 else np.int32)
    height, width = shape[:2]
    picture[height // 4: 3 * height // 4, width // 4: 3 * width // 4] = value
    return np.repeat(picture[None], 8, axis=0).tolist()


def _call(entry):
    """(signature, inputs as lists, output key) for one shipped export, from its export metadata."""
    if entry["group"] in SAMPLE_CALLS:
        return SAMPLE_CALLS[entry["group"]]
    metadata = json.load(open(os.path.join(entry["path"], "keras_gen_export.json")))
    if entry["group"] == "translation" and metadata["source"] == "label_map":
        return "translate", {"label_map": _square(metadata["label_map_shape"], metadata["num_label_classes"] - 1),
                             "seed": 3}, "images"
    if entry["group"] == "translation":
        inputs = {"images": _square(metadata["source_shape"])}
        return "translate", {**inputs, "direction": "a2b"} if metadata.get("directions") else inputs, "images"
    assert entry["group"] == "trajectory", entry
    steps = np.arange(metadata["obs_len"], dtype=np.float32) * 0.4  # 8 walkers, 1 m apart, 1 m/s at 2.5 steps/s
    observed = np.stack([np.stack([steps, np.full_like(steps, float(i))], -1) for i in range(8)])
    return "predict", {"observed": observed[None].tolist(), "mask": [[True] * 8], "num_samples": 8, "seed": 3}, "samples"


def test_every_shipped_export_loads_without_keras_gen_and_samples():
    calls = {entry["name"]: (entry["path"], *_call(entry)) for entry in ENTRIES}
    out = run_in_fresh_process(f"""
    import json, sys
    import numpy as np
    import tensorflow as tf

    out = {{}}
    for name, (path, signature, inputs, key) in {calls!r}.items():
        loaded = tf.saved_model.load(path)
        function = loaded.signatures[signature]
        dtypes = {{name: spec.dtype for name, spec in function.structured_input_signature[1].items()}}
        outputs = function(**{{k: tf.constant(v, dtypes[k]) for k, v in inputs.items()}})[key].numpy()
        out[name] = {{"signatures": sorted(loaded.signatures), "shape": list(outputs.shape), "finite": bool(np.isfinite(outputs).all()),
                     "min": float(outputs.min()), "max": float(outputs.max()), "mean": float(outputs.mean()),
                     "last_x": float(outputs[..., -1, 0].mean()) if outputs.ndim == 5 else None}}
    assert "keras_gen" not in sys.modules
    print(json.dumps(out))
    """, timeout=300)
    for entry in ENTRIES:
        sample = out[entry["name"]]
        assert set(sample["signatures"]) - {"serving_default"} == set(entry["signatures"])  # the archive adds a default
        assert sample["finite"], (entry["name"], sample)
        if entry["group"] == "trajectory":  # (scenes, samples, pedestrians, pred_len, xy): the walkers, last seen at
            # x = 2.8 m going +x at 0.4 m per step, walk on (12 more steps at that pace end near x = 7.6 m)
            assert sample["shape"] == [1, 8, 8, 12, 2] and sample["last_x"] > 4.0, (entry["name"], sample)
            continue
        assert sample["shape"][0] == 8, (entry["name"], sample)
        assert entry["group"] in IMAGE_OUTPUT_GROUPS and 0.0 <= sample["min"] < sample["max"] <= 1.0, (entry["name"], sample)
        if entry["group"] in SAMPLE_CALLS:  # (the translators' values are checked against their benchmark below)
            # A digit sample is mostly dark background with bright strokes: not blank, not saturated.
            assert 0.03 < sample["mean"] < 0.5, (entry["name"], sample)


def test_the_shipped_vae_decodes_as_trained():
    vae = VAEEndpoints(export_dir=os.path.join(SAVED_MODELS, "vae_mnist_5k", "1"))
    images = vae.sample(64, 3)
    assert images.shape == (64, 28, 28, 1)
    # A trained decoder: reconstructions of its own samples come back close (an untrained one does not).
    reconstruction = vae.reconstruct(images)
    assert np.abs(reconstruction - images).mean() < 0.1


def test_the_shipped_gan_samples_digits_the_classifier_recognises():
    import tensorflow as tf

    from keras_gen.metrics.classifier import load_mnist_classifier, predict_in_batches

    entry = next(entry for entry in ENTRIES if entry["name"] == "dcgan_mnist_5k")
    images = tf.saved_model.load(entry["path"]).signatures["sample"](count=tf.constant(200), seed=tf.constant(0))["images"]
    probabilities = predict_in_batches(load_mnist_classifier(), images.numpy())
    # As its benchmark measured (mean top-class probability 0.84, 9 classes): an untrained generator's blobs score
    # far lower and one class.
    assert probabilities.max(axis=1).mean() > 0.7
    assert len(set(probabilities.argmax(axis=1))) >= 8


def test_the_shipped_stylegan2_samples_as_its_benchmark_measured():
    import tensorflow as tf

    from keras_gen.metrics.classifier import load_mnist_classifier, predict_in_batches

    entry = next(entry for entry in ENTRIES if entry["group"] == "style")
    sample = tf.saved_model.load(entry["path"]).signatures["sample"]
    images = sample(count=tf.constant(200), seed=tf.constant(0), truncation=tf.constant(1.0))["images"].numpy()
    confident = predict_in_batches(load_mnist_classifier(), images[:, 2:-2, 2:-2]).max(axis=1) > 0.9  # 32 -> 28 px
    assert abs(confident.mean() - entry["metrics"]["confident_fraction"]) < 0.1, confident.mean()
    # psi = 0 draws the tracked average w for every z: one image
    average = sample(count=tf.constant(4), seed=tf.constant(0), truncation=tf.constant(0.0))["images"].numpy()
    np.testing.assert_allclose(average, np.repeat(average[:1], 4, axis=0), atol=1e-5)


@pytest.mark.parametrize("entry", [entry for entry in ENTRIES if entry["group"] == "translation"], ids=lambda e: e["name"])
def test_the_shipped_translation_models_score_through_the_export_as_their_benchmark_measured(entry):
    """The benchmark scored the trained Keras model on the first 500 test pairs; its export, fed the same pairs, scores
    the same (up to float rounding and, for SPADE, the style draw): the export is the model that was measured."""
    from keras_gen.data import paired
    from keras_gen.export.translation import TranslationEndpoints
    from keras_gen.metrics.image_quality import image_quality
    from keras_gen.metrics.translation import region_agreement
    from keras_gen.utils.value_range import to_unit

    measured = _measured(entry)
    sources, targets = paired.pairs_as_numpy(measured["dataset"], "test", limit=measured["num_examples"])
    endpoints = TranslationEndpoints(export_dir=entry["path"])
    assert endpoints.family == entry["model"]
    if entry["model"] == "spade":  # one-hot region maps in, the style drawn from seed 0
        outputs = endpoints.translate_label_map(sources.argmax(-1), seed=0)
        accuracy = region_agreement(outputs, sources)["region_pixel_accuracy"]
        assert abs(accuracy - measured["region_pixel_accuracy"]) < 0.01 and accuracy > 0.9, accuracy
        return
    unit_sources, unit_targets = to_unit(sources, clip=False), to_unit(targets, clip=False)
    outputs = endpoints.translate(unit_sources)
    assert outputs.shape == unit_targets.shape
    if entry["model"] == "cyclegan":  # A -> B against the true thickening, never seen in pairs
        truth = paired.thicken(np.round(unit_sources * 255).astype(np.uint8)).astype(np.float32) / 255.0
        l1 = np.abs(outputs - truth).mean()
        assert abs(l1 - measured["a2b_l1_vs_true_thickening"]) < 2e-3 and l1 < measured["identity_baseline_l1_vs_true_thickening"]
    elif entry["model"] == "srgan":
        psnr = image_quality(outputs, unit_targets)["psnr"]
        assert abs(psnr - measured["psnr"]) < 0.1 and psnr > measured["bicubic_psnr"] + 1.0, psnr
    else:
        l1 = np.abs(outputs - unit_targets).mean()
        assert abs(l1 - measured["l1"]) < 2e-3 and l1 < 0.5 * measured["identity_baseline_l1"], l1


def test_the_shipped_social_gan_predicts_as_its_benchmark_measured():
    from keras_gen.data import trajectories
    from keras_gen.export.social_gan import SocialGANEndpoints
    from keras_gen.metrics.trajectory import evaluate_predictions

    entry = next(entry for entry in ENTRIES if entry["group"] == "trajectory")
    measured = _measured(entry)
    endpoints = SocialGANEndpoints(export_dir=entry["path"])
    metrics = evaluate_predictions(lambda observed, mask, k: endpoints.predict(observed, mask, k, seed=2024),
                                   trajectories.load_windows("crowds_sim", "test"), num_samples=20)
    # The test split is simulated at load (pysocialforce): a fresh install of the numeric packages has moved a few
    # pedestrians in or out of the windows (2,417 vs the benchmark's 2,414 on 2026-12-08), so the count may differ by 0.5%.
    assert metrics["windows"] == measured["windows"], metrics
    assert abs(metrics["pedestrians"] - measured["pedestrians"]) <= 0.005 * measured["pedestrians"], metrics
    assert abs(metrics["min_ade_20"] - measured["min_ade_20"]) < 0.03, metrics["min_ade_20"]
    assert metrics["min_ade_20"] < 0.8 * metrics["constant_velocity_ade"], metrics


@pytest.fixture(scope="module")
def shipped_app():
    from gradio_client import Client

    demo = build_app()
    port = free_port()
    launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        yield demo, Client(f"http://127.0.0.1:{port}/", verbose=False)
    finally:
        demo.close()


def test_keras_gen_app_without_arguments_has_a_tab_per_shipped_model(shipped_app):
    demo, client = shipped_app
    tabs = [block.label for block in demo.blocks.values() if type(block).__name__ == "Tab"]
    for entry in ENTRIES:
        assert entry["name"] in tabs
    # The VAE tab is the VAE app over the shipped export: its endpoint answers as the export does.
    *_, image = client.predict(7, api_name="/vae_mnist_5k_random_code")
    z = np.random.default_rng(7).standard_normal(20).astype(np.float32)
    expected = VAEEndpoints(export_dir=os.path.join(SAVED_MODELS, "vae_mnist_5k", "1")).decode(z[None])[0, :, :, 0]
    np.testing.assert_allclose(read(image)[8:-8:8, 8:-8:8], expected, atol=1 / 255 + 1e-6)
    assert SAVED_MODELS not in json.dumps(client.config)
    # Every endpoint is named after its model: no Gradio de-duplication suffixes between models of one group.
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert all(any(name.startswith(f"/{entry['name']}_") for entry in ENTRIES) for name in names), names
    assert {"/dcgan_mnist_5k_sample", "/progan_mnist_5k_sample"} <= names
