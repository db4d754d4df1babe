import numpy as np
import pytest

from keras_gen.data.captions import captioned_digits
from keras_gen.metrics import text_to_image as metrics


def test_r_precision_counts_first_places_among_different_captions():
    said = [{"class": i} for i in range(6)]
    texts = np.eye(6)
    assert metrics.r_precision(np.eye(6), texts, said, candidates=4) == 1.0
    # Each image points at the next caption: its own never wins.
    assert metrics.r_precision(np.roll(np.eye(6), 1, axis=1), texts, said, candidates=6) == 0.0
    with pytest.raises(ValueError, match="different captions"):
        metrics.r_precision(np.eye(6), texts, [{"class": 0}] * 6, candidates=4)


def test_attributes_of_real_test_digits_agree_with_their_captions():
    captions, said, index = metrics.held_out_captions(300, seed=1)
    images = captioned_digits("test").images[index].astype(np.float32) / 255
    accuracy = metrics.attribute_accuracy(images, said)
    assert accuracy == {"thickness": 1.0, "size": 1.0, "slant": 1.0, "position": 1.0}
    # The same images under shuffled captions are judged wrong about half the time or more.
    shuffled = metrics.attribute_accuracy(images, said[1:] + said[:1])
    assert shuffled["size"] < 0.7 and shuffled["thickness"] < 0.7
    assert len(captions) == 300 and len(set(map(str, captions))) > 100
