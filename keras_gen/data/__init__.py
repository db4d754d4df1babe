"""Dataset registry: tensorflow-datasets loaders, the bundled offline digits, synthetic sets for tests."""

from keras_gen.data import offline, tfds_sources  # noqa: F401  (registers the datasets)
from keras_gen.data import paired  # noqa: F401,E402  (registers the image-to-image sets)
from keras_gen.data import captions  # noqa: F401,E402  (registers the captioned sets)
from keras_gen.data.registry import DatasetInfo, as_numpy, dataset_names, get_info, load, register_dataset
from keras_gen.data.tfds_sources import DatasetUnavailableError

__all__ = [
    "DatasetInfo", "DatasetUnavailableError", "as_numpy", "dataset_names", "get_info", "load", "register_dataset",
]
