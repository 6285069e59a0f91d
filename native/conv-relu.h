// Conv2D followed by ReLU as one operator (torchlet::conv2d_relu): on the CPU, one oneDNN
// primitive with a ReLU post-op (mkldnn::_convolution_pointwise), as Inductor lowers it, where
// libtorch has it; elsewhere the convolution and a ReLU. Its backward is ReLU's mask and the
// convolution's backward, as PyTorch computes them for conv2d then relu.
#pragma once

#include <ATen/ATen.h>

namespace torchlet {

// Whether libtorch has oneDNN's fused convolution, which float32 CPU calls then use.
bool hasFusedConvolution();

// `dtype`: the weights' compute dtype, cast to inside the operator (autocast's), or none.
at::Tensor conv2dRelu(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                      at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups,
                      c10::optional<at::ScalarType> dtype = c10::nullopt);

}  // namespace torchlet
