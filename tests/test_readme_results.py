"""The README's results table is the one `benchmarks/results_table.py` writes from the result JSONs."""

import importlib.util
import json
import os

from tests.helpers import REPO_ROOT


def _results_table():
    spec = importlib.util.spec_from_file_location("results_table", os.path.join(REPO_ROOT, "benchmarks", "results_table.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_is_written_from_the_result_jsons():
    results_table = _results_table()
    with open(os.path.join(REPO_ROOT, "README.md")) as f:
        readme = f.read()
    assert results_table.readme_with_table(readme) == readme, "run: python benchmarks/results_table.py"


def test_every_result_json_has_a_row():
    results_table = _results_table()
    listed = {filename.partition("#")[0] for _, filename, _ in results_table.ROWS}
    on_disk = {name for name in os.listdir(results_table.RESULTS) if name.endswith(".json")}
    assert on_disk == listed


def test_a_changed_number_shows_in_the_table(tmp_path, monkeypatch):
    results_table = _results_table()
    for name in os.listdir(results_table.RESULTS):
        if name.endswith(".json"):
            (tmp_path / name).write_text(open(os.path.join(results_table.RESULTS, name)).read())
    before = results_table.table()
    result = json.loads((tmp_path / "vae_mnist5k.json").read_text())
    shown = f"{result['iw_log_likelihood_nats']:.2f} nats"
    result["iw_log_likelihood_nats"] -= 1.0
    (tmp_path / "vae_mnist5k.json").write_text(json.dumps(result))
    monkeypatch.setattr(results_table, "RESULTS", str(tmp_path))
    after = results_table.table()
    changed = f"{result['iw_log_likelihood_nats']:.2f} nats"
    assert shown in before and changed in after and shown not in after
