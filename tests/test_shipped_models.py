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
        result_file, _, key = entry["result"].partition("#")  # "file.json#model": one model of a multi-model result
        result = json.load(open(os.path.join(os.path.dirname(SAVED_MODELS), result_file)))
        result = result[key] if key else result
        assert all(result[key] == value for key, value in entry["metrics"].items()), entry["name"]


# How each group's export draws 8 samples: (signature, inputs, output key). VQ-VAE-2 draws one per label.
SAMPLE_CALLS = {
    "vae": ("sample", {"count": 8, "seed": 3}, "images"),
    "gan": ("sample", {"count": 8, "seed": 3}, "images"),
    "style": ("sample", {"count": 8, "seed": 3}, "images"),
    "vqvae2": ("sample", {"labels": list(range(8)), "seed": 3}, "images"),
    "video": ("sample_video", {"count": 8, "seed": 3}, "videos"),
    "text": ("generate", {"text": ["a thick seven", "a small 3"] * 4, "seed": 3}, "images"),
}


def test_every_shipped_export_loads_without_keras_gen_and_samples():
    calls = {entry["name"]: (entry["path"], *SAMPLE_CALLS[entry["group"]]) for entry in ENTRIES}
    out = run_in_fresh_process(f"""
    import json, sys
    import numpy as np
    import tensorflow as tf

    out = {{}}
    for name, (path, signature, inputs, key) in {calls!r}.items():
        loaded = tf.saved_model.load(path)
        images = loaded.signatures[signature](**{{k: tf.constant(v) for k, v in inputs.items()}})[key].numpy()
        out[name] = {{"signatures": sorted(loaded.signatures), "shape": list(images.shape),
                     "min": float(images.min()), "max": float(images.max()), "mean": float(images.mean())}}
    assert "keras_gen" not in sys.modules
    print(json.dumps(out))
    """, timeout=300)
    for entry in ENTRIES:
        sample = out[entry["name"]]
        assert set(sample["signatures"]) - {"serving_default"} == set(entry["signatures"])  # the archive adds a default
        assert sample["shape"][0] == 8 and 0.0 <= sample["min"] < sample["max"] <= 1.0
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
