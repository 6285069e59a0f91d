// oneDNN's fused primitives as libtorch exposes them (mkldnn::*, in its 2.x CPU builds): looking
// them up, the dtypes they take, and weights packed for them.
//
// Weights are reordered once into oneDNN's blocked layout for calls without autograd (predict,
// evaluate), as Inductor's freezing does: reordering a weight on every call cost up to a tenth of
// a small convolution. An entry serves while its weight lives and is unchanged (same version), for
// the same call settings (the key): an optimizer's in-place update, or a weight loaded in place,
// makes the next call pack it again.
#pragma once

#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <functional>
#include <vector>

namespace torchlet {

// Whether autograd records a call on these (then no packed weight may serve it).
bool autogradRecords(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b);

// The operator `name` (overload ""), or none where this libtorch lacks it.
c10::optional<c10::OperatorHandle> findOperator(const char* name);

// Whether oneDNN's fused primitives take these: CPU tensors, float32 or bfloat16, of one dtype
// (the weights' once cast to `dtype`).
bool oneDnnTypes(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, c10::optional<at::ScalarType> dtype);

// The packed form of `weight` for `key`, made by `pack` when none is cached. Inference tensors
// (which have no version) are packed on every call.
at::Tensor packedWeight(const at::Tensor& weight, const std::vector<int64_t>& key, const std::function<at::Tensor()>& pack);

}  // namespace torchlet
