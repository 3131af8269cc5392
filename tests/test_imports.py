"""`import attnlib` stays light: scripts that train models do not pay for the notebook UI."""

import subprocess
import sys


def test_import_attnlib_loads_no_widget_or_pyplot_modules():
    code = (
        "import sys, attnlib\n"
        "heavy = [m for m in ('ipywidgets', 'ipyevents', 'matplotlib.pyplot') if m in sys.modules]\n"
        "print(heavy)\n"
        "attnlib.AttentionExplorer  # first use loads the widget module\n"
        "print('ipywidgets' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]", out
    assert out[1] == "True"


def test_explorer_uses_only_public_names_of_other_modules():
    import re
    from pathlib import Path

    source = (Path(__file__).parents[1] / "attnlib" / "explorer.py").read_text()
    assert not re.findall(r"import _|from \.[a-z_]* import _", source)
