"""Registry of model families. Each module in this package registers its families on import.

Adding a family means adding a module here that calls `register(ModelFamily(...))`: nothing else to edit.
"""

import importlib
import pkgutil

from keras_gen.families.base import ModelFamily

_FAMILIES = {}
_DISCOVERED = False


def register(family):
    if family.name in _FAMILIES:
        raise ValueError(f"A model family named {family.name!r} is already registered.")
    _FAMILIES[family.name] = family
    return family


def _discover():
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base":
            importlib.import_module(f"{__name__}.{module.name}")


def family_names():
    _discover()
    return sorted(_FAMILIES)


def get_family(name):
    _discover()
    if name not in _FAMILIES:
        raise ValueError(f"Unknown model {name!r}. Valid models: {', '.join(sorted(_FAMILIES))}. Received: model={name!r}")
    return _FAMILIES[name]


__all__ = ["ModelFamily", "register", "family_names", "get_family"]
