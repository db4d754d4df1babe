"""Real datasets through tensorflow-datasets, failing fast (not a multi-minute retry) when offline."""

import os
import socket

import tensorflow as tf

from keras_gen.data.registry import DatasetInfo, register_dataset

DOWNLOAD_PROBE = ("storage.googleapis.com", 443)
PROBE_TIMEOUT_SECONDS = 5.0


class DatasetUnavailableError(RuntimeError):
    """A dataset is neither prepared in `data_dir` nor downloadable from here."""


def network_reachable(address=DOWNLOAD_PROBE, timeout=PROBE_TIMEOUT_SECONDS):
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def default_data_dir():
    return os.environ.get("TFDS_DATA_DIR", os.path.expanduser("~/tensorflow_datasets"))


def tfds_source(tfds_name, image_key="image", label_key="label", probe=None):
    """A registry source reading `tfds_name`; downloads only after a quick reachability probe succeeds.

    `probe() -> bool` defaults to `network_reachable`, looked up at call time so tests can replace it.
    """

    def source(split, data_dir):
        import tensorflow_datasets as tfds

        data_dir = data_dir or default_data_dir()
        builder = tfds.builder(tfds_name, data_dir=data_dir)
        if not builder.is_prepared():
            if not (probe or network_reachable)():
                raise DatasetUnavailableError(
                    f"Dataset {tfds_name!r} is not prepared in data_dir={data_dir!r} and its download host "
                    f"{DOWNLOAD_PROBE[0]} cannot be reached. Prepare it on a machine with network "
                    f"(`tfds build {tfds_name} --data_dir=...`) and copy the folder here, or train offline on "
                    "the bundled real digits with --dataset=mnist_5k."
                )
            builder.download_and_prepare()
        ds = builder.as_dataset(split=split, shuffle_files=False)
        return ds.map(lambda ex: (ex[image_key], ex[label_key]), num_parallel_calls=tf.data.AUTOTUNE)

    return source


for _name, _shape, _classes in (
    ("mnist", (28, 28, 1), 10),
    ("fashion_mnist", (28, 28, 1), 10),
    ("cifar10", (32, 32, 3), 10),
):
    register_dataset(DatasetInfo(_name, _shape, _classes, description=f"tensorflow-datasets `{_name}`"), tfds_source(_name))


CELEB_A_CROP = 108  # DCGAN's CelebA preparation: the centred 108x108 face region of the 178x218 (W x H) photos
CELEB_A_SIZE = 64


def celeb_a_source(crop=CELEB_A_CROP, size=CELEB_A_SIZE, probe=None):
    """tfds `celeb_a`: the centred `crop` x `crop` square of each photo, area-resized to `size` x `size`, label 0
    (CelebA has 40 binary attributes and no class)."""
    read = tfds_source("celeb_a", image_key="image", label_key="image", probe=probe)

    def crop_and_resize(image, unused):
        del unused
        height, width = tf.shape(image)[0], tf.shape(image)[1]
        top, left = (height - crop) // 2, (width - crop) // 2
        face = tf.cast(image[top:top + crop, left:left + crop], tf.float32)
        face = tf.image.resize(face, (size, size), method="area", antialias=True)
        face = tf.ensure_shape(tf.cast(tf.clip_by_value(tf.round(face), 0, 255), tf.uint8), (size, size, 3))
        return face, tf.constant(0, tf.int64)

    def source(split, data_dir):
        return read(split, data_dir).map(crop_and_resize, num_parallel_calls=tf.data.AUTOTUNE)

    return source


register_dataset(
    DatasetInfo("celeb_a", (CELEB_A_SIZE, CELEB_A_SIZE, 3), 0,
                description="tensorflow-datasets `celeb_a`: centred 108x108 face crops resized to 64x64"),
    celeb_a_source(),
)
