"""Class labels given by a user (a `--labels` flag, an app's text box, an API call): parsed and checked once."""

import numpy as np


def check_labels(labels, num_classes, count=None, name="labels"):
    """`labels` as an int32 vector, each in [0, num_classes); with `count`, exactly `count` of them.

    Raises ValueError naming `name` and the values received.
    """
    array = np.asarray(labels)
    if array.dtype.kind not in "iu":
        raise ValueError(f"`{name}` must be integers. Received: {name}={np.asarray(labels).tolist()!r}")
    array = array.astype(np.int64).reshape(-1)
    if array.size == 0:
        raise ValueError(f"`{name}` must hold at least one label. Received: {name}=[]")
    if array.min() < 0 or array.max() >= num_classes:
        raise ValueError(f"`{name}` must be in [0, {num_classes}). Received: {name}={array.tolist()}")
    if count is not None and array.size != count:
        raise ValueError(f"`{name}` must hold {count} labels, one per image. Received: {name}={array.tolist()}")
    return array.astype(np.int32)


def parse_labels(text, num_classes, count=None, name="labels"):
    """Comma-separated integers ("3" or "1,2,3") -> a checked int32 vector.

    With `count`, a single label is repeated `count` times; otherwise there must be `count` labels.
    """
    try:
        values = [int(item) for item in str(text).split(",") if item.strip()]
    except ValueError:
        raise ValueError(f"`{name}` must be comma-separated integers. Received: {name}={text!r}") from None
    if count is not None and len(values) == 1:
        values = values * count
    return check_labels(values, num_classes, count=count, name=name)


def cycle_labels(count, num_classes):
    """0, 1, ..., num_classes - 1, 0, 1, ...: `count` labels whose grid rows show every class."""
    return (np.arange(count) % num_classes).astype(np.int32)
