"""Networks of the video GAN: a content/motion generator (MoCoGAN) and DVD-GAN's two discriminators.

Generators end in `tanh` (clips in [-1, 1]). Conditional networks take integer labels `(batch,)` last.

References:
    Tulyakov et al., "MoCoGAN: Decomposing Motion and Content for Video Generation" (https://arxiv.org/abs/1707.04993).
    Clark et al., "Adversarial Video Generation on Complex Datasets" (DVD-GAN, https://arxiv.org/abs/1907.06571).
"""

import keras
from keras import layers

from keras_gen.layers.cross_replica import CrossReplicaBatchNormalization
from keras_gen.layers.spectral_norm import SpectralNormalization
from keras_gen.layers.sprites import SpriteCompositor
from keras_gen.models.gan_networks import build_dcgan_discriminator


def _sn(layer):
    return SpectralNormalization(layer, name=f"{layer.name}_sn")


def halvings(height, width, smallest=4):
    """Stride-2 steps from the smallest feature map to a (height, width) frame: while both halve to >= `smallest`."""
    steps = 0
    while height % 2 == 0 and width % 2 == 0 and height // 2 >= smallest and width // 2 >= smallest:
        height, width, steps = height // 2, width // 2, steps + 1
    return steps


def _generator_inputs(content_dim, motion_dim, num_frames, num_classes, embedding_dim, name):
    """A video generator's inputs `[content, motion(, labels)]` and its per-clip code: the content, joined by a
    label embedding when the generator is class-conditional."""
    content = keras.Input((content_dim,), name=f"{name}_content")
    motion = keras.Input((num_frames - 1, motion_dim), name=f"{name}_motion")
    inputs, code = [content, motion], content
    if num_classes:
        labels = keras.Input((), dtype="int32", name=f"{name}_labels")
        inputs.append(labels)
        embedded = layers.Embedding(num_classes, embedding_dim, name=f"{name}_class_embedding")(labels)
        code = layers.Concatenate(name=f"{name}_content_and_class")([content, embedded])
    return inputs, code


def build_frame_decoder(code_dim, frame_shape, base_filters=32, name="frame_decoder"):
    """`(batch, code_dim) -> (batch, H, W, C)` frames in [-1, 1]: the DCGAN generator body, shared by every frame."""
    height, width, channels = frame_shape
    steps = halvings(height, width)
    filters = base_filters * 2 ** max(steps - 1, 0)
    codes = keras.Input((code_dim,), name=f"{name}_codes")
    x = layers.Dense((height >> steps) * (width >> steps) * filters, use_bias=False, name=f"{name}_dense")(codes)
    x = CrossReplicaBatchNormalization(name=f"{name}_dense_bn")(x)
    x = layers.ReLU(name=f"{name}_dense_relu")(x)
    x = layers.Reshape((height >> steps, width >> steps, filters), name=f"{name}_reshape")(x)  # (batch, h, w, filters)
    for step in range(steps):
        filters = max(filters // 2, base_filters // 2)
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False, name=f"{name}_up{step}")(x)
        x = CrossReplicaBatchNormalization(name=f"{name}_up{step}_bn")(x)
        x = layers.ReLU(name=f"{name}_up{step}_relu")(x)
    x = layers.Conv2D(channels, 3, padding="same", name=f"{name}_to_frame")(x)
    frames = layers.Activation("tanh", dtype="float32", name=f"{name}_tanh")(x)
    return keras.Model(codes, frames, name=name)


def build_video_generator(content_dim, motion_dim, clip_shape, motion_units=64, base_filters=32, num_classes=None,
                          embedding_dim=16, name="video_generator"):
    """`[content (batch, content_dim), motion (batch, T - 1, motion_dim)(, labels)] -> clips (batch, T, H, W, C)`.

    Content: one vector per clip, fed to every frame. Motion: a GRU whose initial state is a function of the
    content (and label) and which reads one noise vector per frame transition; frame t is decoded from
    `[content, h_t]` with `h_0` the initial state. So frame 0 depends on the content alone, and the motion noise
    only changes what happens after it (MoCoGAN's decomposition, with the starting state given by the content).

    Args:
        content_dim: size of the content code.
        motion_dim: size of each per-transition noise vector.
        clip_shape: (T >= 2, H, W, C).
        motion_units: GRU state size (the motion code of each frame).
        base_filters: filters of the frame decoder's last up-sampling block.
        num_classes: class-conditional when set: a label embedding joins the content code.
        embedding_dim: size of that label embedding.
    """
    num_frames, height, width, channels = clip_shape
    if num_frames < 2:
        raise ValueError(f"A clip needs at least 2 frames. Received: clip_shape={tuple(clip_shape)}")
    inputs, code = _generator_inputs(content_dim, motion_dim, num_frames, num_classes, embedding_dim, name)
    content, motion = inputs[:2]
    initial_state = layers.Dense(motion_units, activation="tanh", name=f"{name}_initial_state")(code)
    states = layers.GRU(motion_units, return_sequences=True, name=f"{name}_gru")(motion, initial_state=initial_state)
    first = layers.Reshape((1, motion_units), name=f"{name}_first_state")(initial_state)
    motion_codes = layers.Concatenate(axis=1, name=f"{name}_motion_codes")([first, states])  # (batch, T, units)
    content_codes = layers.RepeatVector(num_frames, name=f"{name}_content_codes")(code)  # (batch, T, code)
    codes = layers.Concatenate(name=f"{name}_frame_codes")([content_codes, motion_codes])  # (batch, T, code + units)
    decoder = build_frame_decoder(codes.shape[-1], (height, width, channels), base_filters, name=f"{name}_frame_decoder")
    clips = layers.TimeDistributed(decoder, name=f"{name}_frames")(codes)  # (batch, T, H, W, C)
    clips = layers.Activation("linear", dtype="float32", name=f"{name}_output")(clips)
    return keras.Model(inputs, clips, name=name)


def build_sprite_video_generator(content_dim, motion_dim, clip_shape, motion_units=64, base_filters=32,
                                 num_sprites=2, max_step=0.125, num_classes=None, embedding_dim=16,
                                 name="video_generator"):
    """`[content (batch, content_dim), motion (batch, T - 1, motion_dim)(, labels)] -> clips (batch, T, H, W, C)`:
    content drawn once as sprites, motion as their steps.

    Content: the DCGAN frame decoder draws `num_sprites` sprite layers (values in [0, 1]) from the content code
    once per clip. Motion: a GRU whose initial state is a function of the content (and label) reads one noise
    vector per frame transition and emits one (dy, dx) step per sprite, at most `max_step * H` pixels; the
    `SpriteCompositor` shifts every sprite by the sum of its steps (bilinear, differentiable) and composites them
    with a pixelwise maximum. What a clip shows is fixed by the content, so it cannot change from frame to frame
    (the moving digits' consistency), and the motion network only decides the trajectories. Frame 0 depends on
    the content alone.

    Args:
        content_dim: size of the content code.
        motion_dim: size of each per-transition noise vector.
        clip_shape: (T >= 2, H, W, C).
        motion_units: GRU state size.
        base_filters: filters of the sprite decoder's last up-sampling block.
        num_sprites: sprite layers (moving digits: 2).
        max_step: largest step per transition and axis, as a fraction of the frame height.
        num_classes: class-conditional when set: a label embedding joins the content code.
        embedding_dim: size of that label embedding.
    """
    num_frames, height, width, channels = clip_shape
    if num_frames < 2:
        raise ValueError(f"A clip needs at least 2 frames. Received: clip_shape={tuple(clip_shape)}")
    if not 0 < max_step <= 1:
        raise ValueError(f"`max_step` must be in (0, 1]. Received: max_step={max_step!r}")
    inputs, code = _generator_inputs(content_dim, motion_dim, num_frames, num_classes, embedding_dim, name)
    content, motion = inputs[:2]
    decoder = build_frame_decoder(code.shape[-1], (height, width, num_sprites * channels), base_filters,
                                  name=f"{name}_sprite_decoder")
    sprites = layers.Rescaling(0.5, offset=0.5, dtype="float32", name=f"{name}_sprites")(decoder(code))  # [0, 1]
    initial_state = layers.Dense(motion_units, activation="tanh", name=f"{name}_initial_state")(code)
    states = layers.GRU(motion_units, return_sequences=True, name=f"{name}_gru")(motion, initial_state=initial_state)
    steps = layers.Dense(2 * num_sprites, activation="tanh", dtype="float32", name=f"{name}_steps")(states)
    steps = layers.Rescaling(max_step * height, name=f"{name}_steps_in_pixels", dtype="float32")(steps)
    frames = SpriteCompositor(num_sprites, name=f"{name}_compositor")(sprites, steps)  # (batch, T, H, W, C)
    clips = layers.Rescaling(2.0, offset=-1.0, dtype="float32", name=f"{name}_output")(frames)  # [-1, 1]
    return keras.Model(inputs, clips, name=name)


def build_spatial_discriminator(frame_shape, base_filters=32, num_classes=None, name="spatial_discriminator"):
    """`frames (batch, H, W, C)(, labels) -> logits (batch, 1)`: DCGAN strided convolutions, spectral norm on
    every layer, a class projection when conditional. DVD-GAN's D_S: it judges single frames."""
    return build_dcgan_discriminator(tuple(frame_shape), base_filters, num_classes=num_classes, spectral_norm=True,
                                     normalization=None, projection_dim=4 * base_filters, name=name)


def build_temporal_discriminator(clip_shape, base_filters=32, downsample=2, num_classes=None,
                                 name="temporal_discriminator"):
    """`clips (batch, T, H, W, C)(, labels) -> logits (batch, 1)`: DVD-GAN's D_T.

    The clip is first average-pooled `downsample` times spatially (D_T judges motion, D_S the detail), then
    3-D convolutions with a temporal kernel of 3 (so the order of frames matters) and spectral norm; the
    time axis is halved while it is >= 4. A class projection when conditional.
    """
    num_frames, height, width, channels = clip_shape
    clips = keras.Input(tuple(clip_shape), name=f"{name}_clips")
    inputs = [clips]
    x = clips
    if downsample > 1:
        # In float32: TensorFlow has no float16 AvgPool3D kernel on CPU (mixed_float16).
        x = layers.AveragePooling3D((1, downsample, downsample), dtype="float32", name=f"{name}_downsample")(x)
    steps = max(1, halvings(height // downsample, width // downsample, smallest=2))
    filters = base_filters
    for step in range(steps):
        time_stride = 2 if x.shape[1] >= 4 else 1
        # In float32: TensorFlow's CPU (oneDNN) bfloat16 Conv3D kernel gradient returns garbage for some shapes
        # (non-finite in about half the calls at (4, 2, 4, 4, 4) inputs, stride (1, 2, 2)), which made the first
        # mixed_bfloat16 steps NaN. The temporal discriminator sees a downsampled clip, so float32 costs little.
        conv = layers.Conv3D(filters, (3, 4, 4), strides=(time_stride, 2, 2), padding="same", dtype="float32",
                             name=f"{name}_conv{step}")
        x = layers.LeakyReLU(0.2, name=f"{name}_conv{step}_act")(_sn(conv)(x))
        filters *= 2
    features = layers.Flatten(name=f"{name}_features")(x)
    phi = layers.LeakyReLU(0.2, name=f"{name}_phi_act")(_sn(layers.Dense(4 * base_filters, name=f"{name}_phi"))(features))
    logits = _sn(layers.Dense(1, name=f"{name}_logits"))(phi)
    if num_classes:
        labels = keras.Input((), dtype="int32", name=f"{name}_labels")
        inputs.append(labels)
        # Not spectrally normalized (it would cast the integer labels, see build_dcgan_discriminator).
        embedded = layers.Embedding(num_classes, 4 * base_filters, name=f"{name}_class_embedding")(labels)
        projection = layers.Dot(axes=1, name=f"{name}_projection")([embedded, phi])
        logits = layers.Add(name=f"{name}_projected_logits")([logits, projection])
    logits = layers.Activation("linear", dtype="float32", name=f"{name}_output")(logits)
    return keras.Model(inputs if num_classes else clips, logits, name=name)
