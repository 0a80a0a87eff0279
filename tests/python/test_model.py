"""Model.fit / evaluate / predict / save / load_model against the command-line programs: the same
settings and seed give the same model as gpu_train (identical on the CPU), and checkpoints go both
ways between Python and gpu_train / gpu_eval."""
import numpy as np
import pytest

import gpudigits
from conftest import read_json, run_binary


@pytest.mark.parametrize("arch", ["mlp", "cnn", "lcnn"])
def test_fit_matches_gpu_train_with_the_same_settings(arch, mnist10k, tmp_path):
    (x, y), (xt, yt) = mnist10k
    run_binary("gpu_train", "--arch", arch, "--dataset", "mnist-10k", "--epochs", 1, "--device", "cpu",
               "--seed", 3, "--quiet", "--out", tmp_path / "cli")
    cli = read_json(tmp_path / "cli" / "metrics.json")
    cli_history = read_json(tmp_path / "cli" / "history.json")

    model = gpudigits.Model(arch)
    history = model.fit(x, y, epochs=1, device="cpu", seed=3, verbose=0)
    loss, accuracy = model.evaluate(xt, yt)
    assert accuracy == cli["test_accuracy"], "same settings and seed must give the same model on the CPU"
    assert loss == pytest.approx(cli["test_loss"], rel=1e-4)
    assert history.history["loss"][0] == pytest.approx(cli_history[0]["train_loss"], rel=1e-12)
    assert history.history["val_accuracy"][0] == cli_history[0]["val_accuracy"]
    assert accuracy > {"mlp": 0.85, "cnn": 0.85, "lcnn": 0.85}[arch], "one epoch on 9,000 digits learns"
    proba = model.predict(xt)
    assert proba.shape == (len(xt), 10) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert np.mean(proba.argmax(axis=1) == yt) == accuracy


def test_history_is_a_dict_of_per_epoch_lists(small):
    (x, y), _ = small
    h = gpudigits.Model("mlp").fit(x, y, epochs=2, device="cpu", verbose=0)
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 2 for v in h.history.values())
    assert h.epoch == [0, 1]
    assert h.history["loss"][1] < h.history["loss"][0]


def test_validation_data_replaces_the_split(small):
    (x, y), (xt, yt) = small
    model = gpudigits.Model("mlp")
    h = model.fit(x, y, epochs=1, validation_data=(xt, yt), device="cpu", verbose=0)
    loss, accuracy = model.evaluate(xt, yt)
    assert h.history["val_accuracy"][0] == pytest.approx(accuracy, abs=1e-12)


def test_python_checkpoints_load_in_gpu_eval_and_back(mnist10k, tmp_path):
    (x, y), (xt, yt) = mnist10k
    model = gpudigits.Model("mlp")
    model.fit(x, y, epochs=1, device="cpu", verbose=0)
    path = tmp_path / "py.ckpt"
    model.save(path)
    _, accuracy = model.evaluate(xt, yt)
    run_binary("gpu_eval", "--checkpoint", path, "--dataset", "mnist-10k", "--device", "cpu", "--json",
               tmp_path / "eval.json")
    assert read_json(tmp_path / "eval.json")["accuracy"] == accuracy

    run_binary("gpu_train", "--arch", "mlp", "--dataset", "mnist-10k", "--epochs", 1, "--device", "cpu", "--quiet",
               "--out", tmp_path / "cli")
    loaded = gpudigits.load_model(tmp_path / "cli" / "model.ckpt", device="cpu")
    _, loaded_accuracy = loaded.evaluate(xt, yt)
    assert loaded_accuracy == read_json(tmp_path / "cli" / "metrics.json")["test_accuracy"]
    again = gpudigits.load_model(path, device="cpu")
    np.testing.assert_array_equal(again.predict(xt), model.predict(xt))


def test_summary_names_the_layers_and_parameters(small):
    (x, y), _ = small
    model = gpudigits.Model("cnn")
    model.fit(x[:256], y[:256], epochs=1, device="cpu", verbose=0)
    text = model.summary(print_fn=None)
    assert "conv" in text.lower() and str(model.count_params()) in text.replace(",", "")


def test_callbacks_can_stop_training_and_early_stopping_reaches_the_engine(small):
    (x, y), _ = small

    class StopAfterTwo(gpudigits.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    model = gpudigits.Model("mlp")
    h = model.fit(x, y, epochs=5, callbacks=[StopAfterTwo()], device="cpu", verbose=0)
    assert len(h.epoch) == 2
    h = model.fit(x, y, epochs=2, callbacks=[gpudigits.EarlyStopping(patience=4, monitor="val_accuracy")],
                  device="cpu", verbose=0)
    assert h.params["config"]["early_stopping"] == 4 and h.params["config"]["monitor"] == "val_accuracy"


def test_progress_bar_prints_epochs(small, capsys):
    (x, y), _ = small
    gpudigits.Model("mlp").fit(x, y, epochs=1, device="cpu", verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/1" in out and "val_accuracy" in out
