"""Run a script the way a notebook cell runs: the last expression is displayed.

Usage: ``python run_as_notebook.py script.py``. Every statement runs in order;
if the last one is an expression, its ``repr`` is printed, as Jupyter shows a
cell's value.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def main(path: str) -> None:
    source = Path(path).read_text(encoding="utf-8")
    tree = ast.parse(source, filename=path)
    last = (
        tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    )
    namespace: dict[str, object] = {"__name__": "__main__"}
    exec(compile(tree, path, "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), path, "eval"), namespace)
        if value is not None:
            print(repr(value))  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1])
