"""gpudigits.report writes the gpu_eval HTML report for a model held in Python."""
import gpudigits


def test_report_is_written_and_names_the_accuracy(small, tmp_path):
    (x, y), (xt, yt) = small
    model = gpudigits.Model("mlp")
    model.fit(x, y, epochs=1, device="cpu", verbose=0)
    _, accuracy = model.evaluate(xt, yt)
    path = gpudigits.report(model, xt, yt, tmp_path / "report.html", title="Python report")
    html = open(path).read()
    assert html.startswith("<!DOCTYPE html>") or html.lower().startswith("<!doctype html>")
    assert "Python report" in html
    assert f"{100 * accuracy:.2f}" in html
    assert "chart" in html.lower()
