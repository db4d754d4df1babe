import numpy as np
import pytest
import tensorflow as tf

from keras_gen.layers.pixelcnn import GatedPixelCNNBlock, MaskedConv2D, causal_mask
from tests.helpers import assert_layer_config_roundtrip

SIZE = 7
POSITIONS = [(0, 0), (0, 3), (3, 0), (3, 3), (3, 6), (6, 6)]


def _raster_before(row, col):
    """(SIZE, SIZE) bool: positions strictly before (row, col) in raster order."""
    index = np.arange(SIZE * SIZE).reshape(SIZE, SIZE)
    return index < row * SIZE + col


# Offsets (row, col) a 3x3 "full" mask lets through, by hand: the row above, and the left neighbour ("A"),
# plus the centre ("B").
_OFFSETS = {"A": [(-1, -1), (-1, 0), (-1, 1), (0, -1)], "B": [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 0)]}


def _receptive_field(mask_types, row, col):
    """(SIZE, SIZE) bool: the inputs that stacked masked 3x3 convolutions can connect to output (row, col)."""
    reached = {(row, col)}
    for mask_type in reversed(mask_types):
        reached = {(r + dr, c + dc) for r, c in reached for dr, dc in _OFFSETS[mask_type]
                   if 0 <= r + dr < SIZE and 0 <= c + dc < SIZE}
    field = np.zeros((SIZE, SIZE), bool)
    for r, c in reached:
        field[r, c] = True
    return field


def _dependency_map(function, channels=2, batch=1):
    """For each output position, which input positions have a nonzero gradient: {(r, c): (SIZE, SIZE) bool}."""
    inputs = tf.constant(np.random.default_rng(0).normal(size=(batch, SIZE, SIZE, channels)).astype("float32"))
    maps = {}
    for row, col in POSITIONS:
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            output = function(inputs)
            target = tf.reduce_sum(output[0, row, col])
        gradient = tape.gradient(target, inputs)
        maps[(row, col)] = np.abs(gradient.numpy()[0]).sum(-1) > 0
    return maps


def test_masks_values():
    np.testing.assert_array_equal(causal_mask((3, 3), "A", "full"), [[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(causal_mask((3, 3), "B", "full"), [[1, 1, 1], [1, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(causal_mask((3, 3), "A", "vertical"), [[1, 1, 1], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(causal_mask((3, 3), "B", "vertical"), [[1, 1, 1], [1, 1, 1], [0, 0, 0]])
    np.testing.assert_array_equal(causal_mask((1, 5), "A", "horizontal"), [[1, 1, 0, 0, 0]])
    np.testing.assert_array_equal(causal_mask((1, 5), "B", "horizontal"), [[1, 1, 1, 0, 0]])


@pytest.mark.parametrize("num_layers", [1, 3])
def test_masked_conv_stack_is_causal(num_layers):
    layers = [MaskedConv2D(4, 3, "A")] + [MaskedConv2D(4, 3, "B") for _ in range(num_layers - 1)]

    def function(x):
        for layer in layers:
            x = tf.nn.relu(layer(x)) if layer is not layers[-1] else layer(x)
        return x

    for (row, col), depends in _dependency_map(function).items():
        assert not depends[~_raster_before(row, col)].any(), f"output {(row, col)} sees a later input"
        field = _receptive_field(["A"] + ["B"] * (num_layers - 1), row, col)
        assert not depends[~field].any(), f"output {(row, col)} sees beyond its receptive field"
        if (row, col) != (0, 0):
            assert depends.any()

    # Without the ReLUs (which can zero a path) the stack is linear: it sees exactly its receptive field,
    # left neighbour and the pixel above included.
    def linear(x):
        for layer in layers:
            x = layer(x)
        return x

    for (row, col), depends in _dependency_map(linear).items():
        np.testing.assert_array_equal(depends, _receptive_field(["A"] + ["B"] * (num_layers - 1), row, col),
                                      err_msg=f"output {(row, col)}")


def _gated_stack(num_layers, **condition_kwargs):
    blocks = [GatedPixelCNNBlock(4, 3, "A", **condition_kwargs)]
    blocks += [GatedPixelCNNBlock(4, 3, "B", **condition_kwargs) for _ in range(num_layers - 1)]
    return blocks


def _run(blocks, x, **conditions):
    vertical, horizontal = x, x
    for block in blocks:
        vertical, horizontal = block(vertical, horizontal, **conditions)
    return vertical, horizontal


@pytest.mark.parametrize("num_layers", [1, 2, 4])
def test_gated_stacks_are_causal(num_layers):
    blocks = _gated_stack(num_layers)
    horizontal_maps = _dependency_map(lambda x: _run(blocks, x)[1])
    vertical_maps = _dependency_map(lambda x: _run(blocks, x)[0])
    rows = np.arange(SIZE)[:, None] * np.ones((1, SIZE), bool)
    for (row, col), depends in horizontal_maps.items():
        assert not depends[~_raster_before(row, col)].any(), f"horizontal output {(row, col)} sees a later input"
        # Left neighbour in the row always visible (position (0, 0) has no past at all).
        if col > 0:
            assert depends[row, col - 1]
        if (row, col) == (0, 0):
            assert not depends.any()
    for (row, col), depends in vertical_maps.items():
        # The vertical stack sees only rows strictly above: no input of the current row or below.
        assert not depends[rows >= row].any(), f"vertical output {(row, col)} sees its own row or below"
        if row > 0:
            assert depends[row - 1, col]


def test_gated_stack_has_no_blind_spot():
    # A stack of masked 3x3 convolutions never sees the inputs above-right of the diagonal (the blind spot);
    # the vertical stack does. After 4 layers, output (3, 3) sees the whole 3-row band above it within
    # the receptive field, including (2, 6) and (1, 5), plus the current row to the left.
    blocks = _gated_stack(4)
    depends = _dependency_map(lambda x: _run(blocks, x)[1])[(3, 3)]
    expected = np.zeros((SIZE, SIZE), bool)
    for r in range(SIZE):
        for c in range(SIZE):
            if r < 3 and abs(c - 3) <= 4 - (3 - r) + 1 or (r == 3 and c < 3):
                expected[r, c] = True
    assert depends[2, 6] and depends[1, 5] and depends[0, 4] and depends[3, 0]
    assert depends[expected].all()
    assert not depends[~_raster_before(3, 3)].any()

    plain = [MaskedConv2D(4, 3, "A")] + [MaskedConv2D(4, 3, "B") for _ in range(3)]

    def plain_stack(x):
        for layer in plain:
            x = layer(x)
        return x

    plain_depends = _dependency_map(plain_stack)[(3, 3)]
    assert not plain_depends[2, 6], "sanity: the plain masked stack should have the blind spot here"


def test_conditioning_keeps_causality_and_changes_output():
    blocks = _gated_stack(2, class_condition_dim=3, spatial_condition_channels=2)
    rng = np.random.default_rng(1)
    class_condition = tf.constant(rng.normal(size=(1, 3)).astype("float32"))
    spatial = tf.constant(rng.normal(size=(1, SIZE, SIZE, 2)).astype("float32"))
    maps = _dependency_map(
        lambda x: _run(blocks, x, class_condition=class_condition, spatial_condition=spatial)[1]
    )
    for (row, col), depends in maps.items():
        assert not depends[~_raster_before(row, col)].any()
    x = tf.zeros((1, SIZE, SIZE, 2))
    out_a = _run(blocks, x, class_condition=class_condition, spatial_condition=spatial)[1]
    out_b = _run(blocks, x, class_condition=class_condition + 1.0, spatial_condition=spatial)[1]
    assert np.abs(out_a.numpy() - out_b.numpy()).max() > 1e-4


def test_missing_or_unexpected_condition_is_rejected():
    x = tf.zeros((1, SIZE, SIZE, 2))
    with pytest.raises(ValueError, match="class_condition=None"):
        GatedPixelCNNBlock(4, 3, "A", class_condition_dim=3)(x, x)
    with pytest.raises(ValueError, match="spatial_condition"):
        GatedPixelCNNBlock(4, 3, "A")(x, x, spatial_condition=tf.zeros((1, SIZE, SIZE, 2)))


def test_config_roundtrips():
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 3)).astype("float32")
    assert_layer_config_roundtrip(MaskedConv2D(4, 5, "A", stack="vertical"), x)
    block = GatedPixelCNNBlock(3, 3, "B", name="block")
    outputs = block(x, x)
    clone = GatedPixelCNNBlock.from_config(block.get_config())
    clone(x, x)
    clone.set_weights(block.get_weights())
    for a, b in zip(outputs, clone(x, x)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"filters": 4, "kernel_size": 4}, "kernel_size=4"),
        ({"filters": 0, "kernel_size": 3}, "filters=0"),
        ({"filters": 4, "kernel_size": 3, "mask_type": "C"}, "mask_type='C'"),
        ({"filters": 4, "kernel_size": 3, "stack": "diagonal"}, "stack='diagonal'"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MaskedConv2D(**kwargs)
