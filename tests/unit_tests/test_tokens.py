"""Tests for the shared tokenizer, the echo model and the model registry."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from langchain_sagemaker.local.models import MODEL_NAMES, EchoModel, get_model
from langchain_sagemaker.local.models.base import Model
from langchain_sagemaker.local.models.reader import ReaderModel
from langchain_sagemaker.local.models.tokens import is_cjk, tokenize

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
THUMBS_UP_MEDIUM = "\U0001f44d\U0001f3fd"
FLAG_FR = "\U0001f1eb\U0001f1f7"


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", []),
        (" 3 days.", [" 3", " days", "."]),
        ("Peter stayed for 3 days.", ["Peter", " stayed", " for", " 3", " days", "."]),
        ("3天。", ["3", "天", "。"]),
        ("回答：3日間", ["回", "答", "：", "3", "日", "間"]),
        ("don't 3,000 3.5", ["don't", " 3,000", " 3.5"]),
        ("a\n\nb", ["a", "\n", "\n", "b"]),
        ("a\r\nb", ["a", "\r\n", "b"]),
        ("x  \n y", ["x", "  \n", " y"]),
        ("end  ", ["end", "  "]),
        ("caf\u00e9 cafe\u0301", ["caf\u00e9", " cafe\u0301"]),
        (f"hi {FAMILY}!", ["hi", f" {FAMILY}", "!"]),
        (f"{THUMBS_UP_MEDIUM} {FLAG_FR}", [THUMBS_UP_MEDIUM, f" {FLAG_FR}"]),
        ("\u0301a", ["\u0301", "a"]),
        ("Hello, 世界", ["Hello", ",", " 世", "界"]),
    ],
)
def test_tokenize_examples(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


@settings(max_examples=500)
@given(st.text())
@example("\ud800a\udfff")
@example("\u200d\u200d")
@example("\U0001f1eb")
@example("a\u200d")
@example("1,")
@example("a'")
def test_tokenize_round_trips_any_string(text: str) -> None:
    tokens = tokenize(text)
    assert "".join(tokens) == text
    assert all(tokens)


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from(" \t\n\r\u3000\u00a0\u2028")))
def test_tokenize_round_trips_whitespace(text: str) -> None:
    assert "".join(tokenize(text)) == text


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(categories=["Lo", "Mn", "So", "Sk", "Cf"])))
def test_tokenize_round_trips_scripts_marks_and_symbols(text: str) -> None:
    assert "".join(tokenize(text)) == text


def test_cjk_characters_are_single_tokens() -> None:
    assert tokenize("東京タワー") == ["東", "京", "タ", "ワ", "ー"]
    assert all(is_cjk(char) for char in "漢字かなカナ")
    assert not any(is_cjk(char) for char in "aé한1 ")


@settings(max_examples=300)
@given(st.text())
def test_echo_model_returns_the_prompt(prompt: str) -> None:
    assert "".join(EchoModel().generate(prompt)) == prompt


def test_echo_model_streams_tokens() -> None:
    assert list(EchoModel().generate("Hello world")) == ["Hello", " world"]


def test_registry_returns_models() -> None:
    assert MODEL_NAMES == ("echo", "embedder", "reader")
    echo = get_model("echo")
    reader = get_model("reader")
    assert isinstance(echo, EchoModel)
    assert isinstance(reader, ReaderModel)
    assert isinstance(echo, Model)
    assert isinstance(reader, Model)
    assert echo.name == "echo"
    assert reader.name == "reader"


def test_registry_returns_a_new_instance_each_time() -> None:
    assert get_model("echo") is not get_model("echo")


@pytest.mark.parametrize("name", ["", "Reader", "gpt", "echo "])
def test_registry_rejects_unknown_names(name: str) -> None:
    with pytest.raises(ValueError, match="'echo', 'embedder', 'reader'"):
        get_model(name)
