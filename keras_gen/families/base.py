"""What a model family is: typed options, a table of recipes, and the functions the runner, CLI and exporter call.

A family module reads top to bottom as its options dataclass, a `{model name: Recipe}` table and one
`register(...)` call. `--options key=value,...` is parsed once, here, against the dataclass: an unknown key or a
value that does not parse is an error naming it, and the resolved options (every field) go to the run's
`config.json`, so a run is reproducible from that file alone.
"""

import dataclasses
import math
import typing
from typing import Any, Callable, ClassVar, Mapping, Optional

# `--learning_rate`, `--latent_dim` and `--loss` are shortcuts for option fields: each sets the fields its
# family's options name in `SHORTCUTS` (default: the field of the same name), before `--options` are applied.
SHORTCUT_FLAGS = ("learning_rate", "latent_dim", "loss")


def option(default, help, choices=None):
    """A field of a family's options dataclass: its default, one line of doc and, for strings, the valid values."""
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices})


@dataclasses.dataclass(frozen=True)
class Options:
    """Base of every family's options. `SHORTCUTS` maps a shortcut flag to the fields it sets."""

    SHORTCUTS: ClassVar[Mapping[str, tuple]] = {}


def _field_type(options_class, name):
    """(base type, optional) of a field: `Optional[float]` -> (float, True)."""
    hint = typing.get_type_hints(options_class)[name]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is typing.Union and len(args) == 1:
        return args[0], True
    return hint, False


def _a(type_name):
    return f"{'an' if type_name[0] in 'aeiou' else 'a'} {type_name}"


def _parse_value(options_class, field, raw):
    """`raw` (a string from the command line, or a JSON value from config.json) as the field's type."""
    base, optional = _field_type(options_class, field.name)
    if raw is None or (optional and isinstance(raw, str) and raw.lower() in ("none", "")):
        if optional:
            return None
        raise ValueError(f"Option `{field.name}` must be {_a(base.__name__)}. Received: {field.name}={raw!r}")
    try:
        if base is bool:
            if isinstance(raw, bool):
                value = raw
            elif str(raw).lower() in ("1", "true", "yes"):
                value = True
            elif str(raw).lower() in ("0", "false", "no"):
                value = False
            else:
                raise ValueError(raw)
        elif base is int:
            if isinstance(raw, float) or isinstance(raw, bool):
                raise ValueError(raw)
            value = int(raw)
        elif base is float:
            if isinstance(raw, bool) or not math.isfinite(float(raw)):
                raise ValueError(raw)
            value = float(raw)
        else:
            value = base(raw)
    except (TypeError, ValueError):
        raise ValueError(f"Option `{field.name}` must be {_a(base.__name__)}. Received: {field.name}={raw!r}") from None
    choices = field.metadata.get("choices")
    if choices and value not in choices:
        raise ValueError(f"Option `{field.name}` must be one of {', '.join(map(str, choices))}. "
                         f"Received: {field.name}={raw!r}")
    return value


def resolve_options(defaults, raw_options=None, shortcuts=None, model=None):
    """`defaults` (an options instance) updated by the shortcut flags, then by `raw_options`.

    Args:
        defaults: the recipe's options instance.
        raw_options: `{key: value}` from `--options` (strings) or a config.json (typed values).
        shortcuts: `{flag: value}` for `SHORTCUT_FLAGS`; None values are ignored.
        model: the model name, for error messages.
    """
    options_class = type(defaults)
    fields = {f.name: f for f in dataclasses.fields(options_class)}
    changes = {}
    for flag, value in (shortcuts or {}).items():
        if value is None:
            continue
        targets = options_class.SHORTCUTS.get(flag) or ((flag,) if flag in fields else ())
        if not targets:
            raise ValueError(f"Model {model!r} takes no --{flag}. Received: {flag}={value!r}")
        for target in targets:
            changes[target] = _parse_value(options_class, fields[target], value)
    for key, value in (raw_options or {}).items():
        if key not in fields:
            raise ValueError(f"Unknown option {key!r} for model {model!r}. Valid options: {', '.join(sorted(fields))}. "
                             f"Received: {key}={value!r}")
        changes[key] = _parse_value(options_class, fields[key], value)
    return dataclasses.replace(defaults, **changes)


def describe_options(defaults):
    """One line per option: name, type, default, doc (what `keras-gen models --model=NAME` prints)."""
    options_class = type(defaults)
    lines = []
    for field in dataclasses.fields(options_class):
        base, optional = _field_type(options_class, field.name)
        kind = f"{base.__name__}{' or None' if optional else ''}"
        choices = field.metadata.get("choices")
        doc = field.metadata.get("help", "") + (f" ({' | '.join(choices)})" if choices else "")
        lines.append(f"  {field.name:26s} {kind:14s} {getattr(defaults, field.name)!r:>12}  {doc}")
    for flag, targets in sorted(options_class.SHORTCUTS.items()):
        lines.append(f"  --{flag} sets {', '.join(targets)}")
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One row of a family's `{model name: Recipe}` table.

    Attributes:
        description: one line for `keras-gen models`.
        build: `(config, options, info) -> compiled keras.Model`.
        defaults: the options instance this model starts from (None: the options class's defaults).
        default_dataset, make_datasets, evaluate, sample_images: this model's own, where it differs from the
            family's.
        smoke: tiny settings (`Smoke`) that train in seconds, for the family contract test and quick runs.
    """

    description: str
    build: Callable
    defaults: Any = None
    default_dataset: Optional[str] = None
    make_datasets: Optional[Callable] = None
    evaluate: Optional[Callable] = None
    sample_images: Optional[Callable] = None
    smoke: Optional["Smoke"] = None


@dataclasses.dataclass(frozen=True)
class Smoke:
    """The smallest run that goes through every code path of a model: what the family contract test trains.

    Attributes:
        options: `--options` values that shrink the networks.
        dataset: the dataset to train on (default: the family's, else the model's default dataset).
        builds_on: `(model name, option)` when the model needs another trained first (a stage-2 prior): the
            other model's run directory is passed as that option.
    """

    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    dataset: Optional[str] = None
    builds_on: Optional[tuple] = None


@dataclasses.dataclass(frozen=True)
class ModelFamily:
    """Everything the runner, the CLI, the exporter and the contract test need of one `--model` name.

    Attributes:
        name: the `--model` name (`vae`, `dcgan`, ...).
        group: the family module it comes from (`vae`, `gan`, `vqvae2`, `translation`); the CLI maps it to
            the family's extra verbs and its Gradio app.
        description: one line.
        defaults: the model's options instance (its class is the options dataclass).
        default_dataset: the offline dataset used when `--dataset` is not given.
        make_datasets: `(config, options) -> (train_ds, val_ds_or_None, DatasetInfo)`.
        build_model: `(config, options, info) -> compiled keras.Model`.
        signatures: `model -> (endpoints, metadata)`, the serving signatures `export` writes
            (`keras_gen.export.common.export_signatures`).
        evaluate: `(model, request, options) -> dict` of JSON-able metrics (`keras_gen.metrics.EvalRequest`).
        sample_images: `(model, num, seed) -> float images in [0, 1]` for sample grids during training, or None.
        smoke: the tiny run of this model (`Smoke`).
        callbacks: `config -> [keras.callbacks.Callback]`, training callbacks of the family's own (ProGAN's
            per-resolution grids), or None.
    """

    name: str
    group: str
    description: str
    defaults: Any
    default_dataset: str
    make_datasets: Callable
    build_model: Callable
    signatures: Callable
    evaluate: Callable
    sample_images: Optional[Callable] = None
    smoke: Smoke = Smoke()
    callbacks: Optional[Callable] = None

    def export(self, model, export_dir):
        """Writes a SavedModel of `model` with the family's named signatures to `export_dir`; its metadata names
        the model and its group, so an app can be chosen for the export alone."""
        from keras_gen.export.common import export_signatures

        endpoints, metadata = self.signatures(model)
        return export_signatures(model, export_dir, endpoints, {**metadata, "model": self.name, "group": self.group})

    @property
    def options_class(self):
        return type(self.defaults)

    def resolve_options(self, config):
        """The typed options of a run: recipe defaults, then `--learning_rate`/`--latent_dim`/`--loss`, then
        `config.options`."""
        shortcuts = {flag: getattr(config, flag) for flag in SHORTCUT_FLAGS}
        return resolve_options(self.defaults, config.options, shortcuts, model=self.name)

    def datasets(self, config):
        """`(train, validation or None, info)` for `config`, its options resolved."""
        return self.make_datasets(config, self.resolve_options(config))

    def build(self, config, info):
        """The compiled model for `config` (its options resolved) on data described by `info`."""
        return self.build_model(config, self.resolve_options(config), info)

    def evaluate_run(self, model, config, **request):
        """`{"model", "dataset", **metrics}`: the family's evaluation of `model`, trained as `config`, on the test
        split of its dataset. `request`: the other `keras_gen.metrics.EvalRequest` fields (`num_examples`,
        `iw_samples`, `inception_weights`)."""
        from keras_gen.metrics.evaluate import EvalRequest

        dataset = config.dataset or self.default_dataset
        request = EvalRequest(dataset=dataset, data_dir=config.data_dir, seed=config.seed, **request)
        return {"model": self.name, "dataset": dataset, **self.evaluate(model, request, self.resolve_options(config))}

    def describe(self):
        return f"{self.name}: {self.description}\noptions (--options key=value,...):\n{describe_options(self.defaults)}"


def without_options(evaluate):
    """A `(model, request)` evaluation as a family's `(model, request, options)` one, for models whose
    evaluation needs none of their options."""

    def evaluate_model(model, request, options):
        del options
        return evaluate(model, request)

    return evaluate_model


def make_families(group, options_class, recipes, *, default_dataset, make_datasets, signatures, evaluate,
                  sample_images=None, smoke_dataset=None, callbacks=None):
    """One `ModelFamily` per recipe, the recipe's own fields taking precedence over the family's."""
    return [
        ModelFamily(
            name=name,
            group=group,
            description=recipe.description,
            defaults=recipe.defaults if recipe.defaults is not None else options_class(),
            default_dataset=recipe.default_dataset or default_dataset,
            make_datasets=recipe.make_datasets or make_datasets,
            build_model=recipe.build,
            signatures=signatures,
            evaluate=recipe.evaluate or evaluate,
            sample_images=recipe.sample_images or sample_images,
            smoke=dataclasses.replace(recipe.smoke or Smoke(),
                                      dataset=(recipe.smoke and recipe.smoke.dataset) or smoke_dataset
                                      or recipe.default_dataset or default_dataset),
            callbacks=callbacks,
        )
        for name, recipe in recipes.items()
    ]
