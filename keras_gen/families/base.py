"""What a model family plugs into the shared runner, CLI, exporter and apps."""

import dataclasses
from typing import Callable, Mapping, Optional


@dataclasses.dataclass(frozen=True)
class ModelFamily:
    """One trainable model family (`vae`, `dcgan`, `vqvae2`, ...).

    Attributes:
        name: the `--model` name.
        description: one line for `keras-gen --help` and error messages.
        default_dataset: the offline dataset used when `--dataset` is not given.
        make_datasets: `(config) -> (train_ds, val_ds_or_None, DatasetInfo)`.
        build_model: `(config, info) -> compiled keras.Model`.
        export: `(model, export_dir) -> None`, a SavedModel with named signatures.
        evaluate: `(model, config, eval_args) -> dict` of JSON-able metrics.
        commands: extra CLI verbs, `name -> (model, config, args) -> str` (what was written).
        sample_images: `(model, num, seed) -> float images in [0, 1]`, for sample grids during training;
            None when the family has no unconditional sampler.
        app: `"module:function"` building the Gradio Blocks from a model directory or export.
    """

    name: str
    description: str
    default_dataset: str
    make_datasets: Callable
    build_model: Callable
    export: Callable
    evaluate: Callable
    commands: Mapping[str, Callable] = dataclasses.field(default_factory=dict)
    sample_images: Optional[Callable] = None
    app: Optional[str] = None
