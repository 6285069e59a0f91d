// A convolution with ReLU followed by max pooling, as one operator, for the first layers of image
// models. oneDNN's convolutions are at their weakest where the input has few channels (an RGB
// image): each output sums only 27 products, and the 30x30x32 output of a CIFAR batch of 128
// (14.7 MB) goes to memory and comes back for the pool. Here each 2x2 window's four outputs are
// computed in registers and only their maximum is stored: measured on AVX-512, batch 128, two
// threads, about 0.45 ms against 1.2-1.3 ms for oneDNN's convolution and the pool.
#include "conv-relu-pool.h"

#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <array>
#include <limits>
#include <vector>

#include "autocast.h"
#include "conv-relu.h"
#include "cpu-features.h"
#include "max-pool.h"
#include "onednn.h"

namespace torchlet {
namespace {

// Input channels up to which the kernel below is used: oneDNN's kernels are faster with more.
constexpr int64_t kMaxInputChannels = 4;

at::Tensor unfused(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                   at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups, at::IntArrayRef poolKernel,
                   at::IntArrayRef poolStride, c10::optional<at::ScalarType> dtype) {
  return maxPool2d(conv2dRelu(x, w, b, stride, padding, dilation, groups, dtype), poolKernel, poolStride, {0, 0}, false);
}

#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12 takes the undefined vector inside its own AVX-512 intrinsics for an uninitialised read
// (GCC bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define TORCHLET_AVX512 __attribute__((target("avx512f")))

// 16 results stored as float32, or rounded to bfloat16 (to nearest even, as c10 rounds; the NaN
// this kernel makes is the quiet one, which stays a NaN).
TORCHLET_AVX512 void store16(float* p, __m512 v) { _mm512_storeu_ps(p, v); }
TORCHLET_AVX512 void store16(c10::BFloat16* p, __m512 v) {
  const __m512i bits = _mm512_castps_si512(v);
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff)));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(_mm512_srli_epi32(rounded, 16)));
}

// One row of 2x2 windows, 16 * V output channels of them: the four convolution outputs of each
// window accumulate in float32 registers (bias first, then the taps in [kh][kw][cin] order), and
// ReLU of their maximum is stored. A NaN output wins the window, as in ATen's pooling. bfloat16
// inputs and weights multiply exactly in float32, and accumulate in it, as oneDNN's do.
//   out: the row's first output channel c0; outStep: elements between windows.
//   x: the input pixel under the row's first window, channels-last; rowStep, pixelStep: its strides.
//   w: [kh][kw * cin][cout] from channel c0; cout: its row length. bias: from c0, or null.
template <typename T, size_t V>
TORCHLET_AVX512 void windowRow(T* out, int64_t outStep, const T* x, int64_t rowStep, int64_t pixelStep, int64_t windows, const float* w,
                               int64_t cout, const float* bias, int64_t kernelRows, int64_t rowTaps) {
  __m512 start[V];  // NOLINT(modernize-avoid-c-arrays): std::array<__m512> drops its attributes (GCC)
  for (size_t v = 0; v < V; ++v) start[v] = bias != nullptr ? _mm512_loadu_ps(bias + 16 * v) : _mm512_setzero_ps();
  for (int64_t i = 0; i < windows; ++i, out += outStep) {
    const T* topLeft = x + i * 2 * pixelStep;
    const std::array<const T*, 4> pixels{topLeft, topLeft + pixelStep, topLeft + rowStep, topLeft + rowStep + pixelStep};
    __m512 acc[4][V];  // NOLINT(modernize-avoid-c-arrays)
    for (auto& pixel : acc)
      for (size_t v = 0; v < V; ++v) pixel[v] = start[v];
    const float* tapWeights = w;
    for (int64_t kh = 0; kh < kernelRows; ++kh) {
      for (int64_t t = 0; t < rowTaps; ++t, tapWeights += cout) {
        __m512 weights[V];  // NOLINT(modernize-avoid-c-arrays)
        for (size_t v = 0; v < V; ++v) weights[v] = _mm512_loadu_ps(tapWeights + 16 * v);
        for (size_t p = 0; p < 4; ++p) {
          const __m512 input = _mm512_set1_ps(static_cast<float>(pixels[p][kh * rowStep + t]));
          for (size_t v = 0; v < V; ++v) acc[p][v] = _mm512_fmadd_ps(input, weights[v], acc[p][v]);
        }
      }
    }
    for (size_t v = 0; v < V; ++v) {
      __mmask16 nan = 0;
      for (auto& pixel : acc) nan |= _mm512_cmp_ps_mask(pixel[v], pixel[v], _CMP_UNORD_Q);
      const __m512 m = _mm512_max_ps(_mm512_max_ps(acc[0][v], acc[1][v]), _mm512_max_ps(acc[2][v], acc[3][v]));
      // max(m, +0) with +0 second: a -0 maximum becomes +0, as ReLU makes it.
      const __m512 relu = _mm512_max_ps(m, _mm512_setzero_ps());
      store16(out + 16 * v, _mm512_mask_mov_ps(relu, nan, _mm512_set1_ps(std::numeric_limits<float>::quiet_NaN())));
    }
  }
}

// Channel blocks of 64 (16 accumulators of 16 lanes), then the rest.
template <typename T>
TORCHLET_AVX512 void windowRowAllChannels(T* out, const T* x, int64_t rowStep, int64_t pixelStep, int64_t windows, const float* w,
                                          int64_t cout, const float* bias, int64_t kernelRows, int64_t rowTaps) {
  int64_t c = 0;
  for (; c + 64 <= cout; c += 64)
    windowRow<T, 4>(out + c, cout, x, rowStep, pixelStep, windows, w + c, cout, bias ? bias + c : nullptr, kernelRows, rowTaps);
  const float* b = bias ? bias + c : nullptr;
  switch ((cout - c) / 16) {
    case 3:
      return windowRow<T, 3>(out + c, cout, x, rowStep, pixelStep, windows, w + c, cout, b, kernelRows, rowTaps);
    case 2:
      return windowRow<T, 2>(out + c, cout, x, rowStep, pixelStep, windows, w + c, cout, b, kernelRows, rowTaps);
    case 1:
      return windowRow<T, 1>(out + c, cout, x, rowStep, pixelStep, windows, w + c, cout, b, kernelRows, rowTaps);
    default:
      return;
  }
}

#pragma GCC diagnostic pop

// Where the kernel applies: on a CPU with AVX-512, without autograd recording, in float32 or
// bfloat16 (the weights' once cast to `dtype`, as oneDNN's fused primitives take them), a plain
// convolution (stride 1, no dilation, one group) of few input channels and whole vectors of output
// channels, then 2x2 windows of stride 2.
bool direct(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride, at::IntArrayRef padding,
            at::IntArrayRef dilation, int64_t groups, at::IntArrayRef poolKernel, at::IntArrayRef poolStride,
            c10::optional<at::ScalarType> dtype) {
  const auto ones = std::vector<int64_t>{1, 1};
  const auto twos = std::vector<int64_t>{2, 2};
  return cpuHasAvx512() && !autogradRecords(x, w, b) && oneDnnTypes(x, w, b, dtype) && x.dim() == 4 && w.dim() == 4 &&
         (!b || (b->device().is_cpu() && b->dim() == 1 && b->size(0) == w.size(0))) && groups == 1 && stride.vec() == ones &&
         dilation.vec() == ones && poolKernel.vec() == twos && poolStride.vec() == twos && x.size(1) == w.size(1) &&
         x.size(1) <= kMaxInputChannels && w.size(0) % 16 == 0 && padding[0] <= w.size(2) && padding[1] <= w.size(3) &&
         x.size(2) + 2 * padding[0] - w.size(2) + 1 >= 2 && x.size(3) + 2 * padding[1] - w.size(3) + 1 >= 2;
}

template <typename T>
void runRows(const at::Tensor& out, const at::Tensor& x, const at::Tensor& weights, const at::Tensor& bias, int64_t kernelRows,
             int64_t rowTaps) {
  const int64_t outRows = out.size(2);
  const auto* in = x.data_ptr<T>();
  auto* result = out.data_ptr<T>();
  const auto* w = weights.data_ptr<float>();
  const float* b = bias.defined() ? bias.data_ptr<float>() : nullptr;
  at::parallel_for(0, out.size(0) * outRows, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t n = r / outRows, row = r % outRows;
      windowRowAllChannels(result + n * out.stride(0) + row * out.stride(2), in + n * x.stride(0) + row * 2 * x.stride(2), x.stride(2),
                           x.stride(3), out.size(3), w, weights.size(-1), b, kernelRows, rowTaps);
    }
  });
}

at::Tensor directKernel(const at::Tensor& input, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef padding,
                        c10::optional<at::ScalarType> dtype) {
  at::Tensor x = input;
  if (padding[0] != 0 || padding[1] != 0) x = at::constant_pad_nd(x, {padding[1], padding[1], padding[0], padding[0]}, 0);
  x = x.contiguous(at::MemoryFormat::ChannelsLast);
  const int64_t convRows = x.size(2) - w.size(2) + 1, convCols = x.size(3) - w.size(3) + 1;
  at::Tensor out = at::empty({x.size(0), w.size(0), convRows / 2, convCols / 2}, x.options().memory_format(at::MemoryFormat::ChannelsLast));
  // [kh][kw][cin][cout] in float32, from the weight in the call's dtype; packed once per weight
  // version and dtype (onednn.h), -1 keying it apart from oneDNN's packed weights.
  const at::Tensor weights = packedWeight(w, {-1, static_cast<int64_t>(x.scalar_type())}, [&] {
    return castTo(w, dtype).to(at::kFloat).permute({2, 3, 1, 0}).contiguous();
  });
  const c10::optional<at::Tensor> castBias = castTo(b, dtype);
  const at::Tensor bias = castBias ? castBias->to(at::kFloat).contiguous() : at::Tensor();
  if (x.scalar_type() == at::kFloat)
    runRows<float>(out, x, weights, bias, w.size(2), w.size(3) * w.size(1));
  else
    runRows<c10::BFloat16>(out, x, weights, bias, w.size(2), w.size(3) * w.size(1));
  return out;
}
#endif

at::Tensor kernel(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                  at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups, at::IntArrayRef poolKernel, at::IntArrayRef poolStride,
                  c10::optional<at::ScalarType> dtype) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (direct(x, w, b, stride, padding, dilation, groups, poolKernel, poolStride, dtype)) return directKernel(x, w, b, padding, dtype);
#endif
  return unfused(x, w, b, stride, padding, dilation, groups, poolKernel, poolStride, dtype);
}

// Under autocast: as conv2d_relu (autocast.h), so that a traced step records the cast and replays
// the same precision.
at::Tensor autocastKernel(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                          at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups, at::IntArrayRef poolKernel,
                          at::IntArrayRef poolStride, c10::optional<at::ScalarType> dtype) {
  AutocastInputs cast(x);
  return conv2dReluMaxPool(cast(x), w, b, stride, padding, dilation, groups, poolKernel, poolStride, cast.weightDtype(w, dtype));
}

}  // namespace

// An operator, so that traced steps record it and choose the kernel again on each replay; with
// autograd recording, it is the two operators it fuses, with their own gradients.
TORCH_LIBRARY_FRAGMENT(torchlet, m) {
  m.def(
      "conv2d_relu_max_pool(Tensor x, Tensor w, Tensor? b, int[] stride, int[] padding, int[] dilation, int groups, int[] pool_kernel, "
      "int[] pool_stride, ScalarType? dtype=None) -> Tensor");
}
TORCH_LIBRARY_IMPL(torchlet, CompositeImplicitAutograd, m) { m.impl("conv2d_relu_max_pool", TORCH_FN(kernel)); }
TORCH_LIBRARY_IMPL(torchlet, AutocastCPU, m) { m.impl("conv2d_relu_max_pool", TORCH_FN(autocastKernel)); }
TORCH_LIBRARY_IMPL(torchlet, AutocastCUDA, m) { m.impl("conv2d_relu_max_pool", TORCH_FN(autocastKernel)); }

at::Tensor conv2dReluMaxPool(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                             at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups, at::IntArrayRef poolKernel,
                             at::IntArrayRef poolStride, c10::optional<at::ScalarType> dtype) {
  static const auto op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow("torchlet::conv2d_relu_max_pool", "")
          .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const c10::optional<at::Tensor>&, at::IntArrayRef, at::IntArrayRef,
                            at::IntArrayRef, int64_t, at::IntArrayRef, at::IntArrayRef, c10::optional<at::ScalarType>)>();
  return op.call(x, w, b, stride, padding, dilation, groups, poolKernel, poolStride, dtype);
}

}  // namespace torchlet
