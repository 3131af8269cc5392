"""The harness behind every checker: right answers pass, wrong ones are explained without tracebacks,
and the package keeps one module per notebook."""

import json
import re
from pathlib import Path

import torch

import attnlib.exercises
from attnlib.exercises import check_weighted_sum
from attnlib.exercises._harness import _run

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run(check, fn, capsys):
    ok = check(fn)
    return ok, capsys.readouterr().out


def hint_of(out):
    """The text after "Hint:" (one line), or ""."""
    return out.split("Hint: ", 1)[1].strip() if "Hint: " in out else ""


def test_checker_reports_exceptions_and_not_implemented(capsys):
    def stub(w, v):
        raise NotImplementedError

    ok, out = run(check_weighted_sum, stub, capsys)
    assert not ok and out.startswith("⏳ weighted_sum: not implemented yet")
    ok, out = run(check_weighted_sum, lambda w, v: v @ w, capsys)
    assert not ok and "your function raised RuntimeError" in out and "Traceback" not in out
    ok, out = run(check_weighted_sum, torch.ones(2), capsys)
    assert not ok and "pass your function itself" in out


# --- _run's per-case hint (a 4th item): a string, or a function of (got, want) ---


def test_run_uses_the_failing_cases_own_hint(capsys):
    def cases():
        yield "case a", (1.0,), torch.tensor(1.0)  # three items: the checker's hint
        yield "case b", (2.0,), torch.tensor(2.0), "hint of b"
        yield "case c", (3.0,), torch.tensor(3.0), lambda got, want: f"got {got.item():g} for {want.item():g}"
        yield "case d", (4.0,), torch.tensor(4.0), lambda got, want: 1 / 0  # a broken hint falls back

    def wrong_from(x0):
        return lambda x: torch.tensor(x if x < x0 else -x)

    expected = {1.0: "general", 2.0: "hint of b", 3.0: "got -3 for 3", 4.0: "general"}
    for x0, hint in expected.items():
        assert _run("demo", wrong_from(x0), cases(), hint="general") is False
        assert hint_of(capsys.readouterr().out) == hint
    assert _run("demo", wrong_from(9.0), cases(), hint="general") is True
    assert "correct on all 4 test cases" in capsys.readouterr().out


def test_run_asks_a_hint_function_about_an_exception(capsys):
    """When the learner's function raises, a hint function gets the exception as ``got``; a string hint,
    written for a wrong result, is left out (the checker's hint is printed)."""

    def cases(case_hint):
        yield "case a", (1.0,), torch.tensor(1.0), case_hint

    def crashes(x):
        raise ValueError("boom")

    def names_the_error(got, want):
        return f"{type(got).__name__} {got}, want {want.item():g}" if isinstance(got, Exception) else ""

    assert _run("demo", crashes, cases(names_the_error), hint="general") is False
    out = capsys.readouterr().out
    assert out.startswith("❌ demo: case a: your function raised ValueError: boom")
    assert hint_of(out) == "ValueError boom, want 1"
    for case_hint in ("about a wrong value", lambda got, want: "", lambda got, want: got.shape):
        assert _run("demo", crashes, cases(case_hint), hint="general") is False
        assert hint_of(capsys.readouterr().out) == "general"


# --- the package: one module per notebook, every checker re-exported ---


def test_each_notebook_calls_checkers_from_its_own_module():
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert notebooks
    called = set()
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        names = set(re.findall(r"\bcheck_[a-z_]+(?=\()", "".join("".join(c["source"]) for c in cells)))
        for name in names:
            assert getattr(attnlib.exercises, name).__module__ == f"attnlib.exercises.nb{path.name[:2]}", name
        called |= names
    checkers = {name for name in attnlib.exercises.__all__ if name.startswith("check_")}
    assert checkers == called  # every checker is re-exported, and none is left that no notebook calls
