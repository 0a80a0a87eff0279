"""`pip install .` works offline with Debian's build tools (docs/python.md), into a virtual
environment, reusing the configured build folder so the test does not compile the engine twice."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.abspath(os.environ.get("GD_BINARY_DIR", os.path.join(ROOT, "build")))


def test_pip_install_into_a_venv_offline(tmp_path):
    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(env_dir)], check=True)
    pip = env_dir / "bin" / "pip"
    environ = dict(os.environ, GD_PIP_BUILD_DIR=BIN, PIP_NO_INDEX="1")
    environ.pop("PYTHONPATH", None)  # the installed copy, not build/python, must be imported
    p = subprocess.run([str(pip), "install", "--no-build-isolation", "--no-index", "--no-deps", "-q", ROOT],
                       capture_output=True, text=True, env=environ, cwd=tmp_path)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    q = subprocess.run([str(env_dir / "bin" / "python"), "-c",
                        "import gpudigits, os; print(os.path.dirname(gpudigits.__file__)); "
                        "print(gpudigits.datasets.names())"],
                       capture_output=True, text=True, env=environ, cwd=tmp_path)
    assert q.returncode == 0, q.stderr
    assert str(env_dir) in q.stdout.splitlines()[0], "imported from the venv"
    assert "mnist" in q.stdout
