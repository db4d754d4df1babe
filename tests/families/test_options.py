import dataclasses
import json
from typing import ClassVar, Optional

import pytest

from keras_gen.families import Options, get_family, option
from keras_gen.families.base import describe_options, resolve_options
from keras_gen.training.config import TrainConfig


@dataclasses.dataclass(frozen=True)
class ToyOptions(Options):
    SHORTCUTS: ClassVar = {"learning_rate": ("d_learning_rate", "g_learning_rate")}

    steps: int = option(1, "steps")
    rate: float = option(0.5, "rate")
    flag: bool = option(True, "flag")
    kind: str = option("a", "kind", choices=("a", "b"))
    path: Optional[str] = option(None, "a path")
    width: Optional[int] = option(None, "width")
    d_learning_rate: float = option(1e-4, "D rate")
    g_learning_rate: float = option(2e-4, "G rate")


def test_strings_parse_to_the_field_types():
    options = resolve_options(ToyOptions(), {"steps": "3", "rate": "1e-3", "flag": "false", "kind": "b",
                                             "path": "/x", "width": "none"})
    assert options == ToyOptions(steps=3, rate=1e-3, flag=False, kind="b", path="/x", width=None)
    assert resolve_options(ToyOptions(), {"flag": "yes", "width": "7"}) == ToyOptions(flag=True, width=7)


@pytest.mark.parametrize("raw, message", [
    ({"step": "3"}, r"Unknown option 'step' for model 'toy'\. Valid options: d_learning_rate, flag, g_learning_rate, "
                    r"kind, path, rate, steps, width\. Received: step='3'"),
    ({"steps": "two"}, r"Option `steps` must be an int\. Received: steps='two'"),
    ({"steps": "2.5"}, r"Option `steps` must be an int\. Received: steps='2.5'"),
    ({"steps": 2.0}, r"Option `steps` must be an int\. Received: steps=2\.0"),
    ({"rate": "fast"}, r"Option `rate` must be a float\. Received: rate='fast'"),
    ({"rate": "nan"}, r"Option `rate` must be a float\. Received: rate='nan'"),
    ({"flag": "maybe"}, r"Option `flag` must be a bool\. Received: flag='maybe'"),
    ({"kind": "c"}, r"Option `kind` must be one of a, b\. Received: kind='c'"),
    ({"steps": None}, r"Option `steps` must be an int\. Received: steps=None"),
])
def test_bad_options_are_named_with_the_value(raw, message):
    with pytest.raises(ValueError, match=message):
        resolve_options(ToyOptions(), raw, model="toy")


def test_shortcut_flags_set_their_fields_and_explicit_options_win():
    options = resolve_options(ToyOptions(), {"d_learning_rate": "4e-4"}, {"learning_rate": 1e-3, "latent_dim": None})
    assert (options.d_learning_rate, options.g_learning_rate) == (4e-4, 1e-3)
    assert resolve_options(ToyOptions(), {}, {"learning_rate": None}) == ToyOptions()  # not given: the recipe's
    with pytest.raises(ValueError, match=r"Model 'toy' takes no --loss\. Received: loss='hinge'"):
        resolve_options(ToyOptions(), {}, {"loss": "hinge"}, model="toy")


def test_resolved_options_survive_config_json(tmp_path):
    family = get_family("sagan")
    config = TrainConfig(model="sagan", learning_rate=3e-4, latent_dim=12, options={"d_steps": "2", "prior": "uniform"})
    options = family.resolve_options(config)
    assert (options.d_steps, options.prior, options.latent_dim) == (2, "uniform", 12)
    assert (options.d_learning_rate, options.g_learning_rate, options.loss) == (3e-4, 3e-4, "hinge")
    stored = config.replace(options=dataclasses.asdict(options))
    stored.to_json(str(tmp_path / "config.json"))
    reread = TrainConfig.from_json(str(tmp_path / "config.json"))
    assert json.load(open(tmp_path / "config.json"))["options"]["d_steps"] == 2  # typed, not a string
    assert family.resolve_options(reread) == options


def test_an_option_of_another_network_kind_is_unknown_for_a_model():
    with pytest.raises(ValueError, match=r"Unknown option 'hidden_units' for model 'dcgan'"):
        get_family("dcgan").resolve_options(TrainConfig(model="dcgan", options={"hidden_units": "16"}))
    with pytest.raises(ValueError, match=r"Unknown option 'embedding_dim' for model 'sagan'"):
        get_family("sagan").resolve_options(TrainConfig(model="sagan", options={"embedding_dim": "8"}))
    with pytest.raises(ValueError, match=r"Unknown option 'num_blocks' for model 'pix2pix'"):
        get_family("pix2pix").resolve_options(TrainConfig(model="pix2pix", options={"num_blocks": "2"}))
    assert get_family("biggan").resolve_options(TrainConfig(model="biggan", options={"embedding_dim": "8"})).embedding_dim == 8


def test_each_recipe_starts_from_its_papers_settings():
    wgan = get_family("wgan_gp").defaults
    assert (wgan.loss, wgan.d_steps, wgan.beta_1, wgan.beta_2, wgan.d_learning_rate) == ("wgan_gp", 5, 0.0, 0.9, 1e-4)
    sagan = get_family("sagan").defaults
    assert (sagan.loss, sagan.d_learning_rate, sagan.g_learning_rate, sagan.attention_resolution) == ("hinge", 4e-4, 1e-4, -1)
    assert get_family("biggan").defaults.latent_dim == 120 and get_family("vae").defaults.latent_dim == 20
    assert get_family("cyclegan").defaults.loss == "least_squares" and get_family("spade").defaults.loss == "hinge"
    assert get_family("srgan").defaults.base_filters == 32 and get_family("pix2pix").defaults.l1_weight == 100.0


def test_describe_lists_every_option_with_its_default():
    text = describe_options(get_family("sagan").defaults)
    lines = text.splitlines()
    assert any(line.split()[:4] == ["d_learning_rate", "float", "0.0004", "discriminator"] for line in lines), text
    assert any(line.split()[:3] == ["loss", "str", "'hinge'"] for line in lines), text
    assert lines[-1] == "  --learning_rate sets d_learning_rate, g_learning_rate"
    assert len(lines) == len(dataclasses.fields(get_family("sagan").options_class)) + 1
