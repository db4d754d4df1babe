"""The training recipe: one frozen dataclass shared by every model family."""

import dataclasses
import json
import os
from typing import Mapping, Optional

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
    learning_rate: float = 1e-3
    # None: the family's default latent size (20 for the VAE, as in the lecture).
    latent_dim: Optional[int] = None
    seed: int = 0
    output_dir: str = "runs/vae"
    resume: bool = False
    # None: one pass over the training split per epoch. Small values make smoke runs and tests fast.
    steps_per_epoch: Optional[int] = None
    # Name of a loss in keras_gen.losses for families that take one (GANs); None: the family default.
    loss: Optional[str] = None
    precision: str = "float32"
    strategy: str = "default"
    jit_compile: bool = False
    # Write a sample grid every N epochs (0 turns it off).
    sample_every: int = 1
    # Family-specific knobs from `--options key=value,...` (strings; each family parses its own).
    options: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"`learning_rate` must be > 0. Received: learning_rate={self.learning_rate!r}")
        if self.steps_per_epoch is not None and self.steps_per_epoch < 1:
            raise ValueError(
                f"`steps_per_epoch` must be a positive integer or None. Received: steps_per_epoch={self.steps_per_epoch!r}"
            )
        if self.latent_dim is not None and self.latent_dim < 1:
            raise ValueError(f"`latent_dim` must be a positive integer. Received: latent_dim={self.latent_dim!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"`precision` must be one of {PRECISIONS}. Received: precision={self.precision!r}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"`strategy` must be one of {STRATEGIES}. Received: strategy={self.strategy!r}")

    def option(self, key, default, cast=str):
        """Reads a family-specific option with a type, naming the key when the value does not parse."""
        if key not in self.options:
            return default
        raw = self.options[key]
        try:
            if cast is bool:
                if str(raw).lower() in ("1", "true", "yes"):
                    return True
                if str(raw).lower() in ("0", "false", "no"):
                    return False
                raise ValueError(raw)
            return cast(raw)
        except ValueError:
            raise ValueError(f"Option `{key}` must be a {cast.__name__}. Received: {key}={raw!r}") from None

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
