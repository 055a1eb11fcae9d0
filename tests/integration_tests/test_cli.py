"""The real ``langchain-sagemaker`` console script against ``serve``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.integration_tests.conftest import CLI


def _run(
    *args: str, serve_url: str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    if serve_url:
        env["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = serve_url
    return subprocess.run(
        [str(CLI), *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=60,
        check=False,
    )


QA = (
    "Context: Marta moved to Lisbon in 2014 and opened a bakery there.\n"
    "Question: When did Marta move to Lisbon?\nAnswer:"
)


def test_help_lists_the_commands() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for command in ("serve", "invoke", "ask"):
        assert command in result.stdout


def test_invoke_prints_the_answer(serve_url: str) -> None:
    result = _run("invoke", "any-endpoint", QA, serve_url=serve_url)
    assert result.returncode == 0, result.stderr
    assert "2014" in result.stdout


def test_invoke_streams_and_reads_stdin(serve_url: str) -> None:
    result = _run(
        "invoke", "any-endpoint", "-", "--stream", serve_url=serve_url, stdin=QA
    )
    assert result.returncode == 0, result.stderr
    assert "2014" in result.stdout


def test_invoke_params_reach_the_model(serve_url: str) -> None:
    result = _run(
        "invoke",
        "x",
        "Question: ignored?",
        "--param",
        "max_new_tokens=1",
        serve_url=serve_url,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) <= 1


def test_bad_handler_exits_with_config_code(serve_url: str) -> None:
    result = _run("invoke", "x", "hi", "--handler", "nope", serve_url=serve_url)
    assert result.returncode == 3
    assert "Unknown content handler" in result.stderr


def test_model_error_exits_with_model_code(serve_url: str) -> None:
    result = _run("invoke", "x", "hi", "--param", "top_p=-1", serve_url=serve_url)
    assert result.returncode == 5
    assert "ModelError" in result.stderr


def test_unreachable_endpoint_exits_nonzero() -> None:
    result = _run("invoke", "x", "hi", "--endpoint-url", "http://127.0.0.1:9")
    assert result.returncode == 4
    assert "error:" in result.stderr


def test_ask_over_files(serve_url: str, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "# Notes\n\nThe ferry to Vis leaves at 7 am.\n", "utf-8"
    )
    (tmp_path / "b.txt").write_text("Tickets for the ferry cost 45 euros.\n", "utf-8")
    result = _run(
        "ask",
        "docs",
        str(tmp_path / "a.md"),
        str(tmp_path / "b.txt"),
        "--question",
        "How much do tickets for the ferry cost?",
        serve_url=serve_url,
    )
    assert result.returncode == 0, result.stderr
    assert "45 euros" in result.stdout


def test_ask_long_document_map_reduce_with_progress(
    serve_url: str, tmp_path: Path
) -> None:
    filler = [
        "The harbour cranes were painted blue in spring.",
        "Local bakers sell rye bread every morning.",
        "Tourists often photograph the old lighthouse.",
    ]
    paragraphs = [" ".join(filler * 6) for _ in range(12)]
    paragraphs.insert(
        8,
        "The bridge over the Kova river was closed for repairs. Engineers worked "
        "on the bridge for 11 weeks before it reopened.",
    )
    path = tmp_path / "long.txt"
    path.write_text("\n\n".join(paragraphs), "utf-8")
    result = _run(
        "ask",
        "docs",
        str(path),
        "--max-input-tokens",
        "300",
        "--show-steps",
        "--question",
        "How long did engineers work on the bridge?",
        serve_url=serve_url,
    )
    assert result.returncode == 0, result.stderr
    assert "model calls" in result.stderr  # the progress bar
    lines = result.stdout.strip().splitlines()
    assert len(lines) > 4  # several pieces were read
    assert "11 weeks" in lines[-1]


def test_ask_missing_file_is_a_clear_error() -> None:
    result = _run("ask", "docs", "/nonexistent.txt", "-q", "Why?")
    assert result.returncode == 3
    assert "No such file" in result.stderr


@pytest.mark.parametrize("bad", [["ask", "docs"], ["invoke"]])
def test_usage_errors_exit_2(bad: list[str]) -> None:
    assert _run(*bad).returncode == 2
