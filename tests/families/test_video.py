import types

import numpy as np
import pytest
from PIL import Image, ImageSequence

from keras_gen.cli.video import COMMANDS, strip_path
from keras_gen.data.clips import ClipDatasetInfo, get_clip_info
from keras_gen.export.video import VideoEndpoints
from keras_gen.families import get_family
from keras_gen.families.video import sample_clips, sample_images
from keras_gen.losses import gan as gan_losses
from keras_gen.training.config import TrainConfig
from keras_gen.utils.video import frame_strip, gif_frames

# With pytest-xdist, tests that share the session's trained families run in one worker (trained once there).
pytestmark = pytest.mark.xdist_group("families")

SMOKE = {"content_dim": "4", "motion_dim": "2", "motion_units": "4", "base_filters": "4", "d_base_filters": "4",
         "sampled_frames": "2"}


def tiny_config(**changes):
    values = dict(model="video_gan", dataset="synthetic_clips", batch_size=4, output_dir="unused", options=SMOKE)
    return TrainConfig(**{**values, **changes})


def test_recipe_options_and_conditioning():
    family = get_family("video_gan")
    assert family.default_dataset == "moving_digits_32" and family.group == "video"
    info = get_clip_info("synthetic_clips")
    model = family.build(tiny_config(), info)
    assert model.generator_loss is gan_losses.hinge_generator_loss and not model.conditional
    assert model.clip_shape == (4, 16, 16, 1) and model.sampled_frames == 2
    assert float(model.d_optimizer.learning_rate) == pytest.approx(4e-4)
    assert float(model.g_optimizer.learning_rate) == pytest.approx(1e-4)
    # --latent_dim sets content_dim (an explicit --options content_dim would win over it).
    options = {**{k: v for k, v in SMOKE.items() if k != "content_dim"}, "conditional": "true", "loss": "non_saturating"}
    model = family.build(tiny_config(options=options, latent_dim=5), info)
    assert model.num_classes == 4 and model.content_dim == 5
    assert model.discriminator_loss is gan_losses.non_saturating_discriminator_loss
    with pytest.raises(ValueError, match="has no labels.*Received: conditional=True"):
        family.build(tiny_config(options={**SMOKE, "conditional": "true"}), ClipDatasetInfo("own", (4, 16, 16, 1), 0))
    with pytest.raises(ValueError, match="Received: sampled_frames=5"):
        family.build(tiny_config(options={**SMOKE, "sampled_frames": "5"}), info)
    with pytest.raises(ValueError, match="Received: loss='wgan_gp'"):
        family.build(tiny_config(loss="wgan_gp"), info)


def test_cli_sample_writes_the_library_clips_as_gif_and_strip(family_run, tmp_path):
    run = family_run("video_gan")
    out = str(tmp_path / "clips.gif")
    args = types.SimpleNamespace(out=out, num_samples=3, seed=5, labels=None)
    options = get_family("video_gan").resolve_options(run.config)
    assert COMMANDS["sample"](run.model, run.config, options, args) == out
    clips = sample_clips(run.model, 3, 5)
    assert clips.shape == (3, 4, 16, 16, 1) and 0.0 <= clips.min() and clips.max() <= 1.0
    with Image.open(out) as gif:
        played = np.stack([np.asarray(frame.convert("L")) for frame in ImageSequence.Iterator(gif)])
    np.testing.assert_array_equal(played, gif_frames(clips, scale=2))  # T pictures, every clip side by side
    strip = np.asarray(Image.open(strip_path(out)))
    np.testing.assert_array_equal(strip, frame_strip(clips)[..., 0].repeat(2, 0).repeat(2, 1))
    assert strip_path(out).endswith("clips_strip.png")
    with pytest.raises(ValueError, match="Received: out="):
        COMMANDS["sample"](run.model, run.config, options, types.SimpleNamespace(**{**vars(args), "out": "x.png"}))
    with pytest.raises(ValueError, match="Received: labels='1'"):
        COMMANDS["sample"](run.model, run.config, options, types.SimpleNamespace(**{**vars(args), "labels": "1"}))
    with pytest.raises(ValueError, match="Received: num_samples=0"):
        COMMANDS["sample"](run.model, run.config, options, types.SimpleNamespace(**{**vars(args), "num_samples": 0}))


def test_endpoints_and_progress_frames_follow_the_seeded_latents(family_run):
    run = family_run("video_gan")
    endpoints = VideoEndpoints(model=run.model)
    np.testing.assert_allclose(endpoints.sample(2, 9), sample_clips(run.model, 2, 9), atol=1e-6)
    assert not np.allclose(endpoints.sample(2, 9), endpoints.sample(2, 10))
    with pytest.raises(ValueError, match="Received: count=0"):
        endpoints.sample(0, 1)
    frames = sample_images(run.model, 9, 3)  # 9 // 4 = 2 clips, their frames in order
    np.testing.assert_allclose(frames, sample_clips(run.model, 2, 3).reshape(8, 16, 16, 1), atol=1e-6)


def test_frame_strip_layout():
    clips = np.zeros((2, 3, 2, 2, 1), np.float32)
    clips[1, 2] = 1.0  # clip 1, frame 2 white
    strip = frame_strip(clips, padding=1)
    assert strip.shape == (1 + 2 * 3, 1 + 3 * 3, 1)
    assert (strip[4:6, 7:9] == 255).all() and strip[1:3, 1:3].max() == 0 and strip[4:6, 4:6].max() == 0


def test_datasets_command_lists_the_clip_datasets():
    from keras_gen import cli

    listing = cli.run_command("datasets").splitlines()
    clip_part = listing[listing.index("clip datasets (video models):") + 1:]
    assert {"moving_digits", "moving_digits_32", "moving_mnist", "synthetic_clips"} <= {
        line.split()[0] for line in clip_part}
    assert "mnist_5k" in [line.split()[0] for line in listing[:listing.index("clip datasets (video models):")]]
