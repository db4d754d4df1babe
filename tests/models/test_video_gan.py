import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.data.clips import load_clips
from keras_gen.layers.sprites import SpriteCompositor
from keras_gen.models import video_networks as networks
from keras_gen.models.video_gan import VideoGAN, video_latents

CLIP = (4, 16, 16, 1)


def tiny_model(num_classes=None, seed=1, generator="frames"):
    if generator == "sprites":
        generator = networks.build_sprite_video_generator(4, 2, CLIP, motion_units=4, base_filters=4,
                                                          num_classes=num_classes)
    else:
        generator = networks.build_video_generator(4, 2, CLIP, motion_units=4, base_filters=4, num_classes=num_classes)
    spatial = networks.build_spatial_discriminator(CLIP[1:], 4, num_classes=num_classes)
    temporal = networks.build_temporal_discriminator(CLIP, 4, num_classes=num_classes)
    model = VideoGAN(generator, spatial, temporal, content_dim=4, motion_dim=2, sampled_frames=2,
                     num_classes=num_classes, seed=seed)
    # Eager: tracing a step of these tiny networks costs more than running it.
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3), run_eagerly=True)
    return model


@pytest.mark.parametrize("generator", ["sprites", "frames"])
@pytest.mark.parametrize("num_classes", [None, 3])
def test_fixed_content_with_new_motion_keeps_the_first_frame_and_changes_the_rest(num_classes, generator):
    model = tiny_model(num_classes, generator=generator)
    labels = None if num_classes is None else np.array([0, 2, 1])
    content, motion = (np.asarray(t) for t in video_latents(3, 4, 4, 2, seed=0))
    _, other_motion = (np.asarray(t) for t in video_latents(3, 4, 4, 2, seed=1))
    other_content = np.asarray(video_latents(3, 4, 4, 2, seed=2)[0])
    clips = np.asarray(model.generate(content, motion, labels))
    moved = np.asarray(model.generate(content, other_motion, labels))
    recast = np.asarray(model.generate(other_content, motion, labels))
    assert clips.shape == (3,) + CLIP and clips.dtype == np.float32
    assert np.abs(clips).max() <= 1.0
    # The content alone sets the first frame: new motion noise leaves it bit-identical ...
    np.testing.assert_array_equal(moved[:, 0], clips[:, 0])
    # ... and changes every later frame, while new content changes the first frame too.
    for t in range(1, 4):
        assert np.abs(moved[:, t] - clips[:, t]).max() > 1e-4
    assert np.abs(recast[:, 0] - clips[:, 0]).max() > 1e-4


def test_sprite_generator_moves_the_same_sprites_within_the_frame_step_limit():
    model = tiny_model(generator="sprites")
    content, motion = (np.asarray(t) for t in video_latents(3, 4, 4, 2, seed=0))
    generator = model.generator
    sprites = keras.Model(generator.inputs, generator.get_layer("video_generator_sprites").output)
    steps = keras.Model(generator.inputs, generator.get_layer("video_generator_steps_in_pixels").output)
    drawn, moved = np.asarray(sprites([content, motion])), np.asarray(steps([content, motion]))
    assert drawn.shape == (3, 16, 16, 2) and moved.shape == (3, 3, 4)
    assert np.abs(moved).max() <= 0.125 * 16 + 1e-6  # max_step * height
    # The clip is exactly the compositor of those sprites and steps, in [-1, 1]: nothing else draws on a frame.
    clips = np.asarray(model.generate(content, motion))
    np.testing.assert_allclose(clips, 2.0 * np.asarray(SpriteCompositor(2)(drawn, moved)) - 1.0, atol=1e-5)


def test_the_temporal_discriminator_sees_the_frame_order():
    temporal = networks.build_temporal_discriminator((6, 16, 16, 1), 4)
    clips = np.random.default_rng(0).random((5, 6, 16, 16, 1)).astype(np.float32)
    shuffled = clips[:, [3, 0, 5, 1, 4, 2]]
    reversed_clips = clips[:, ::-1]
    logits = np.asarray(temporal(clips))
    assert logits.shape == (5, 1)
    assert np.abs(np.asarray(temporal(shuffled)) - logits).min() > 1e-5  # every clip's logit changes
    assert np.abs(np.asarray(temporal(reversed_clips)) - logits).min() > 1e-5
    # It judges the spatially downsampled clip: detail finer than the pooling window's mean is invisible to it.
    checker = np.indices((16, 16)).sum(axis=0) % 2 * 2.0 - 1.0  # +-1 in 2x2 blocks averages to 0
    flat = np.zeros((1, 6, 16, 16, 1), np.float32)
    np.testing.assert_allclose(np.asarray(temporal(flat + 0.3 * checker[None, None, :, :, None])),
                               np.asarray(temporal(flat)), atol=1e-5)
    assert any(isinstance(l, keras.layers.SpectralNormalization) for l in temporal.layers)


def test_spatial_frames_are_distinct_per_clip_and_training_moves_every_network():
    model = tiny_model()
    indices = np.asarray(model.sampled_frame_indices(50))
    assert indices.shape == (50, 2) and indices.min() >= 0 and indices.max() < 4
    assert np.all(indices[:, 0] != indices[:, 1])
    assert len({tuple(row) for row in indices}) > 5  # different picks per clip
    before = [[np.array(w) for w in net.get_weights()]
              for net in (model.generator, model.spatial_discriminator, model.temporal_discriminator)]
    history = model.fit(load_clips("synthetic_clips", batch_size=4, value_range="signed", drop_remainder=True).take(2),
                        epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "spatial_real_logits", "spatial_fake_logits",
                            "temporal_real_logits", "temporal_fake_logits"}
    assert all(np.isfinite(v[0]) for v in history.values())
    assert int(model.optimizer.iterations) == 2 and int(model.d_optimizer.iterations) == 2
    for net, old in zip((model.generator, model.spatial_discriminator, model.temporal_discriminator), before):
        assert any(np.abs(np.array(new) - o).max() > 0 for new, o in zip(net.get_weights(), old)), net.name


# Under mixed precision the first steps were NaN for some initializations (#14): bfloat16 generator losses (TF's CPU
# bfloat16 Conv3D kernel gradient returned garbage into the temporal discriminator) and float16 spatial logits
# (Keras' spectral norm power iteration underflowed in float16). Several global seeds in one process, a few steps each.
@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_on_cpu_for_several_initializations(precision):
    keras.config.set_dtype_policy(precision)
    batches = list(load_clips("synthetic_clips", batch_size=4, value_range="signed", with_labels=True,
                              drop_remainder=True).take(2))
    for seed in range(3):
        keras.utils.set_random_seed(seed)
        model = tiny_model(num_classes=4)
        for clips, labels in batches:
            logs = model.train_on_batch(clips, labels, return_dict=True)
            assert all(np.isfinite(float(v)) for v in logs.values()), (seed, logs)
        assert all(np.all(np.isfinite(np.asarray(w, np.float32))) for w in model.weights), seed
    clips = model.sample(2, labels=[1, 3], seed=0)
    assert clips.dtype == "float32" and tuple(clips.shape) == (2,) + CLIP
    assert model.generator.get_layer("video_generator_gru").compute_dtype == precision.split("_")[1]
    wrapped = isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert wrapped == (precision == "mixed_float16")


def test_bad_arguments_are_named():
    model = tiny_model()
    with pytest.raises(ValueError, match="Received: sampled_frames=5"):
        VideoGAN(model.generator, model.spatial_discriminator, model.temporal_discriminator, content_dim=4,
                 motion_dim=2, sampled_frames=5)
    with pytest.raises(ValueError, match="Received: content_dim=0"):
        VideoGAN(model.generator, model.spatial_discriminator, model.temporal_discriminator, content_dim=0)
    with pytest.raises(ValueError, match="Received: labels="):
        model.sample(2, labels=[0, 1], seed=0)
    with pytest.raises(ValueError, match="Received: clip_shape=\\(1, 16, 16, 1\\)"):
        networks.build_video_generator(4, 2, (1, 16, 16, 1))
    conditional = tiny_model(num_classes=3)
    with pytest.raises(ValueError, match="labels"):
        conditional.sample(2, labels=[0, 3], seed=0)


def test_seeded_latents_are_the_same_in_every_call_and_differ_by_seed():
    a, b = video_latents(3, 5, 4, 2, seed=7), video_latents(3, 5, 4, 2, seed=7)
    c = video_latents(3, 5, 4, 2, seed=8)
    assert a[0].shape == (3, 5) and a[1].shape == (3, 3, 2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.allclose(a[0], c[0]) and not np.allclose(a[1], c[1])
    assert tf.reduce_all(tf.math.is_finite(a[1]))
