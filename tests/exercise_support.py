"""Helpers the checker tests share (tests/test_exercises_nbNN.py): run a checker and read what it printed."""


def run(capsys, checker, fn):
    """``checker(fn)`` → ``(ok, printed text)``; a checker always prints at least one line."""
    ok = checker(fn)
    out = capsys.readouterr().out
    assert out.count("\n") >= 1
    return ok, out


def stub(*args):
    """An exercise stub as a learner first sees it."""
    raise NotImplementedError


def hint_of(out):
    """The text after "Hint:" (one line), or ""."""
    return out.split("Hint: ", 1)[1].strip() if "Hint: " in out else ""


def assert_no_code(hint):
    """A hint nudges without giving the code away."""
    assert hint and not any(token in hint for token in ("torch.", "dim=", "keepdim=", "masked_fill", "@", "(s", ".log"))
