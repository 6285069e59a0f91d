#pragma once

#include <ATen/ATen.h>

namespace torchlet {

// max_pool2d(conv2d_relu(x, ...), poolKernel, poolStride) with no pool padding: one kernel where
// it is faster (conv-relu-pool.cc), the two operators elsewhere.
at::Tensor conv2dReluMaxPool(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                             at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups, at::IntArrayRef poolKernel,
                             at::IntArrayRef poolStride, c10::optional<at::ScalarType> dtype = c10::nullopt);

}  // namespace torchlet
