"""keras-gen: generative image models for Keras 3 / TensorFlow."""

import os

# Keras 3 with the TensorFlow backend, whatever the user's environment says.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"
