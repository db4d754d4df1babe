"""pyproject.toml installs every package of the source tree, and the apps under a name of their own."""

import os
import tomllib

from tests.helpers import REPO_ROOT


def test_pyproject_lists_every_package_and_installs_the_apps_as_keras_gen_apps():
    with open(os.path.join(REPO_ROOT, "pyproject.toml"), "rb") as f:
        setuptools = tomllib.load(f)["tool"]["setuptools"]
    found = sorted(os.path.relpath(root, REPO_ROOT).replace(os.sep, ".")
                   for root, _, files in os.walk(os.path.join(REPO_ROOT, "keras_gen")) if "__init__.py" in files)
    assert sorted(setuptools["packages"]) == sorted(found + ["keras_gen_apps"])
    # `apps/` is the repository's folder; installed, it is `keras_gen_apps`, never a top-level `apps` package.
    assert setuptools["package-dir"] == {"keras_gen_apps": "apps"}
    assert os.path.exists(os.path.join(REPO_ROOT, "apps", "__init__.py"))


def test_the_cli_opens_apps_from_keras_gen_apps():
    from keras_gen.cli import APPS, SHIPPED_APP

    assert all(module.startswith("keras_gen_apps.") for module in [*APPS.values(), SHIPPED_APP])


def test_importing_keras_gen_models_registers_every_model_module():
    """`keras_gen.models` imports each of its modules, so any saved `.keras` model loads without its family
    (checked in a fresh interpreter: in this one the families may have imported them already)."""
    import subprocess
    import sys

    folder = os.path.join(REPO_ROOT, "keras_gen", "models")
    modules = sorted(name[:-3] for name in os.listdir(folder) if name.endswith(".py") and name != "__init__.py")
    check = ("import sys, keras_gen.models; "
             f"print([m for m in {modules!r} if 'keras_gen.models.' + m not in sys.modules])")
    printed = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert printed.stdout.strip().splitlines()[-1] == "[]"
