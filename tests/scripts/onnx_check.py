#!/usr/bin/python3
"""The ONNX checker on exported models (tests/support/onnx_tools.h).

    onnx_check.py MODEL.onnx...

Runs onnx.checker.check_model(model, full_check=True) (which includes strict shape inference) on
each model and prints one JSON list (one line): per model its path, "ok", the checker's "error" when it
failed, and what the tests look at: opset, IR version, inputs and outputs with their shapes (a
symbolic dimension as its name), the shapes shape inference gives the outputs, the operator types
used and the metadata_props. Exit status 0 when every model passed, 1 when one failed, 2 when the
onnx module is missing.
"""
import json
import sys

try:
    import onnx
except ImportError as e:  # python3-onnx not installed
    print(f"onnx_check.py: cannot import onnx ({e}): install python3-onnx (./setup.sh)", file=sys.stderr)
    sys.exit(2)


def dims(value_info):
    shape = value_info.type.tensor_type.shape
    return [d.dim_param if d.dim_param else d.dim_value for d in shape.dim]


def describe(path):
    out = {"path": path, "ok": False}
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    except Exception as e:  # the checker's own exception types differ between onnx versions
        out["error"] = f"{type(e).__name__}: {e}"
        return out
    out["ok"] = True
    out["onnx_version"] = onnx.__version__
    out["ir_version"] = model.ir_version
    out["opset"] = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    out["inputs"] = [{"name": i.name, "shape": dims(i)} for i in model.graph.input]
    out["outputs"] = [{"name": o.name, "shape": dims(o)} for o in model.graph.output]
    out["inferred_outputs"] = [{"name": o.name, "shape": dims(o)} for o in inferred.graph.output]
    out["ops"] = sorted({n.op_type for n in model.graph.node})
    out["nodes"] = len(model.graph.node)
    out["metadata"] = {p.key: p.value for p in model.metadata_props}
    out["producer"] = f"{model.producer_name} {model.producer_version}"
    return out


results = [describe(p) for p in sys.argv[1:]]
print(json.dumps(results))
sys.exit(0 if all(r["ok"] for r in results) else 1)
