// CUDA graph recording and replay (contract: kernels/cuda_graph.h).
#include "kernels/cuda_graph.h"

#include "engine/core/error.h"
#include "kernels/cuda_check.cuh"

namespace gd::cuda {
namespace {

class GraphReplay final : public RecordedWork {
 public:
  GraphReplay(cudaStream_t stream, cudaGraph_t graph, cudaGraphExec_t exec)
      : stream_(stream), graph_(graph), exec_(exec) {}
  ~GraphReplay() override {
    cudaGraphExecDestroy(exec_);
    cudaGraphDestroy(graph_);
    cudaGetLastError();  // teardown errors are not reported from a destructor
  }
  GraphReplay(const GraphReplay&) = delete;
  GraphReplay& operator=(const GraphReplay&) = delete;

  void replay() override { GD_CUDA_CHECK(cudaGraphLaunch(exec_, stream_)); }

 private:
  cudaStream_t stream_;
  cudaGraph_t graph_;
  cudaGraphExec_t exec_;
};

}  // namespace

std::unique_ptr<RecordedWork> record_graph(cudaStream_t stream, const std::function<void()>& work) {
#ifdef GD_CUDA_SYNC_DEBUG
  (void)stream;
  (void)work;
  throw Error("cannot record a CUDA graph in a GD_CUDA_SYNC_DEBUG build (it synchronises after every launch)");
#else
  GD_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  cudaGraph_t graph = nullptr;
  try {
    work();
  } catch (...) {
    // End the capture whatever happened so the stream is usable again; the first error is the one
    // the caller sees.
    if (cudaStreamEndCapture(stream, &graph) == cudaSuccess && graph != nullptr) cudaGraphDestroy(graph);
    cudaGetLastError();
    throw;
  }
  GD_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  cudaGraphExec_t exec = nullptr;
  const cudaError_t instantiated = cudaGraphInstantiate(&exec, graph, 0);
  if (instantiated != cudaSuccess) {
    cudaGraphDestroy(graph);
    GD_CUDA_CHECK(instantiated);
  }
  auto replay = std::make_unique<GraphReplay>(stream, graph, exec);
  GD_CUDA_CHECK(cudaGraphUpload(exec, stream));  // pay the upload now, not in the first replay
  return replay;
#endif
}

}  // namespace gd::cuda
