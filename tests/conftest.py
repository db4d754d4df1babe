import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import keras  # noqa: E402
import pytest  # noqa: E402

from tests.family_runs import family_run  # noqa: E402,F401  (session fixture: each family trained once, shared)


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Each test starts from the same seeds and a clean Keras session (no leaked mixed-precision policy)."""
    keras.config.set_dtype_policy("float32")
    keras.utils.set_random_seed(0)
    yield
    keras.backend.clear_session(free_memory=False)  # gc.collect() per test cost minutes over the suite
