"""The classic notebook's two examples, from both seed files, run unchanged.

Only the import lines are changed (to ``langchain_sagemaker``); the scripts run
in a subprocess against the real ``langchain-sagemaker serve`` console script,
reached through ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME``, and the cross-account
example gets its temporary credentials from STS (moto's server) over HTTP.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

SEEDS = Path(__file__).parent.parent / "fixtures" / "seeds"
RUNNER = Path(__file__).parent / "run_as_notebook.py"

IMPORTS = {
    "from langchain_community.docstore.document import Document": (
        "from langchain_core.documents import Document"
    ),
    "from langchain.chains.question_answering import load_qa_chain": (
        "from langchain_sagemaker import load_qa_chain"
    ),
    "from langchain_community.llms import SagemakerEndpoint": (
        "from langchain_sagemaker import SagemakerEndpoint"
    ),
    "from langchain_community.llms.sagemaker_endpoint import LLMContentHandler": (
        "from langchain_sagemaker import LLMContentHandler"
    ),
}


def _cells(seed: Path) -> list[str]:
    text = seed.read_text(encoding="utf-8")
    return [
        c
        for c in re.findall(r"```python\n(.*?)```", text, flags=re.S)
        if not c.lstrip().startswith("!")
    ]


def _change_imports(code: str) -> str:
    lines = []
    for line in code.splitlines():
        if line.startswith(("from ", "import ")):
            line = IMPORTS.get(line.strip(), line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def _examples(seed: Path) -> dict[str, str]:
    """The notebook's two examples, each with the cells it depends on."""
    cells = _cells(seed)
    setup = [c for c in cells if "load_qa_chain(" not in c]
    runs = [c for c in cells if "load_qa_chain(" in c]
    assert len(runs) == 2, f"expected the notebook's two examples in {seed.name}"
    names = ["cross-account", "profile"]
    assert "assume_role" in runs[0] and "credentials_profile_name" in runs[1]
    return {n: "".join(setup) + run for n, run in zip(names, runs, strict=True)}


@pytest.fixture(scope="module")
def sts_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


CASES = [
    (seed, example)
    for seed in ("sagemaker-endpoint.ja.md", "sagemaker-endpoint.zh.md")
    for example in ("cross-account", "profile")
]


@pytest.mark.parametrize(
    ("seed", "example"), CASES, ids=[f"{s[19:21]}-{e}" for s, e in CASES]
)
def test_seed_example_runs_with_only_imports_changed(
    seed: str, example: str, sts_url: str, serve_url: str, tmp_path: Path
) -> None:
    original = _examples(SEEDS / seed)[example]
    script = _change_imports(original)
    changed = [
        (a, b)
        for a, b in zip(original.splitlines(), script.splitlines(), strict=True)
        if a != b
    ]
    assert changed and all(a.startswith("from ") for a, _ in changed)
    path = tmp_path / f"{example}.py"
    path.write_text(script, encoding="utf-8")
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[credentials-profile-name]\naws_access_key_id = profilekey\n"
        "aws_secret_access_key = profilesecret\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=serve_url,
        AWS_ENDPOINT_URL_STS=sts_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    result = subprocess.run(
        [sys.executable, str(RUNNER), str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.strip()
    assert out.startswith("{'output_text': "), out
    # TGI's /invocations returns the prompt in front of the answer by default
    # (return_full_text), so look at what follows the prompt's answer cue.
    answer = re.split(r"Answer:|答案：", out)[-1]
    expected = "3天" if seed.endswith("zh.md") else "3 days"
    assert expected in answer, out
