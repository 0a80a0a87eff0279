"""The documented example (docs/examples/python_workflow.py) runs end to end."""
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_python_workflow_example_runs(tmp_path):
    p = subprocess.run([sys.executable, os.path.join(ROOT, "docs", "examples", "python_workflow.py"), "--quick",
                        "--out", str(tmp_path)], capture_output=True, text=True, env=dict(os.environ))
    assert p.returncode == 0, p.stderr[-3000:]
    assert "test accuracy" in p.stdout
    assert (tmp_path / "report.html").stat().st_size > 10000
    assert (tmp_path / "best.ckpt").exists()
