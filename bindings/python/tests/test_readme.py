"""The Python snippet of README.md runs as printed and says what the README implies: the
offer of c1 to alice. (The C program beside it has the ABI test `README program`.)"""
import contextlib
import io
import os
import re


def test_readme_snippet_runs():
    root = os.path.dirname(os.path.abspath(os.environ["CCENTER_DATA_DIR"]))
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "README.md has no python block"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert "1000 CONTACT_OFFERED alice c1" in lines, lines
