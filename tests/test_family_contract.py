"""The contract every registered model family passes, at its smoke settings. A family joins by registering.

For each family: two training steps through the runner; `--resume` continues the optimizer step count and
`history.csv`; a NaN loss stops training naming the epoch and step, earlier checkpoints intact; the `.keras` reload
gives identical outputs; the SavedModel export loads in a fresh process with plain `tf.saved_model.load` (no
keras_gen) and equals the in-process outputs; every signature rejects a wrong shape, a wrong dtype, NaN/Inf, an
empty batch and an out-of-range label, code or count, naming the input; the family's app serves the library's output.
"""

import dataclasses
import importlib
import json
import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_gen.cli import APPS
from keras_gen.export.common import checked_endpoint
from keras_gen.families import family_names, get_family
from keras_gen.training.runner import load_trained
from tests.apps.serving import serve
from tests.family_runs import BATCH, STEPS
from tests.helpers import run_in_fresh_process

# With pytest-xdist, tests that share the session's trained families run in one worker (trained once there).
pytestmark = pytest.mark.xdist_group("families")

FAMILIES = family_names()
MAX_COUNT = 1024  # what the exports allow in one request
COUNT_INPUTS = ("count", "num_samples")  # scalar int32 inputs limited to [1, MAX_COUNT]


def test_every_family_has_a_smoke_run_an_app_and_documented_options():
    assert len(FAMILIES) >= 14
    for name in FAMILIES:
        family = get_family(name)
        assert family.group in APPS, f"{name}: the CLI knows no app for family group {family.group!r}"
        for field in dataclasses.fields(family.options_class):
            assert field.metadata.get("help"), f"{name}: option {field.name!r} has no one-line doc"
        family.resolve_options(family_run_config(name))  # the smoke options are valid options


def family_run_config(name):
    from tests.family_runs import smoke_config

    return smoke_config(name, "/unused", {"vqvae2": "/unused"})


# ---------------------------------------------------------------------------------------------------------------
# training, resume, NaN


@pytest.mark.parametrize("name", FAMILIES)
def test_trains_resumes_and_stops_on_nan(name, family_run):
    run = family_run(name)
    family = get_family(name)
    assert int(run.model.optimizer.iterations) == STEPS
    assert len(run.first_history) == 2 and run.first_history[0].startswith("epoch,")
    # The resumed run appended epoch 2 to the history and continued the optimizer's step count from the checkpoint.
    assert run.resumed_history[:2] == run.first_history and run.resumed_history[2].startswith("1,")
    state = json.load(open(os.path.join(run.output_dir, "state.json")))
    assert state["epoch"] == 2 and state["checkpoint"].endswith("epoch_0002.keras")
    resumed, config = load_trained(run.output_dir)  # the epoch-2 checkpoint, newer than the first run's model.keras
    assert int(resumed.optimizer.iterations) == 2 * STEPS and config.model == name
    # The NaN in epoch 3 stopped training at its first batch; no checkpoint was written for it.
    assert re.search(r"=nan.* at epoch 3, batch 1 \(optimizer step \d+\)", str(run.diverged)), str(run.diverged)
    assert sorted(os.listdir(os.path.join(run.output_dir, "checkpoints"))) == ["epoch_0001.keras", "epoch_0002.keras"]
    assert all(np.isfinite(w).all() for w in resumed.get_weights() if np.issubdtype(np.asarray(w).dtype, np.floating))
    # config.json holds every option, resolved, so the run is reproducible from it alone.
    written = json.load(open(os.path.join(run.output_dir, "config.json")))
    assert written["options"] == dataclasses.asdict(family.resolve_options(run.config))
    if family.sample_images is not None:
        assert "epoch_0001.png" in os.listdir(os.path.join(run.output_dir, "samples"))


# ---------------------------------------------------------------------------------------------------------------
# .keras reload and SavedModel export


def example_inputs(specs, metadata, seed=0):
    """Valid values for a signature's inputs (batch 2), by the input's name and dtype."""
    rng = np.random.default_rng(seed)
    values = {}
    for spec in specs:
        shape = [BATCH // 2 if d is None else d for d in spec.shape]
        if spec.dtype == tf.string and spec.shape.rank == 0:
            values[spec.name] = np.array(b"a2b")
        elif spec.dtype == tf.string:  # a batch of captions: the export's own examples
            captions = metadata["example_captions"]
            values[spec.name] = np.array([captions[i % len(captions)] for i in range(shape[0])], dtype=bytes)
        elif spec.name in COUNT_INPUTS:
            values[spec.name] = np.array(2, np.int32)
        elif spec.dtype == tf.bool:  # masks: every entry kept
            values[spec.name] = np.ones(shape, bool)
        elif spec.name == "seed" or spec.name.startswith("seed_"):
            values[spec.name] = np.array(3, np.int32)
        elif spec.name == "truncation":
            values[spec.name] = np.array(0.7, np.float32)
        elif spec.dtype.is_integer:
            values[spec.name] = rng.integers(0, _upper_bound(spec.name, metadata), shape).astype(np.int32)
        elif spec.name == "z":
            values[spec.name] = rng.standard_normal(shape).astype(np.float32)
        else:  # images in [0, 1]
            values[spec.name] = rng.random(shape).astype(np.float32)
    return values


def _upper_bound(name, metadata):
    """The exclusive bound of an integer input that has one (labels, label maps, codes), else None."""
    bounds = {"labels": metadata.get("num_classes"), "label_map": metadata.get("num_label_classes"),
              "top_indices": metadata.get("top_num_embeddings"), "bottom_indices": metadata.get("bottom_num_embeddings"),
              "crossover": metadata["num_ws"] + 1 if "num_ws" in metadata else None}
    return bounds.get(name)


def bad_inputs(specs, values, metadata):
    """`[(signature input, what is wrong, values, pattern the error must match)]` for one signature."""
    order = sorted(spec.name for spec in specs)
    cases = []
    for spec in specs:
        name, value = spec.name, values[spec.name]
        if spec.shape.rank == 0:
            wrong_shape = np.stack([value, value])
        else:
            axis = next((i for i, d in enumerate(spec.shape) if d is not None), None)
            wrong_shape = np.concatenate([value, value[(slice(None),) * axis + (slice(0, 1),)]], axis) if axis else value[..., None]
        cases.append((name, "shape", {**values, name: wrong_shape}, rf"Shape of tensor {name} \[.*expected shape"))
        if value.dtype.kind == "S":
            wrong_dtype = np.array(1, np.int32)
        else:
            wrong_dtype = value.astype(np.int32) if value.dtype != np.int32 else value.astype(np.float32)
        # TensorFlow checks dtypes before the signature's code runs and names the input by its position among the
        # inputs sorted by name.
        cases.append((name, "dtype", {**values, name: wrong_dtype}, rf"input #{order.index(name)}\(zero-based\)"))
        bound = _upper_bound(name, metadata)
        if bound is not None:
            cases.append((name, "range", {**values, name: np.full_like(value, bound)}, rf"`{name}`"))
            cases.append((name, "range", {**values, name: np.full_like(value, -1)}, rf"`{name}`"))
        if name in COUNT_INPUTS:
            for count in (0, MAX_COUNT + 1):
                cases.append((name, "range", {**values, name: np.array(count, np.int32)}, rf"`{name}` must be"))
        if value.dtype.kind == "f":
            for bad in (np.nan, np.inf):
                poisoned = value.copy()
                poisoned.flat[0] = bad
                cases.append((name, "nonfinite", {**values, name: poisoned}, rf"`{name}` must (be|hold) finite"))
        if value.dtype.kind == "S" and spec.shape.rank == 1:  # a batch of text: bad contents, named
            too_long = " ".join(["word"] * (metadata["max_words"] + 1)).encode()
            for content in (np.array([b""]), np.array([b"   "]), np.array([b"\xff\xfe caption"]), np.array([too_long])):
                cases.append((name, "content", {**values, name: content}, rf"`{name}`"))
    batched = [spec.name for spec in specs if spec.shape.rank and spec.shape[0] is None]
    if batched:  # every batched input empty at once, so no "one label per image" check can speak first
        empty = {**values, **{name: values[name][:0] for name in batched}}
        cases.append((batched[0], "empty", empty, r"must hold at least one item \(its batch size is 0\)"))
    return cases


def signature_outputs(family, model, calls):
    """In-process outputs of the family's signature functions (with the export's input checks) on `model`."""
    endpoints, _ = family.signatures(model)
    outputs = {}
    for signature, values in calls.items():
        function, specs = endpoints[signature]
        checked, _ = checked_endpoint(function, specs)
        result = checked(*(tf.constant(values[spec.name]) for spec in specs))
        outputs[signature] = {key: np.asarray(value) for key, value in result.items()}
    return outputs


@pytest.fixture(scope="session")
def exported(family_run, tmp_path_factory):
    """Every family exported; one fresh interpreter (no keras_gen) loads all exports, calls each signature with
    valid inputs and each bad input, and reports outputs and error messages."""
    root = tmp_path_factory.mktemp("exports")
    plan, reference = {}, {}
    for name in FAMILIES:
        run, family = family_run(name), get_family(name)
        export_dir = str(root / name)
        family.export(run.model, export_dir)
        endpoints, metadata = family.signatures(run.model)
        calls = {signature: example_inputs(specs, metadata) for signature, (_, specs) in endpoints.items()}
        reference[name] = (calls, signature_outputs(family, run.model, calls))
        bad = [(signature, *case) for signature, (_, specs) in endpoints.items()
               for case in bad_inputs(specs, calls[signature], metadata)]
        plan[name] = {"dir": export_dir, "calls": {s: _encode(v) for s, v in calls.items()}, "bad": [(s, n, w, _encode(v), p) for s, n, w, v, p in bad]}
    with open(root / "plan.json", "w") as f:
        json.dump(plan, f)
    fresh = run_in_fresh_process(f"""
    import json, sys
    import numpy as np
    import tensorflow as tf

    latin1 = np.vectorize(lambda text: text.encode("latin-1"), otypes=[object])

    def decode(values):
        return {{k: tf.constant(latin1(np.array(v, dtype=object)).reshape(shape), tf.string) if d == "bytes"
                else tf.constant(np.array(v, dtype=d).reshape(shape)) for k, (v, d, shape) in values.items()}}

    plan = json.load(open({str(root / "plan.json")!r}))
    out = {{}}
    for name, item in plan.items():
        loaded = tf.saved_model.load(item["dir"])
        outputs = {{s: {{k: np.asarray(t).tolist() for k, t in loaded.signatures[s](**decode(v)).items()}}
                   for s, v in item["calls"].items()}}
        errors = []
        for signature, input_name, what, values, pattern in item["bad"]:
            try:
                loaded.signatures[signature](**decode(values))
                errors.append(None)
            except Exception as error:
                errors.append(str(error)[:2000])
        out[name] = {{"outputs": outputs, "errors": errors}}
    assert "keras_gen" not in sys.modules
    print(json.dumps(out))
    """, timeout=600)
    return {name: (reference[name], plan[name]["bad"], fresh[name]) for name in FAMILIES}


def _encode(values):
    """Arrays as JSON: `{name: (nested lists, dtype name or "bytes", shape)}`; bytes as latin-1 text, so any byte
    (also invalid UTF-8) survives the trip, and the shape survives empty arrays."""
    latin1 = np.vectorize(lambda text: text.decode("latin-1"), otypes=[object])
    return {k: (latin1(v).tolist(), "bytes", v.shape) if v.dtype.kind == "S" else (v.tolist(), v.dtype.name, v.shape)
            for k, v in values.items()}


@pytest.mark.parametrize("name", FAMILIES)
def test_keras_reload_gives_identical_outputs(name, family_run):
    run, family = family_run(name), get_family(name)
    restored = keras.models.load_model(os.path.join(run.output_dir, "model.keras"))  # written after epoch 1
    assert type(restored) is type(run.model)
    endpoints, metadata = family.signatures(run.model)
    calls = {signature: example_inputs(specs, metadata, seed=1) for signature, (_, specs) in endpoints.items()}
    expected, actual = signature_outputs(family, run.model, calls), signature_outputs(family, restored, calls)
    for signature in calls:
        for key in expected[signature]:
            np.testing.assert_allclose(actual[signature][key], expected[signature][key], atol=1e-6,
                                       err_msg=f"{name}.{signature}.{key}")


@pytest.mark.parametrize("name", FAMILIES)
def test_export_matches_in_process_outputs_in_a_fresh_process(name, exported):
    (calls, expected), _, fresh = exported[name]
    assert set(fresh["outputs"]) == set(expected)
    for signature, outputs in expected.items():
        for key, value in outputs.items():
            np.testing.assert_allclose(np.asarray(fresh["outputs"][signature][key]), value, atol=1e-5,
                                       err_msg=f"{name}.{signature}.{key}")


@pytest.mark.parametrize("name", FAMILIES)
def test_every_signature_rejects_bad_inputs_naming_them(name, exported):
    _, bad, fresh = exported[name]
    kinds = {what for _, _, what, _, _ in bad}
    assert {"shape", "dtype"} <= kinds
    for (signature, input_name, what, _, pattern), error in zip(bad, fresh["errors"]):
        assert error is not None, f"{name}.{signature}: a wrong {what} of `{input_name}` was accepted"
        assert re.search(pattern, error), f"{name}.{signature}: wrong {what} of `{input_name}`: {error[:400]}"


# ---------------------------------------------------------------------------------------------------------------
# the app


def _served_image(path):
    return np.asarray(Image.open(path).convert("L"), np.int16)


def _expected_image(app, *shown_args, **kwargs):
    shown = app._show(*shown_args, **kwargs)
    shown = np.asarray(shown)
    return (shown if shown.ndim == 2 else np.asarray(Image.fromarray(shown).convert("L"))).astype(np.int16)


def _digit_file(directory, shape):
    digit = np.zeros(shape[:2], np.uint8)
    digit[shape[0] // 4:3 * shape[0] // 4, shape[1] // 2 - 2:shape[1] // 2 + 2] = 255
    path = os.path.join(directory, "digit.png")
    Image.fromarray(digit).save(path)
    return path


def probe_vae(client, app, endpoints, workdir):
    *_, image = client.predict(7, api_name="/random_code")
    z = np.random.default_rng(7).standard_normal(endpoints.latent_dim).astype(np.float32)
    return _served_image(image), _expected_image(app, endpoints.decode(z[None]))


def probe_gan(client, app, endpoints, workdir):
    image = client.predict(3, 5, 0.0, api_name="/sample")
    return _served_image(image), _expected_image(app, endpoints.sample(3, 5))


def probe_vqvae2(client, app, endpoints, workdir):
    if endpoints.can_sample:
        image = client.predict("0,1", 3, api_name="/sample")
        return _served_image(image), _expected_image(app, endpoints.sample([0, 1], 3), ncols=2)
    from gradio_client import handle_file

    path = _digit_file(workdir, endpoints.image_shape)
    image = client.predict(handle_file(path), api_name="/reconstruct")
    digit = np.asarray(Image.open(path), np.float32)[None, :, :, None] / 255.0
    reconstruction = endpoints.reconstruct(digit)
    served = _served_image(image)
    scale = 2 * app.PREVIEW_SCALE
    height = endpoints.image_shape[0]
    # The second panel is the reconstruction (1 px padding, shown `scale` times larger).
    left = (1 + height + 1) * scale
    panel = served[scale:scale + height * scale:scale, left:left + height * scale:scale]
    return panel, np.rint(reconstruction[0, :, :, 0] * 255).astype(np.int16)


def probe_translation(client, app, endpoints, workdir):
    from gradio_client import handle_file

    if endpoints.source == "label_map":
        height, width = endpoints.source_shape[:2]
        ids = np.zeros((height, width), np.int64)
        ids[height // 4:3 * height // 4, width // 3:2 * width // 3] = endpoints.num_label_classes - 1
        painting = np.repeat((ids * 255 // (endpoints.num_label_classes - 1)).astype(np.uint8)[..., None], 3, -1)
        path = os.path.join(workdir, "map.png")
        Image.fromarray(painting).save(path)
        editor = {"background": handle_file(path), "layers": [], "composite": handle_file(path)}
        _, output = client.predict(editor, 3, None, api_name="/generate")
        return _served_image(output), _expected_image(app, endpoints.translate_label_map(ids[None], seed=3)[0])
    from keras_gen.utils.images import prepare_image

    path = _digit_file(workdir, endpoints.source_shape)
    _, output = client.predict(handle_file(path), "a2b", api_name="/translate")
    image = prepare_image(np.asarray(Image.open(path).convert("RGB")), endpoints.source_shape)
    return _served_image(output), _expected_image(app, endpoints.translate(image[None])[0])


def probe_video(client, app, endpoints, workdir):
    _, strip = client.predict(3, 5, 0, api_name="/sample")
    return _served_image(strip), _expected_image(app, endpoints.sample(3, 5))


def probe_style(client, app, endpoints, workdir):
    image = client.predict(3, 5, 0.5, 0, api_name="/sample")
    return _served_image(image), _expected_image(app, endpoints.sample(3, 5, 0.5))


def probe_trajectory(client, app, endpoints, workdir):
    image = client.predict(1, 3, 5, api_name="/predict")
    samples = endpoints.predict(endpoints.scenes.observed[1:2], endpoints.scenes.mask[1:2], 3, 5)
    return _served_image(image), _expected_image(app, endpoints.scenes, 1, samples[0])


def probe_text(client, app, endpoints, workdir):
    caption = endpoints.example_captions[0]
    image = client.predict(caption, 3, 5, api_name="/generate")
    return _served_image(image), _expected_image(app, endpoints.generate([caption] * 3, 5))


APP_PROBES = {"vae": probe_vae, "gan": probe_gan, "vqvae2": probe_vqvae2, "translation": probe_translation,
              "video": probe_video, "style": probe_style, "trajectory": probe_trajectory,
              "text": probe_text}


@pytest.mark.parametrize("name", FAMILIES)
def test_app_serves_the_library_output(name, family_run, tmp_path):
    run, family = family_run(name), get_family(name)
    app = importlib.import_module(APPS[family.group])
    with serve(APPS[family.group].split(".")[-1], run.output_dir) as (client, endpoints):
        served, expected = APP_PROBES[family.group](client, app, endpoints, str(tmp_path))
        page = json.dumps(client.config)
    assert run.output_dir not in page and str(tmp_path) not in page, f"{name}: the app's page shows a server path"
    assert served.shape == expected.shape
    assert np.abs(served - expected).max() <= 1, f"{name}: the app's image differs from the library's output"
