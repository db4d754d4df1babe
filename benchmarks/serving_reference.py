"""BUILD.md's serving reference for every shipped model, written from `saved_model_cli` and checked with it.

    python benchmarks/serving_reference.py           # rewrite the section between BUILD.md's markers
    python benchmarks/serving_reference.py --check   # exit 1 if BUILD.md's section differs

For each model in `saved_models/MANIFEST.json`: `saved_model_cli show --all` gives every serving signature with its
inputs' and outputs' dtypes (the export records the shapes its signatures check in `keras_gen_export.json`, since the
SavedModel declares unknown input shapes so the checks can run); `saved_model_cli run` calls each signature once
with the example inputs below, so a signature that TF's own tools cannot run fails here. Each signature gets a
TF Serving REST request: a literal `curl -d '{...}'` body when it is short, else a `python -c` line that prints the
body (image inputs), for `curl -d @body.json`. `tests/test_serving_docs.py` feeds exactly these bodies to the
shipped exports.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(REPO_ROOT, "BUILD.md")
BEGIN = "<!-- serving reference: written by benchmarks/serving_reference.py from saved_model_cli -->"
END = "<!-- end of serving reference -->"
MAX_LITERAL = 200  # characters of a body shown literally; longer bodies are printed by a python -c line

DTYPES = {"DT_FLOAT": "float32", "DT_INT32": "int32", "DT_INT64": "int64", "DT_STRING": "string", "DT_BOOL": "bool",
          "DT_DOUBLE": "float64"}


def saved_model_cli(*args):
    result = subprocess.run(["saved_model_cli", *args], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"saved_model_cli {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def parse_show(text):
    """`saved_model_cli show --all` -> {signature: {"inputs": {name: dtype}, "outputs": {name: (dtype, shape)}}}."""
    signatures = {}
    for block in re.split(r"\nsignature_def\['", text)[1:]:
        name = block[: block.index("'")]
        if name.startswith("__"):
            continue
        inputs_part, outputs_part = block.split("contains the following output(s):")
        tensor = r"(inputs|outputs)\['([^']+)'\] tensor_info:\s*dtype: (\w+)\s*shape: ([^\n]+)"
        signatures[name] = {
            "inputs": {m[1]: DTYPES.get(m[2], m[2]) for m in re.findall(tensor, inputs_part)},
            "outputs": {m[1]: (DTYPES.get(m[2], m[2]), m[3].strip()) for m in re.findall(tensor, outputs_part)},
        }
    return signatures


def example_value(name, dtype, shape, metadata):
    """A valid value for one signature input, as a JSON-able Python value (batch 1 for batched inputs)."""
    shape = [1 if size is None else size for size in (shape or [])]
    if name in ("count", "num_samples"):
        return 4
    if name == "seed" or name.startswith("seed_"):
        return 1 if name == "seed_b" else 0
    if name == "truncation":
        return 0.7
    if name == "crossover":
        return 1
    if name == "direction":  # CycleGAN
        return metadata["directions"][0]
    if dtype == "string":
        caption = metadata.get("example_captions", ["a thick seven"])[0]
        return caption if not shape else [caption] * shape[0]
    if dtype == "bool":
        return np.ones(shape, bool).tolist()
    if dtype.startswith("int"):
        value = 3 if name == "labels" and metadata.get("num_classes", 0) > 3 else 0
        return np.full(shape, value, int).tolist()
    if name == "z":
        return np.zeros(shape).tolist()
    if name in ("observed", "trajectories"):
        return np.cumsum(np.full(shape, 0.4), axis=-2).round(2).tolist()  # walking at a steady pace
    return np.full(shape, 0.5).tolist()  # images in [0, 1]


def body_text(signature, inputs):
    """The request's JSON text, compact."""
    return json.dumps({"signature_name": signature, "inputs": inputs}, separators=(", ", ": "))


def body_command(signature, inputs):
    """A `python -c` line printing the body, image-sized inputs written as `[[[[v] * C] * W] * H] * N`."""
    parts = []
    for name, value in inputs.items():
        array = np.asarray(value)
        # a constant array: [[v] * n] * m (booleans always so: Python's True, not JSON's true)
        if (array.size > 8 or array.dtype == bool) and array.size and np.all(array == array.flat[0]):
            expression = repr(array.flat[0].item())
            for size in reversed(array.shape):
                expression = f"[{expression}] * {size}"
        else:
            expression = json.dumps(value)
        parts.append(f"{json.dumps(name)}: {expression}")
    return (f"python -c 'import json; print(json.dumps({{\"signature_name\": {json.dumps(signature)}, "
            f"\"inputs\": {{{', '.join(parts)}}}}}))' > body.json")


def model_section(entry, signatures, metadata):
    model_name = entry["name"]
    lines = [f"### `{model_name}` (`{entry['model']}`)", "",
             f"`saved_models/{entry['path']}`; `--model_name={model_name}` below.", "",
             "| signature | inputs (dtype, shape the signature checks) | outputs (dtype, shape) |",
             "| --- | --- | --- |"]
    requests = []
    for signature, info in sorted(signatures.items()):
        checked, shown = _checked_inputs(signature, info, metadata), f"`{signature}`"
        if signature not in metadata.get("inputs", {}):
            twin = next((name for name, inputs in metadata.get("inputs", {}).items()
                         if set(inputs) == set(info["inputs"]) and signatures.get(name) == info), None)
            shown += f" (the same as `{twin}`)" if twin else ""
        inputs = ", ".join(
            f"`{name}` {dtype} {_shape(checked.get(name, {}).get('shape'))}".rstrip() for name, dtype in sorted(info["inputs"].items()))
        outputs = ", ".join(f"`{name}` {dtype} {shape}" for name, (dtype, shape) in sorted(info["outputs"].items()))
        lines.append(f"| {shown} | {inputs} | {outputs} |")
        values = {name: example_value(name, dtype, checked.get(name, {}).get("shape"), metadata)
                  for name, dtype in sorted(info["inputs"].items())}
        text = body_text(signature, values)
        url = f"localhost:8501/v1/models/{model_name}:predict"
        if len(text) <= MAX_LITERAL:
            requests.append(f"    curl -s -X POST {url} \\\n      -d '{text}'")
        else:
            requests.append(f"    {body_command(signature, values)}\n    curl -s -X POST {url} -d @body.json")
    lines += ["", "Inputs are numbered in the order listed (by name): TensorFlow names an input of the wrong dtype "
              "by that number (\"input #0(zero-based)\").", "", *requests, ""]
    return "\n".join(lines)


def _checked_inputs(signature, info, metadata):
    """The shapes the export checks for `signature`'s inputs; TF Serving's `serving_default` (Keras names the first
    endpoint so) takes those of the named signature it equals."""
    recorded = metadata.get("inputs", {})
    if signature in recorded:
        return recorded[signature]
    return next((inputs for inputs in recorded.values() if set(inputs) == set(info["inputs"])), {})


def _shape(shape):
    if shape is None:
        return ""
    return "scalar" if not shape else "(" + ", ".join("batch" if size is None else str(size) for size in shape) + ")"


def run_check(export_dir, signatures, metadata):
    """`saved_model_cli run` of every signature with its example inputs (a failure raises)."""
    with tempfile.TemporaryDirectory() as folder:
        for signature, info in signatures.items():
            checked = _checked_inputs(signature, info, metadata)
            exprs = []
            for name, dtype in info["inputs"].items():
                value = example_value(name, dtype, checked.get(name, {}).get("shape"), metadata)
                exprs.append(f"{name}={value!r}")  # a Python literal; the feed converts it to the input's dtype
            saved_model_cli("run", "--dir", export_dir, "--tag_set", "serve", "--signature_def", signature,
                            "--input_exprs", ";".join(exprs), "--outdir", folder, "--overwrite")


def build_section(saved_models=os.path.join(REPO_ROOT, "saved_models"), run=True):
    with open(os.path.join(saved_models, "MANIFEST.json")) as f:
        entries = json.load(f)["models"]
    sections = []
    for entry in entries:
        export_dir = os.path.join(saved_models, entry["path"])
        signatures = parse_show(saved_model_cli("show", "--dir", export_dir, "--all"))
        with open(os.path.join(export_dir, "keras_gen_export.json")) as f:
            metadata = json.load(f)
        if run:
            run_check(export_dir, signatures, metadata)
        sections.append(model_section(entry, signatures, metadata))
    return "\n".join([BEGIN, "", *sections, END])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if BUILD.md's section differs")
    args = parser.parse_args()
    with open(BUILD) as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"BUILD.md has no serving reference markers ({BEGIN!r} ... {END!r})")
    section = build_section(run=not args.check)
    updated = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    if args.check:
        if updated != text:
            print("BUILD.md's serving reference differs from saved_models/: run python benchmarks/serving_reference.py")
            return 1
        return 0
    with open(BUILD, "w") as f:
        f.write(updated)
    print(f"Wrote BUILD.md's serving reference ({section.count('### ')} models)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
