#include "autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "args.h"
#include "convert.h"
#include "errors.h"

// libtorch 2.4 replaced the per-device autocast setters with ones that take the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TORCHLET_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace torchlet {

namespace {

at::ScalarType autocastDtype(at::DeviceType device) {
#ifdef TORCHLET_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(device);
#else
  return device == at::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

c10::DispatchKey autocastKey(at::DeviceType device) {
  return device == at::kCUDA ? c10::DispatchKey::AutocastCUDA : c10::DispatchKey::AutocastCPU;
}

}  // namespace

AutocastInputs::AutocastInputs(const at::Tensor& x)
    : device_(x.device().type()), dtype_(autocastDtype(device_)), off_(autocastKey(device_)) {}

at::Tensor AutocastInputs::operator()(const at::Tensor& t) const { return at::autocast::cached_cast(dtype_, t, device_); }

c10::optional<at::ScalarType> AutocastInputs::weightDtype(const at::Tensor& w, c10::optional<at::ScalarType> given) const {
  bool eligible = w.is_floating_point() && w.scalar_type() != at::kDouble && w.device().type() == device_;
  return eligible ? c10::optional<at::ScalarType>(dtype_) : given;
}

at::Tensor castTo(const at::Tensor& t, c10::optional<at::ScalarType> dtype) {
  return dtype && t.scalar_type() != *dtype ? t.to(*dtype) : t;
}

c10::optional<at::Tensor> castTo(const c10::optional<at::Tensor>& t, c10::optional<at::ScalarType> dtype) {
  return t ? c10::optional<at::Tensor>(castTo(*t, dtype)) : c10::nullopt;
}

void registerAutocast(Napi::Env env, Napi::Object exports) {
  // setAutocast(device 'cpu' | 'cuda', enabled, dtype = 'bfloat16'): operations that autocast
  // lists then run in dtype, with float32 weights; switching it off clears the cast cache.
  bind(exports, "setAutocast", [](Args& a) {
    std::string device = a.string(0, "device");
    if (device != "cpu" && device != "cuda") throw ArgRangeError("autocast device must be 'cpu' or 'cuda', got '" + device + "'");
    bool enabled = a.boolean(1, "enabled", true);
    at::ScalarType dtype = a.optionalDtype(2, "dtype").value_or(at::kBFloat16);
    if (dtype != at::kBFloat16 && dtype != at::kHalf)
      throw ArgRangeError(std::string("autocast dtype must be bfloat16 or float16, got ") + dtypeName(dtype));
    at::DeviceType type = device == "cuda" ? at::kCUDA : at::kCPU;
#ifdef TORCHLET_AUTOCAST_BY_DEVICE_TYPE
    at::autocast::set_autocast_enabled(type, enabled);
    if (enabled) at::autocast::set_autocast_dtype(type, dtype);
#else
    if (type == at::kCUDA) {
      at::autocast::set_enabled(enabled);
      if (enabled) at::autocast::set_autocast_gpu_dtype(dtype);
    } else {
      at::autocast::set_cpu_enabled(enabled);
      if (enabled) at::autocast::set_autocast_cpu_dtype(dtype);
    }
#endif
    if (!enabled) at::autocast::clear_cache();
    return a.undefined();
  });
  // The cast cache reuses a weight's low-precision copy within one autocast region; a CUDA graph
  // capture must run without it.
  bind(exports, "setAutocastCache", [](Args& a) {
    at::autocast::set_autocast_cache_enabled(a.boolean(0, "enabled", true));
    return a.undefined();
  });
}

}  // namespace torchlet
