// Mixed precision: libtorch's autocast, switched on around a forward pass.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <napi.h>

namespace torchlet {
void registerAutocast(Napi::Env env, Napi::Object exports);

// torchlet's own operators under autocast, as autocast treats its low-precision ops (conv,
// linear): the input cast to autocast's dtype (through its cast cache), then the operator with
// autocast off. The cast happens above the tracer, so a traced step records it, and its replay
// (on a thread where autocast is off) runs in the same precision. The weights' cast is left to
// the operator (weightDtype): a step's replay would otherwise make a new cast weight each time,
// and the operator could not keep a packed copy of it.
struct AutocastInputs {
  explicit AutocastInputs(const at::Tensor& x);
  at::Tensor operator()(const at::Tensor& t) const;
  // The dtype the operator casts weight w to: autocast's, where autocast would cast w.
  c10::optional<at::ScalarType> weightDtype(const at::Tensor& w, c10::optional<at::ScalarType> given) const;

 private:
  at::DeviceType device_;
  at::ScalarType dtype_;
  c10::impl::ExcludeDispatchKeyGuard off_;  // the operator runs with this device's autocast off
};

// t cast to `dtype`, or t without one.
at::Tensor castTo(const at::Tensor& t, c10::optional<at::ScalarType> dtype);
c10::optional<at::Tensor> castTo(const c10::optional<at::Tensor>& t, c10::optional<at::ScalarType> dtype);
}  // namespace torchlet
