#!/usr/bin/env node
// ONNX Runtime (npm onnxruntime-node, CPU) on an exported model (tests/support/onnx_tools.h).
//
//   node onnx_runtime_run.js ORT_DIR MODEL.onnx IMAGES.f32 N C H W BATCH OUT_PREFIX
//
// IMAGES.f32 holds N images (C,H,W) as little-endian float32. They are run BATCH at a time (the
// last batch may be smaller), each batch its own session.run with input `image`; the outputs
// `probabilities` and `logits` are written to OUT_PREFIX.probabilities.f32 and
// OUT_PREFIX.logits.f32 (N rows each, float32). Prints one JSON line: the runtime's version, the
// model's input and output names, the number of runs and every output's dims in the first run.
const fs = require('fs');

async function main() {
  const [ortDir, model, imagesPath, nArg, cArg, hArg, wArg, batchArg, outPrefix] = process.argv.slice(2);
  if (!outPrefix) throw new Error('usage: onnx_runtime_run.js ORT_DIR MODEL IMAGES.f32 N C H W BATCH OUT_PREFIX');
  const ort = require(ortDir);
  const [n, c, h, w, batch] = [nArg, cArg, hArg, wArg, batchArg].map(Number);
  const bytes = fs.readFileSync(imagesPath);
  const images = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const row = c * h * w;
  if (images.length !== n * row) throw new Error(`${imagesPath} holds ${images.length} floats, not ${n} x ${row}`);

  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const chunks = { probabilities: [], logits: [] };
  let runs = 0;
  let firstDims = null;
  for (let start = 0; start < n; start += batch) {
    const k = Math.min(batch, n - start);
    const input = new ort.Tensor('float32', images.slice(start * row, (start + k) * row), [k, c, h, w]);
    const out = await session.run({ image: input });
    if (!firstDims) firstDims = Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.dims]));
    for (const name of Object.keys(chunks)) chunks[name].push(Buffer.from(out[name].data.buffer, out[name].data.byteOffset, out[name].data.byteLength));
    ++runs;
  }
  for (const [name, parts] of Object.entries(chunks)) fs.writeFileSync(`${outPrefix}.${name}.f32`, Buffer.concat(parts));
  console.log(JSON.stringify({ version: ort.env.versions, inputNames: session.inputNames,
                               outputNames: session.outputNames, runs, firstDims }));
}

main().catch((e) => {
  console.error(`onnx_runtime_run.js: ${e.stack || e}`);
  process.exit(1);
});
