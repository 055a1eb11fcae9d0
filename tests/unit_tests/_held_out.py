"""Shared by the reader's held-out test modules: rows to pytest parameters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest


def held_out_params(
    rows: Iterable[tuple[str, str, str]], failures: Mapping[str, str]
) -> list[Any]:
    """``(document, question, expected)`` rows as pytest parameters.

    A question in ``failures`` is a strict xfail whose reason is what the
    reader answered: it fails the suite once it is answered right, so the
    record is kept true.
    """
    params: list[Any] = []
    for doc, question, expected in rows:
        reason = failures.get(question)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(
            pytest.param(doc, question, expected, id=question[:40], marks=marks)
        )
    return params
