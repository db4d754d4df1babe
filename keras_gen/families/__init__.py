"""Registry of model families. Each module in this package registers its models on import.

Adding a family means adding a module here: an options dataclass, a `{model name: Recipe}` table and one
`register(...)` call. Nothing else to edit: the runner, the CLI and the family contract test find it here.
"""

import importlib
import pkgutil

from keras_gen.families.base import ModelFamily, Options, Recipe, Smoke, make_families, option, without_options

_FAMILIES = {}
_DISCOVERED = False


def register(group, options_class, recipes, **family_functions):
    """Registers every model of `recipes` (see `make_families`); returns their `ModelFamily` records."""
    families = make_families(group, options_class, recipes, **family_functions)
    for family in families:
        if family.name in _FAMILIES:
            raise ValueError(f"A model named {family.name!r} is already registered.")
        _FAMILIES[family.name] = family
    return families


def _discover():
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base":
            importlib.import_module(f"{__name__}.{module.name}")


def family_names():
    """Every registered `--model` name."""
    _discover()
    return sorted(_FAMILIES)


def get_family(name):
    _discover()
    if name not in _FAMILIES:
        raise ValueError(f"Unknown model {name!r}. Valid models: {', '.join(sorted(_FAMILIES))}. Received: model={name!r}")
    return _FAMILIES[name]


def train(config, callbacks=(), verbose="auto"):
    """Trains the registered model `config.model` (`keras_gen.training.runner.train` with its family)."""
    from keras_gen.training.runner import train as train_family

    return train_family(get_family(config.model), config, callbacks=callbacks, verbose=verbose)


__all__ = ["ModelFamily", "Options", "Recipe", "Smoke", "family_names", "get_family", "option", "register", "train", "without_options"]
