// Mixed precision: libtorch's autocast, switched on around a forward pass.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <napi.h>

namespace torchlet {
void registerAutocast(Napi::Env env, Napi::Object exports);
// Whether autocast is on for CPU operations on this thread.
bool cpuAutocastEnabled();

// torchlet's own operators under autocast, as autocast treats its low-precision ops (conv,
// linear): inputs cast to autocast's dtype (through its cast cache), then the operator with
// autocast off. The casts happen above the tracer, so a traced step records them, and its replay
// (on a thread where autocast is off) runs in the same precision.
struct AutocastInputs {
  explicit AutocastInputs(const at::Tensor& x);
  at::Tensor operator()(const at::Tensor& t) const;
  c10::optional<at::Tensor> operator()(const c10::optional<at::Tensor>& t) const;

 private:
  at::DeviceType device_;
  at::ScalarType dtype_;
  c10::impl::ExcludeDispatchKeyGuard off_;  // the operator runs with this device's autocast off
};
}  // namespace torchlet
