// The window arithmetic of convolution and pooling, in one place: [h, w] arguments, the spatial
// sizes of an input, and Keras's 'same' padding (also behind the layers' output shapes in JS).
#pragma once

#include <ATen/ATen.h>
#include <napi.h>

#include <array>
#include <string>

namespace torchlet {

class Args;

using Pair = std::array<int64_t, 2>;

// Argument i: an integer or [h, w], each >= `min`.
Pair pair(const Args& a, size_t i, const char* name, int64_t min);
std::string pairText(const Pair& p);

// The two trailing spatial sizes of a [N, C, H, W] or [C, H, W] input.
Pair spatial(const at::Tensor& input, const char* op);

// 'same' padding along one dim, as Keras: the output has ceil(size / stride) positions, and the
// padding that makes the last window end at the input's end is split with the odd pixel after.
struct SamePadding {
  int64_t before, after;
};
SamePadding samePadding(int64_t size, int64_t window, int64_t stride, int64_t dilation);

// Output length along one dim with `pad` on each side (as ATen's pooling_output_shape): the
// windows that fit, rounded up with `ceil`; 0 when none does.
int64_t pooledLength(int64_t size, int64_t window, int64_t stride, int64_t pad, int64_t dilation, bool ceil);

// Output length along one dim: 'same' → ceil(size / stride); 'valid' → pooledLength without
// padding (0 when the window does not fit).
int64_t outputLength(int64_t size, int64_t window, int64_t stride, bool same, int64_t dilation);

// Keras's transposed convolution along one dim (its deconv_output_length and the padding TensorFlow
// and JAX use): the full transposed output, (size - 1) * stride + extent positions, loses `before`
// positions at the start and `after` at the end; a negative crop appends that many zeros instead.
// outputPadding < 0 is Keras's None (inferred). `length` is what remains.
struct TransposedCrop {
  int64_t before, after, length;
};
TransposedCrop transposedCrop(int64_t size, int64_t window, int64_t stride, bool same, int64_t outputPadding, int64_t dilation);

// [left, right, top, bottom] 'same' padding of a [.., H, W] input, as constant_pad_nd takes it.
std::array<int64_t, 4> samePads(const Pair& size, const Pair& window, const Pair& stride, const Pair& dilation);

// Reads a padding argument given as 'valid' or 'same': true for 'same'.
bool isSamePadding(const Args& a, size_t i);

// convOutputLength(length, window, stride, padding, dilation): outputLength for JS;
// convTransposeOutputLength(length, window, stride, padding, outputPadding?, dilation): transposedCrop's length.
void registerWindow(Napi::Env env, Napi::Object exports);

}  // namespace torchlet
