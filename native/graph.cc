#include "graph.h"

#include <memory>

#ifdef TORCHLET_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include "args.h"
#include "convert.h"
#include "errors.h"
#include "instance.h"

namespace torchlet {
namespace {

#ifdef TORCHLET_CUDA
// A graph and the side stream it is captured on: capture cannot run on the default stream, and
// warm-up steps run on the same side stream, as torch.cuda.graph does.
class GraphHandle : public Napi::ObjectWrap<GraphHandle> {
 public:
  explicit GraphHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GraphHandle>(info) {
    requireFactory(info, "GraphHandle", "cudaGraph()");
  }

  void init(at::Device device) {
    device_ = device;
    stream_ = std::make_unique<c10::cuda::CUDAStream>(c10::cuda::getStreamFromPool(false, device.index()));
  }

  // Work issued until leaveSideStream() goes to the side stream. The device is synchronised at
  // both edges, so nothing on the default stream overlaps it.
  void enterSideStream() {
    if (guard_) throw OpError("already on the graph's side stream");
    c10::cuda::device_synchronize();
    guard_ = std::make_unique<c10::cuda::CUDAStreamGuard>(*stream_);
  }

  void leaveSideStream() {
    if (!guard_) return;
    c10::cuda::device_synchronize();
    guard_.reset();
  }

  void beginCapture() {
    if (captured_) throw OpError("the graph is already captured; reset() it to capture again");
    enterSideStream();
    graph_ = std::make_unique<at::cuda::CUDAGraph>();
    try {
      graph_->capture_begin();
    } catch (...) {
      guard_.reset();
      throw;
    }
    capturing_ = true;
  }

  // Ends the capture; with `keep` false (the step threw) the half-captured graph is dropped.
  void endCapture(bool keep) {
    if (!capturing_) throw OpError("no capture is in progress");
    capturing_ = false;
    try {
      graph_->capture_end();
    } catch (...) {
      graph_.reset();
      guard_.reset();
      if (keep) throw;
      return;
    }
    leaveSideStream();
    if (!keep) graph_.reset();
    captured_ = keep;
  }

  void replay() {
    if (!captured_) throw OpError("the graph has not been captured");
    c10::cuda::CUDAGuard device(device_);
    graph_->replay();
  }

  void reset() {
    graph_.reset();
    captured_ = false;
  }

 private:
  at::Device device_{at::kCUDA, 0};
  std::unique_ptr<c10::cuda::CUDAStream> stream_;
  std::unique_ptr<c10::cuda::CUDAStreamGuard> guard_;
  std::unique_ptr<at::cuda::CUDAGraph> graph_;
  bool capturing_ = false;
  bool captured_ = false;
};

GraphHandle* self(const Args& a) {
  auto* graph = unwrapInstance<GraphHandle>(a[0], instanceData(a.env()).graphClass);
  if (graph == nullptr) throw ArgTypeError("argument 'self' must be a CUDA graph");
  return graph;
}
#endif

}  // namespace

void registerGraph(Napi::Env env, Napi::Object exports) {
#ifdef TORCHLET_CUDA
  instanceData(env).graphClass = Napi::Persistent(GraphHandle::DefineClass(env, "GraphHandle", {}));
  bind(exports, "cudaGraph", [](Args& a) {
    at::Device device = parseDevice(a.string(0, "device"));
    if (!device.is_cuda()) throw ArgRangeError("CUDA graphs need a CUDA device, got '" + deviceName(device) + "'");
    if (!device.has_index()) device.set_index(0);
    Napi::Object object = instanceData(a.env()).graphClass.New({factoryToken(a.env())});
    GraphHandle::Unwrap(object)->init(device);
    return object;
  });
  bind(exports, "cudaGraphEnterSideStream", [](Args& a) {
    self(a)->enterSideStream();
    return a.undefined();
  });
  bind(exports, "cudaGraphLeaveSideStream", [](Args& a) {
    self(a)->leaveSideStream();
    return a.undefined();
  });
  bind(exports, "cudaGraphBeginCapture", [](Args& a) {
    self(a)->beginCapture();
    return a.undefined();
  });
  bind(exports, "cudaGraphEndCapture", [](Args& a) {
    self(a)->endCapture(a.boolean(1, "keep", true));
    return a.undefined();
  });
  bind(exports, "cudaGraphReplay", [](Args& a) {
    self(a)->replay();
    return a.undefined();
  });
  bind(exports, "cudaGraphReset", [](Args& a) {
    self(a)->reset();
    return a.undefined();
  });
#else
  for (const char* name : {"cudaGraph", "cudaGraphEnterSideStream", "cudaGraphLeaveSideStream", "cudaGraphBeginCapture",
                           "cudaGraphEndCapture", "cudaGraphReplay", "cudaGraphReset"}) {
    bind(exports, name, [](Args& a) -> Napi::Value {
      throw OpError("CUDA graphs need torchlet built against a CUDA libtorch (LIBTORCH=... or pip install torch, then npm run build)");
    });
  }
#endif
}

}  // namespace torchlet
