// Dense followed by ReLU as one operator (torchlet::linear_relu). Without autograd (predict,
// evaluate) on the CPU, oneDNN's inner product with a ReLU post-op and a packed weight
// (mkldnn::_linear_pointwise, as Inductor lowers it), where libtorch has it: twice as fast as
// MKL's sgemm and a separate ReLU for a [128, 512] x [512, 512] layer. Elsewhere, and whenever
// autograd records, linear and relu.
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace torchlet {

// The shape of x's linear map by w: x's, with w.size(0) features.
std::vector<int64_t> linearOutputShape(const at::Tensor& x, const at::Tensor& w);

// `dtype`: the weights' compute dtype, cast to inside the operator (autocast's), or none.
at::Tensor linearRelu(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                      c10::optional<at::ScalarType> dtype = c10::nullopt);

}  // namespace torchlet
