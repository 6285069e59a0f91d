#include "device.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#ifdef TORCHLET_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

#include "args.h"
#include "conv-relu.h"
#include "convert.h"
#include "errors.h"
#include "optim.h"

namespace torchlet {
namespace {

int64_t cudaDeviceCount() { return static_cast<int64_t>(torch::cuda::device_count()); }

at::Device cudaDeviceArg(const Args& a, size_t i) {
  at::Device device = a.optionalDevice(i, "device").value_or(at::Device(at::kCUDA, 0));
  if (!device.is_cuda()) throw ArgRangeError("expected a CUDA device, got '" + deviceName(device) + "'");
  return device;
}

}  // namespace

void registerDevice(Napi::Env env, Napi::Object exports) {
  bind(exports, "cudaIsAvailable", [](Args& a) { return Napi::Boolean::New(a.env(), cudaDeviceCount() > 0); });
  bind(exports, "cudaDeviceCount", [](Args& a) { return Napi::Number::New(a.env(), static_cast<double>(cudaDeviceCount())); });
  // checkDevice(name): the canonical name of a device that exists ('cuda' → 'cuda:0'); throws otherwise.
  bind(exports, "checkDevice", [](Args& a) {
    at::Device device = parseDevice(a.string(0, "device"));
    if (device.is_cuda() && !device.has_index()) device.set_index(0);
    return Napi::String::New(a.env(), deviceName(device));
  });
  bind(exports, "manualSeed", [](Args& a) {
    int64_t seed = a.integer(0, "seed");
    if (seed < 0) throw ArgRangeError("'seed' must be >= 0, got " + std::to_string(seed));
    at::manual_seed(static_cast<uint64_t>(seed));
    return a.undefined();
  });
  bind(exports, "synchronize", [](Args& a) {
    [[maybe_unused]] c10::optional<at::Device> device = a.optionalDevice(0, "device");
#ifdef TORCHLET_CUDA
    if (device && device->is_cuda()) c10::cuda::device_synchronize();
#endif
    return a.undefined();
  });
  bind(exports, "cudaMemory", [](Args& a) -> Napi::Value {
    [[maybe_unused]] at::Device device = cudaDeviceArg(a, 0);
    Napi::Object out = Napi::Object::New(a.env());
#ifdef TORCHLET_CUDA
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
    // StatType::AGGREGATE is entry 0; the enum has moved between namespaces across libtorch 2.x.
    const size_t aggregate = 0;
    out.Set("allocated", Napi::Number::New(a.env(), static_cast<double>(stats.allocated_bytes[aggregate].current)));
    out.Set("peakAllocated", Napi::Number::New(a.env(), static_cast<double>(stats.allocated_bytes[aggregate].peak)));
    out.Set("reserved", Napi::Number::New(a.env(), static_cast<double>(stats.reserved_bytes[aggregate].current)));
#endif
    return out;
  });
  bind(exports, "cudaResetPeakMemory", [](Args& a) {
    [[maybe_unused]] at::Device device = cudaDeviceArg(a, 0);
#ifdef TORCHLET_CUDA
    c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#endif
    return a.undefined();
  });
  // cuDNN's benchmark mode: try the convolution algorithms once per shape and keep the fastest.
  bind(exports, "setCudnnBenchmark", [](Args& a) {
    at::globalContext().setBenchmarkCuDNN(a.boolean(0, "enabled", true));
    return a.undefined();
  });
  // Returns the CUDA caching allocator's unused blocks to the driver (after an out-of-memory error, say).
  bind(exports, "cudaEmptyCache", [](Args& a) {
#ifdef TORCHLET_CUDA
    c10::cuda::CUDACachingAllocator::emptyCache();
#endif
    return a.undefined();
  });
  bind(exports, "buildInfo", [](Args& a) {
    Napi::Object out = Napi::Object::New(a.env());
    out.Set("torchVersion", Napi::String::New(a.env(), TORCH_VERSION));
#ifdef TORCHLET_CUDA
    out.Set("cudaBuild", Napi::Boolean::New(a.env(), true));
#else
    out.Set("cudaBuild", Napi::Boolean::New(a.env(), false));
#endif
    out.Set("libtorchSource", Napi::String::New(a.env(), TORCHLET_LIBTORCH_SOURCE));
    out.Set("mkldnn", Napi::Boolean::New(a.env(), at::hasMKLDNN()));
    out.Set("mkl", Napi::Boolean::New(a.env(), at::hasMKL()));
    out.Set("fusedConvolution", Napi::Boolean::New(a.env(), hasFusedConvolution()));
    out.Set("fusedAdam", Napi::Boolean::New(a.env(), kFusedAdamOnCpu));
    out.Set("parallelInfo", Napi::String::New(a.env(), at::get_parallel_info()));
    return out;
  });
}

}  // namespace torchlet
