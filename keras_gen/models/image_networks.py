"""Networks for image-conditioned generation, as functional `build_*` helpers that name every layer.

- `build_unet_generator`: pix2pix's encoder-decoder with skip connections (CycleGAN's small generator here).
- `build_resnet_generator`: CycleGAN's (and Johnson et al.'s) residual generator with reflection padding.
- `build_patchgan_discriminator`: a fully convolutional discriminator that scores overlapping patches.
- `build_multiscale_discriminator`: PatchGANs on an image pyramid (pix2pixHD / SPADE).
- `build_srgan_generator`: residual blocks, then x4 sub-pixel (pixel shuffle) upsampling.
- `build_spade_generator`: SPADE residual blocks that re-inject the label map at every resolution.
- `build_style_encoder`: VAE-style encoder of a style image to `(mean, log_var)` of the SPADE latent.

Discriminators built with `return_features=True` output `[features_1, ..., features_n, logits]` (a list of
those per scale for the multi-scale one): feature matching and the SRGAN content loss read the features.
"""

import keras

from keras_gen.layers.cross_replica import CrossReplicaBatchNormalization, CrossReplicaDropout
from keras_gen.layers.pixel_shuffle import PixelShuffle
from keras_gen.layers.reflection_padding import ReflectionPadding2D
from keras_gen.layers.spade import SPADE

NORMALIZATIONS = ("batch", "instance", "none")


def normalization_layer(kind, name):
    """"batch", "instance" (Keras' `GroupNormalization(groups=-1)`: one group per channel), or "none"."""
    if kind == "batch":
        return CrossReplicaBatchNormalization(name=name)
    if kind == "instance":
        return keras.layers.GroupNormalization(groups=-1, epsilon=1e-5, name=name)
    if kind == "none":
        return keras.layers.Identity(name=name)
    raise ValueError(f"`normalization` must be one of {NORMALIZATIONS}. Received: normalization={kind!r}")


def _check_positive(**values):
    for key, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"`{key}` must be a positive integer. Received: {key}={value!r}")


def _check_divisible(image_shape, factor, argument):
    height, width = image_shape[:2]
    if height % factor or width % factor:
        raise ValueError(
            f"Height and width must be divisible by {factor} (2**{argument}). Received: image_shape={tuple(image_shape)}"
        )


def build_unet_generator(
    image_shape,
    output_channels=None,
    base_filters=32,
    num_downsamples=4,
    max_filters=256,
    normalization="batch",
    dropout=0.5,
    name="unet_generator",
):
    """pix2pix's U-Net: `(batch, H, W, C_in)` -> `(batch, H, W, output_channels)` in [-1, 1] (tanh).

    The encoder halves the resolution `num_downsamples` times (4x4 stride-2 convolutions, LeakyReLU 0.2);
    the decoder doubles it back with transposed convolutions, concatenating the encoder features of the same
    resolution (the skips carry the low-level structure that input and output share, e.g. edge positions).
    Dropout in the first three decoder blocks is pix2pix's only source of noise (on during training only).

    Reference: Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks" (2017),
    https://arxiv.org/abs/1611.07004
    """
    _check_positive(base_filters=base_filters, num_downsamples=num_downsamples, max_filters=max_filters)
    _check_divisible(image_shape, 2**num_downsamples, "num_downsamples")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
    output_channels = output_channels or image_shape[-1]
    inputs = keras.Input(image_shape, name=f"{name}_input")
    x = inputs
    skips = []
    for i in range(num_downsamples):
        filters = min(base_filters * 2**i, max_filters)
        x = keras.layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=(i == 0), name=f"{name}_down{i}_conv")(x)
        if i > 0:
            x = normalization_layer(normalization, f"{name}_down{i}_norm")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"{name}_down{i}_act")(x)
        skips.append(x)
    for i in reversed(range(num_downsamples - 1)):
        filters = min(base_filters * 2**i, max_filters)
        x = keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False, name=f"{name}_up{i}_deconv")(x)
        x = normalization_layer(normalization, f"{name}_up{i}_norm")(x)
        if dropout > 0 and i >= num_downsamples - 4:
            x = CrossReplicaDropout(dropout, name=f"{name}_up{i}_dropout")(x)
        x = keras.layers.ReLU(name=f"{name}_up{i}_act")(x)
        x = keras.layers.Concatenate(name=f"{name}_up{i}_skip")([x, skips[i]])
    outputs = keras.layers.Conv2DTranspose(
        output_channels, 4, strides=2, padding="same", activation="tanh", name=f"{name}_output"
    )(x)
    return keras.Model(inputs, outputs, name=name)


def build_resnet_generator(image_shape, output_channels=None, base_filters=64, num_residual_blocks=9,
                           num_downsamples=2, normalization="instance", name="resnet_generator"):
    """CycleGAN's generator: `(batch, H, W, C_in)` -> `(batch, H, W, output_channels)` in [-1, 1] (tanh).

    With the defaults it is the paper's `c7s1-64, d128, d256, R256 x num_residual_blocks, u128, u64, c7s1-3`:
    a 7x7 convolution after a 3-pixel reflection pad, `num_downsamples` stride-2 3x3 convolutions doubling the
    filters, residual blocks (reflection pad 1, 3x3 conv, norm, ReLU, reflection pad 1, 3x3 conv, norm, plus the
    input), stride-2 3x3 transposed convolutions back up, and a 7x7 convolution to the output channels. Every
    convolution but the last is followed by the normalization (instance norm in the paper) and ReLU. The paper
    uses 6 residual blocks at 128x128 and 9 at 256x256 and above.

    Reference: Zhu et al. (2017), https://arxiv.org/abs/1703.10593, appendix 7.2; Johnson et al., "Perceptual
    Losses for Real-Time Style Transfer and Super-Resolution" (2016), https://arxiv.org/abs/1603.08155
    """
    _check_positive(base_filters=base_filters, num_residual_blocks=num_residual_blocks,
                    num_downsamples=num_downsamples)
    _check_divisible(image_shape, 2**num_downsamples, "num_downsamples")
    output_channels = output_channels or image_shape[-1]

    def conv_norm_relu(x, filters, kernel_size, block, strides=1, transpose=False, relu=True):
        conv = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
        padding = "valid" if kernel_size == 7 or (kernel_size == 3 and strides == 1 and not transpose) else "same"
        x = conv(filters, kernel_size, strides=strides, padding=padding, use_bias=False, name=f"{name}_{block}_conv")(x)
        x = normalization_layer(normalization, f"{name}_{block}_norm")(x)
        return keras.layers.ReLU(name=f"{name}_{block}_relu")(x) if relu else x

    inputs = keras.Input(image_shape, name=f"{name}_input")
    x = ReflectionPadding2D(3, name=f"{name}_stem_pad")(inputs)
    x = conv_norm_relu(x, base_filters, 7, "stem")  # c7s1-64
    for i in range(num_downsamples):  # d128, d256
        x = conv_norm_relu(x, base_filters * 2 ** (i + 1), 3, f"down{i}", strides=2)
    filters = base_filters * 2**num_downsamples
    for i in range(num_residual_blocks):  # R256
        shortcut = x
        x = ReflectionPadding2D(1, name=f"{name}_res{i}_pad0")(x)
        x = conv_norm_relu(x, filters, 3, f"res{i}_0")
        x = ReflectionPadding2D(1, name=f"{name}_res{i}_pad1")(x)
        x = conv_norm_relu(x, filters, 3, f"res{i}_1", relu=False)
        x = keras.layers.Add(name=f"{name}_res{i}_add")([shortcut, x])
    for i in reversed(range(num_downsamples)):  # u128, u64
        x = conv_norm_relu(x, base_filters * 2**i, 3, f"up{i}", strides=2, transpose=True)
    x = ReflectionPadding2D(3, name=f"{name}_output_pad")(x)
    outputs = keras.layers.Conv2D(output_channels, 7, activation="tanh", name=f"{name}_output")(x)  # c7s1-3
    return keras.Model(inputs, outputs, name=name)


def build_patchgan_discriminator(
    image_shape,
    condition_shape=None,
    base_filters=32,
    num_downsamples=2,
    max_filters=256,
    normalization="batch",
    return_features=False,
    name="patchgan",
):
    """PatchGAN: logits `(batch, H / 2**num_downsamples, W / 2**num_downsamples, 1)`, one per overlapping patch.

    With `condition_shape` it is conditional (pix2pix): inputs `[condition, image]`, concatenated on channels
    (the condition is resized by the caller to the image's height and width). It penalizes structure only
    at the scale of its receptive field, leaving the low frequencies to the L1 term.

    Reference: Isola et al. (2017), https://arxiv.org/abs/1611.07004, section 3.2.2.
    """
    _check_positive(base_filters=base_filters, num_downsamples=num_downsamples, max_filters=max_filters)
    _check_divisible(image_shape, 2**num_downsamples, "num_downsamples")
    image = keras.Input(image_shape, name=f"{name}_image")
    if condition_shape is not None:
        condition = keras.Input(condition_shape, name=f"{name}_condition")
        inputs = [condition, image]
        x = keras.layers.Concatenate(name=f"{name}_concat")(inputs)
    else:
        inputs = image
        x = image
    features = []
    for i in range(num_downsamples + 1):
        filters = min(base_filters * 2**i, max_filters)
        strides = 2 if i < num_downsamples else 1
        x = keras.layers.Conv2D(filters, 4, strides=strides, padding="same", use_bias=(i == 0), name=f"{name}_conv{i}")(x)
        if i > 0:
            x = normalization_layer(normalization, f"{name}_norm{i}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"{name}_act{i}")(x)
        features.append(x)
    logits = keras.layers.Conv2D(1, 4, padding="same", name=f"{name}_logits")(x)
    return keras.Model(inputs, features + [logits] if return_features else logits, name=name)


def build_multiscale_discriminator(
    image_shape,
    condition_shape=None,
    num_scales=2,
    base_filters=32,
    num_downsamples=2,
    normalization="instance",
    name="multiscale_patchgan",
):
    """PatchGANs at `num_scales` resolutions (each 2x average-pooled from the previous one).

    Outputs one `[features..., logits]` list per scale: the coarse scale judges global layout, the fine one
    texture. Used with the feature matching loss.

    Reference: Wang et al., "High-Resolution Image Synthesis and Semantic Manipulation with Conditional
    GANs" (pix2pixHD, 2018), https://arxiv.org/abs/1711.11585; Park et al. (SPADE, 2019).
    """
    _check_positive(num_scales=num_scales)
    _check_divisible(image_shape, 2 ** (num_downsamples + num_scales - 1), "(num_downsamples + num_scales - 1)")
    image = keras.Input(image_shape, name=f"{name}_image")
    condition = keras.Input(condition_shape, name=f"{name}_condition") if condition_shape is not None else None
    outputs = []
    for scale in range(num_scales):
        if scale > 0:
            pool = keras.layers.AveragePooling2D(3, strides=2, padding="same", name=f"{name}_pool{scale}")
            image_s = pool(image_s)
            # Label maps are pooled too: soft borders are fine for a discriminator input.
            condition_s = None if condition is None else keras.layers.AveragePooling2D(
                3, strides=2, padding="same", name=f"{name}_condition_pool{scale}"
            )(condition_s)
        else:
            image_s, condition_s = image, condition
        factor = 2**scale
        sub = build_patchgan_discriminator(
            (image_shape[0] // factor, image_shape[1] // factor, image_shape[2]),
            None if condition is None else (condition_shape[0] // factor, condition_shape[1] // factor, condition_shape[2]),
            base_filters=base_filters,
            num_downsamples=num_downsamples,
            normalization=normalization,
            return_features=True,
            name=f"{name}_scale{scale}",
        )
        outputs.append(sub(image_s if condition is None else [condition_s, image_s]))
    inputs = image if condition is None else [condition, image]
    return keras.Model(inputs, outputs, name=name)


def build_srgan_generator(
    low_resolution_shape,
    output_channels=None,
    filters=32,
    num_residual_blocks=4,
    upscale_factor=4,
    name="srgan_generator",
):
    """SRGAN's generator (SRResNet): `(batch, h, w, C)` -> `(batch, h * 4, w * 4, C)` in [-1, 1].

    9x9 convolution and PReLU; `num_residual_blocks` residual blocks (conv-BN-PReLU-conv-BN, identity skip)
    and a long skip around them; then upsampling by 2 per stage with a convolution to `4 * filters`
    channels followed by `PixelShuffle(2)` (two stages for x4), and a 9x9 tanh output convolution. The
    paper uses 16 blocks of 64 filters; the defaults are small for CPU training.

    Reference: Ledig et al., "Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial
    Network" (2017), https://arxiv.org/abs/1609.04802
    """
    _check_positive(filters=filters, num_residual_blocks=num_residual_blocks)
    if upscale_factor not in (2, 4, 8):
        raise ValueError(f"`upscale_factor` must be 2, 4 or 8. Received: upscale_factor={upscale_factor!r}")
    output_channels = output_channels or low_resolution_shape[-1]
    inputs = keras.Input(low_resolution_shape, name=f"{name}_input")
    x = keras.layers.Conv2D(filters, 9, padding="same", name=f"{name}_stem_conv")(inputs)
    stem = x = keras.layers.PReLU(shared_axes=[1, 2], name=f"{name}_stem_act")(x)
    for b in range(num_residual_blocks):
        y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_res{b}_conv1")(x)
        y = CrossReplicaBatchNormalization(name=f"{name}_res{b}_norm1")(y)
        y = keras.layers.PReLU(shared_axes=[1, 2], name=f"{name}_res{b}_act")(y)
        y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_res{b}_conv2")(y)
        y = CrossReplicaBatchNormalization(name=f"{name}_res{b}_norm2")(y)
        x = keras.layers.Add(name=f"{name}_res{b}_add")([x, y])
    x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_trunk_conv")(x)
    x = CrossReplicaBatchNormalization(name=f"{name}_trunk_norm")(x)
    x = keras.layers.Add(name=f"{name}_trunk_add")([stem, x])
    stage = 0
    while 2 ** (stage + 1) <= upscale_factor:
        x = keras.layers.Conv2D(filters * 4, 3, padding="same", name=f"{name}_up{stage}_conv")(x)
        x = PixelShuffle(2, name=f"{name}_up{stage}_shuffle")(x)  # (batch, 2h, 2w, filters)
        x = keras.layers.PReLU(shared_axes=[1, 2], name=f"{name}_up{stage}_act")(x)
        stage += 1
    outputs = keras.layers.Conv2D(output_channels, 9, padding="same", activation="tanh", name=f"{name}_output")(x)
    return keras.Model(inputs, outputs, name=name)


def _spade_residual_block(x, label_map, filters, hidden_filters, name):
    """SPADE ResBlk: [SPADE, LeakyReLU, 3x3 conv] twice, plus a (learned when channels change) shortcut."""
    in_filters = x.shape[-1]
    middle = min(in_filters, filters)
    if in_filters != filters:
        shortcut = SPADE(hidden_filters, name=f"{name}_shortcut_spade")(x, label_map)
        shortcut = keras.layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_shortcut_conv")(shortcut)
    else:
        shortcut = x
    y = SPADE(hidden_filters, name=f"{name}_spade1")(x, label_map)
    y = keras.layers.LeakyReLU(0.2, name=f"{name}_act1")(y)
    y = keras.layers.Conv2D(middle, 3, padding="same", name=f"{name}_conv1")(y)
    y = SPADE(hidden_filters, name=f"{name}_spade2")(y, label_map)
    y = keras.layers.LeakyReLU(0.2, name=f"{name}_act2")(y)
    y = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv2")(y)
    return keras.layers.Add(name=f"{name}_add")([shortcut, y])


def build_spade_generator(
    label_map_shape,
    output_channels=1,
    latent_dim=16,
    base_filters=64,
    num_upsamples=3,
    hidden_filters=32,
    name="spade_generator",
):
    """SPADE generator: `[label_map (batch, H, W, classes), z (batch, latent_dim)]` -> `(batch, H, W, C)` in [-1, 1].

    `z` (from N(0, I), or from the style encoder) is projected to a `(H / 2**n, W / 2**n)` grid; SPADE
    residual blocks then upsample it, each re-reading the label map at its own resolution, so the layout
    comes from the map and the "style" from `z`.

    Reference: Park et al., "Semantic Image Synthesis with Spatially-Adaptive Normalization" (2019),
    https://arxiv.org/abs/1903.07291
    """
    _check_positive(latent_dim=latent_dim, base_filters=base_filters, num_upsamples=num_upsamples,
                    hidden_filters=hidden_filters)
    _check_divisible(label_map_shape, 2**num_upsamples, "num_upsamples")
    label_map = keras.Input(label_map_shape, name=f"{name}_label_map")
    z = keras.Input((latent_dim,), name=f"{name}_z")
    height, width = label_map_shape[0] // 2**num_upsamples, label_map_shape[1] // 2**num_upsamples
    filters = base_filters * 2 ** (num_upsamples - 1)
    x = keras.layers.Dense(height * width * filters, name=f"{name}_project")(z)
    x = keras.layers.Reshape((height, width, filters), name=f"{name}_reshape")(x)  # (batch, h, w, filters)
    for i in range(num_upsamples):
        filters = base_filters * 2 ** (num_upsamples - 1 - i)
        x = _spade_residual_block(x, label_map, filters, hidden_filters, name=f"{name}_block{i}")
        x = keras.layers.UpSampling2D(2, name=f"{name}_up{i}")(x)
    x = _spade_residual_block(x, label_map, base_filters, hidden_filters, name=f"{name}_block{num_upsamples}")
    x = keras.layers.LeakyReLU(0.2, name=f"{name}_final_act")(x)
    outputs = keras.layers.Conv2D(output_channels, 3, padding="same", activation="tanh", name=f"{name}_output")(x)
    return keras.Model([label_map, z], outputs, name=name)


def build_style_encoder(image_shape, latent_dim=16, base_filters=32, num_downsamples=3, name="style_encoder"):
    """VAE-style encoder: image -> `[mean, log_var]` of a diagonal Gaussian over the SPADE latent `z`.

    Reference: Park et al. (2019), section 3.4 (multi-modal synthesis).
    """
    _check_positive(latent_dim=latent_dim, base_filters=base_filters, num_downsamples=num_downsamples)
    _check_divisible(image_shape, 2**num_downsamples, "num_downsamples")
    inputs = keras.Input(image_shape, name=f"{name}_input")
    x = inputs
    for i in range(num_downsamples):
        x = keras.layers.Conv2D(base_filters * 2**i, 3, strides=2, padding="same", name=f"{name}_conv{i}")(x)
        x = normalization_layer("instance", f"{name}_norm{i}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"{name}_act{i}")(x)
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    mean = keras.layers.Dense(latent_dim, name=f"{name}_mean")(x)
    log_var = keras.layers.Dense(latent_dim, name=f"{name}_log_var")(x)
    return keras.Model(inputs, [mean, log_var], name=name)
