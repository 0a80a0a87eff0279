#pragma once
// A locally connected layer (engine/ops/lc2d.h) in standard ONNX operators. No runtime has such an
// operator, so it is written as patch extraction followed by one matrix product per output
// position:
//   x (N,C,H,W) -Pad-> (N,C,H+2P,W+2P) -Flatten-> (N,C*Hp*Wp)
//     -Gather(axis 1, indices (Q,R))-> patches (N,Q,R)      Q = OH*OW positions, R = C*K*K
//     -Transpose(1,0,2)-> (Q,N,R) -MatMul(w' (Q,R,F))-> (Q,N,F)     one GEMM per position
//     -Transpose(1,2,0)-> (N,F,Q) -Reshape-> (N,F,OH,OW) -Add(b (F,OH,OW))-> y
// The Gather's indices are the engine's patch order (r = (c*K + i)*K + j) into the padded image,
// so patch extraction copies values exactly (the padding supplies the engine's zeros), and w' is
// the engine's w (Q,F,R) with its last two axes swapped.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/export/export_plan.h"
#include "engine/export/onnx/graph_builder.h"

namespace gd::onnx_export {

// (Q,R) flat indices into one sample's padded image (C, H+2P, W+2P).
std::vector<int64_t> patch_indices(const ExportStep& lc);

void emit_locally_connected(GraphBuilder& g, const ExportStep& lc, const std::string& in, const std::string& out);

}  // namespace gd::onnx_export
