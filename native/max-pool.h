// Max pooling as one operator (torchlet::max_pool2d). When no gradient is wanted (predict,
// evaluate) and every window lies inside the input, the maximum of the window's strided views,
// taken in place one tap after another: ATen's max_pool2d also writes an int64 index per output
// for the backward pass, twice the output's bytes, and took twice as long on a prediction's first
// pool. Under autograd, for float32 channels-last inputs whose windows tile them (stride = kernel),
// a forward pass that keeps one byte per output for the winning tap, and a backward pass that
// writes each input's gradient once (ATen fills zeros, then scatters). Elsewhere ATen's
// max_pool2d. All give ATen's values and gradients, NaN and ties included.
#pragma once

#include <ATen/ATen.h>

namespace torchlet {

at::Tensor maxPool2d(const at::Tensor& x, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef padding, bool ceilMode);

}  // namespace torchlet
