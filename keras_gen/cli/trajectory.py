"""`keras-gen` verbs for the trajectory family: predict (a PNG of observed paths and K predicted futures)."""

from keras_gen.data import trajectories
from keras_gen.export.social_gan import SocialGANEndpoints
from keras_gen.utils.trajectory_plot import save_scene


def predict(model, config, options, args):
    """`--scene=N`: the N-th test window of the run's dataset; `--num_samples`: K futures (<= 1024); `--seed`.
    The picture shows the observed paths (thick), the K futures (thin) and the true future (dashed)."""
    windows = trajectories.load_windows(config.dataset, "test", config.data_dir, options.test_scene)
    if not 0 <= args.scene < len(windows):
        raise ValueError(f"`scene` must be in [0, {len(windows)}) (test windows of {config.dataset}). "
                         f"Received: scene={args.scene}")
    index = args.scene
    samples = SocialGANEndpoints(model=model).predict(windows.observed[index:index + 1], windows.mask[index:index + 1],
                                                      args.num_samples, args.seed)
    title = f"{windows.scenes[index]} #{index}: {args.num_samples} futures (seed {args.seed})"
    return save_scene(args.out, windows.observed[index], windows.mask[index], samples[0], windows.future[index],
                      title=title)


COMMANDS = {"predict": predict}
