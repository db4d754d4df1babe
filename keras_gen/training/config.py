"""The training recipe: one frozen dataclass shared by every model family."""

import dataclasses
import json
import os
from typing import Any, Mapping, Optional

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
STRATEGIES = ("default", "mirrored", "multi_worker")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """How to train one model. Model *architecture* settings live in the model's own config."""

    model: str = "vae"
    # None: the family's offline default (e.g. `mnist_5k`), so a fresh machine trains without network.
    dataset: Optional[str] = None
    data_dir: Optional[str] = None
    epochs: int = 10
    batch_size: int = 64
    # None: the family's rates (1e-3 for the VAE, each GAN recipe's published D and G rates). Given, it sets
    # every learning-rate option of the family (an explicit `--options d_learning_rate=...` still wins).
    learning_rate: Optional[float] = None
    # None: the family's default latent size (20 for the VAE, as in the lecture).
    latent_dim: Optional[int] = None
    seed: int = 0
    output_dir: str = "runs/vae"
    resume: bool = False
    # None: one pass over the training split per epoch. Small values make smoke runs and tests fast.
    steps_per_epoch: Optional[int] = None
    # None: the whole validation split after each epoch (families that have one).
    validation_steps: Optional[int] = None
    # Name of a loss in keras_gen.losses for families that take one (GANs); None: the family default.
    loss: Optional[str] = None
    precision: str = "float32"
    strategy: str = "default"
    jit_compile: bool = False
    # Run train steps eagerly (no tf.function): for debugging, and for tiny smoke runs, where tracing a step costs
    # more than running it.
    run_eagerly: bool = False
    # Write a sample grid every N epochs (0 turns it off).
    sample_every: int = 1
    # Classifier Frechet distance of samples every N epochs into the logs (history.csv, TensorBoard); 0: off.
    fd_every: int = 0
    # Write TensorBoard logs to `<output_dir>/logs`.
    tensorboard: bool = False
    # The family's options: strings from `--options key=value,...`, or typed values read back from a
    # config.json. The runner resolves them against the family's options dataclass and stores every field.
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise ValueError(f"`learning_rate` must be > 0. Received: learning_rate={self.learning_rate!r}")
        if self.validation_steps is not None and self.validation_steps < 1:
            raise ValueError(f"`validation_steps` must be a positive integer or None. "
                             f"Received: validation_steps={self.validation_steps!r}")
        if self.steps_per_epoch is not None and self.steps_per_epoch < 1:
            raise ValueError(
                f"`steps_per_epoch` must be a positive integer or None. Received: steps_per_epoch={self.steps_per_epoch!r}"
            )
        for name in ("sample_every", "fd_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"`{name}` must be a non-negative integer. Received: {name}={value!r}")
        if self.latent_dim is not None and self.latent_dim < 1:
            raise ValueError(f"`latent_dim` must be a positive integer. Received: latent_dim={self.latent_dim!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"`precision` must be one of {PRECISIONS}. Received: precision={self.precision!r}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"`strategy` must be one of {STRATEGIES}. Received: strategy={self.strategy!r}")

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def to_json(self, path):
        with open(path, "w") as f:
            json.dump(dataclasses.asdict(self) | {"options": dict(self.options)}, f, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, path):
        with open(path) as f:
            values = json.load(f)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def parse_options(text):
    """Parses `key=value,key=value` into a dict; an item without `=` is an error that names it."""
    options = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        if "=" not in item:
            raise ValueError(f"`--options` items must look like key=value. Received: {item!r}")
        key, value = item.split("=", 1)
        options[key.strip()] = value.strip()
    return options


def config_path(model_dir):
    return os.path.join(model_dir, "config.json")
