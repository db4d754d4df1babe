"""Dataset registry: tensorflow-datasets loaders, the bundled offline digits, synthetic sets for tests."""

from keras_gen.data import folder, offline, tfds_sources  # noqa: F401  (registers the datasets)
from keras_gen.data import paired  # noqa: F401,E402  (registers the image-to-image sets)
from keras_gen.data import clips  # noqa: F401,E402  (registers the clip sets: a registry of its own)
from keras_gen.data import captions  # noqa: F401,E402  (registers the captioned sets)
from keras_gen.data.folder import ImageFolderError
from keras_gen.data.registry import (
    DatasetInfo, as_numpy, dataset_names, get_info, load, register_dataset, register_scheme, scheme_descriptions,
)
from keras_gen.data.tfds_sources import DatasetUnavailableError

__all__ = [
    "DatasetInfo", "DatasetUnavailableError", "ImageFolderError", "as_numpy", "dataset_names", "get_info", "load",
    "register_dataset", "register_scheme", "scheme_descriptions",
]
