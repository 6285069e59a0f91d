#include "max-pool.h"

#include <ATen/Parallel.h>
#include <ATen/TensorIterator.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/autograd.h>
#include <torch/library.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <vector>

#include "cpu-features.h"
#include "window.h"

namespace torchlet {
namespace {

// The winner of two elements: the larger, NaN winning, as in ATen; ties keep the first. The
// winner is copied, not converted, so that bfloat16 stays bit for bit.
template <typename T>
T maxNan(T m, T v) {
  auto a = static_cast<float>(m);
  auto b = static_cast<float>(v);
  return (b > a || b != b) ? v : m;
}

// Windows one element at a time, in any layout: output i at out + i * outStep, the maximum over
// the window whose first element is at in + i * inStep and whose other elements are `taps` on.
template <typename T>
void windowMaximaStrided(char* out, const char* in, int64_t n, int64_t outStep, int64_t inStep, const int64_t* taps, int64_t tapCount) {
  for (int64_t i = 0; i < n; ++i) {
    const auto* first = reinterpret_cast<const T*>(in + i * inStep);
    T m = first[0];
    for (int64_t t = 1; t < tapCount; ++t) m = maxNan(m, first[taps[t]]);
    *reinterpret_cast<T*>(out + i * outStep) = m;
  }
}

// Rows of windows over contiguous channels: row j's outputs at out + j * outRow, element i
// (i from `from` to n) the window starting at in + j * inRow + i.
template <typename T>
void windowMaximaScalar(T* out, const T* in, int64_t n, int64_t rows, int64_t outRow, int64_t inRow, const int64_t* taps, int64_t tapCount,
                        int64_t from) {
  for (int64_t j = 0; j < rows; ++j) {
    windowMaximaStrided<T>(reinterpret_cast<char*>(out + j * outRow + from), reinterpret_cast<const char*>(in + j * inRow + from), n - from,
                           sizeof(T), sizeof(T), taps, tapCount);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12 takes the undefined vector inside its own AVX-512 intrinsics for an uninitialised read
// (GCC bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define TORCHLET_AVX2 __attribute__((target("avx2")))
#define TORCHLET_AVX512 __attribute__((target("avx512f")))

// 8 floats, or 8 bfloat16 widened to floats (their bits moved up 16: exact).
TORCHLET_AVX2 __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
TORCHLET_AVX2 __m256 load8(const c10::BFloat16* p) {
  __m128i bits = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
}
TORCHLET_AVX2 void store8(float* p, __m256 v) { _mm256_storeu_ps(p, v); }
// A winner is one of the inputs, so its low 16 bits are zero and narrowing it back is exact.
TORCHLET_AVX2 void store8(c10::BFloat16* p, __m256 v) {
  __m256i bits = _mm256_srli_epi32(_mm256_castps_si256(v), 16);
  __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(bits), _mm256_extracti128_si256(bits, 1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), packed);
}

// The same for 16 with AVX-512.
TORCHLET_AVX512 __m512 load16(const float* p) { return _mm512_loadu_ps(p); }
TORCHLET_AVX512 __m512 load16(const c10::BFloat16* p) {
  __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
}
TORCHLET_AVX512 void store16(float* p, __m512 v) { _mm512_storeu_ps(p, v); }
TORCHLET_AVX512 void store16(c10::BFloat16* p, __m512 v) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(v), 16)));
}

// The vector loops below take max(v, m), which is v only where v > m: ties keep the first, as
// ATen does. A NaN tap is where they differ (ATen lets it win), and it is rare: such a vector is
// redone one element at a time. 2x2 windows, the common case, get their taps unrolled.

// Channels [0, n) 8 at a time with AVX2, the rest (fewer than 8) one at a time.
template <typename T, int FixedTaps>
TORCHLET_AVX2 void windowMaximaAvx2(T* out, const T* in, int64_t n, int64_t rows, int64_t outRow, int64_t inRow, const int64_t* taps,
                                    int64_t tapCount) {
  const int64_t count = FixedTaps > 0 ? FixedTaps : tapCount;
  const int64_t vectors = n / 8 * 8;
  for (int64_t j = 0; j < rows; ++j) {
    const T* first = in + j * inRow;
    for (int64_t i = 0; i < vectors; i += 8) {
      __m256 m = load8(first + i);
      __m256 nan = _mm256_cmp_ps(m, m, _CMP_UNORD_Q);
      for (int64_t t = 1; t < count; ++t) {
        __m256 v = load8(first + taps[t] + i);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        m = _mm256_max_ps(v, m);
      }
      if (_mm256_movemask_ps(nan) != 0)
        windowMaximaScalar(out + j * outRow + i, first + i, 8, 1, 0, 0, taps, tapCount, 0);
      else
        store8(out + j * outRow + i, m);
    }
  }
  if (vectors < n) windowMaximaScalar(out, in, n, rows, outRow, inRow, taps, tapCount, vectors);
}

// Channels [0, n) 16 at a time with AVX-512, the rest through the AVX2 loop.
template <typename T, int FixedTaps>
TORCHLET_AVX512 void windowMaximaAvx512(T* out, const T* in, int64_t n, int64_t rows, int64_t outRow, int64_t inRow, const int64_t* taps,
                                        int64_t tapCount) {
  const int64_t count = FixedTaps > 0 ? FixedTaps : tapCount;
  const int64_t vectors = n / 16 * 16;
  for (int64_t j = 0; j < rows; ++j) {
    const T* first = in + j * inRow;
    for (int64_t i = 0; i < vectors; i += 16) {
      __m512 m = load16(first + i);
      __mmask16 nan = _mm512_cmp_ps_mask(m, m, _CMP_UNORD_Q);
      for (int64_t t = 1; t < count; ++t) {
        __m512 v = load16(first + taps[t] + i);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        m = _mm512_max_ps(v, m);
      }
      if (nan != 0)
        windowMaximaScalar(out + j * outRow + i, first + i, 16, 1, 0, 0, taps, tapCount, 0);
      else
        store16(out + j * outRow + i, m);
    }
  }
  if (vectors < n) windowMaximaAvx2<T, FixedTaps>(out + vectors, in + vectors, n - vectors, rows, outRow, inRow, taps, tapCount);
}

// Training, 16 channels at a time: the maxima and, per output, the tap that won (one byte, where
// ATen keeps an int64), chosen as ATen chooses (a larger value or a NaN wins; ties keep the first).
TORCHLET_AVX512 void windowArgmaxAvx512(float* out, uint8_t* won, const float* in, int64_t n, int64_t rows, int64_t outRow, int64_t inRow,
                                        const int64_t* taps, int64_t tapCount) {
  for (int64_t j = 0; j < rows; ++j) {
    const float* first = in + j * inRow;
    for (int64_t i = 0; i < n; i += 16) {
      __m512 m = _mm512_loadu_ps(first + i);
      __m512i winner = _mm512_setzero_si512();
      for (int64_t t = 1; t < tapCount; ++t) {
        __m512 v = _mm512_loadu_ps(first + taps[t] + i);
        __mmask16 wins = _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        m = _mm512_mask_mov_ps(m, wins, v);
        winner = _mm512_mask_mov_epi32(winner, wins, _mm512_set1_epi32(static_cast<int>(t)));
      }
      _mm512_storeu_ps(out + j * outRow + i, m);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(won + j * outRow + i), _mm512_cvtepi32_epi8(winner));
    }
  }
}

// Its backward for windows that do not overlap: each window's gradient to the tap that won, zero
// to the others, so that every covered input element is written once (no zero fill, no scatter).
TORCHLET_AVX512 void windowGradAvx512(float* gradIn, const float* gradOut, const uint8_t* won, int64_t n, int64_t rows, int64_t outRow,
                                      int64_t inRow, const int64_t* taps, int64_t tapCount) {
  for (int64_t j = 0; j < rows; ++j) {
    float* first = gradIn + j * inRow;
    for (int64_t i = 0; i < n; i += 16) {
      __m512 g = _mm512_loadu_ps(gradOut + j * outRow + i);
      __m512i winner = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(won + j * outRow + i)));
      for (int64_t t = 0; t < tapCount; ++t)
        _mm512_storeu_ps(first + taps[t] + i,
                         _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(winner, _mm512_set1_epi32(static_cast<int>(t))), g));
    }
  }
}
#pragma GCC diagnostic pop
#endif

template <typename T>
void windowMaxima(T* out, const T* in, int64_t n, int64_t rows, int64_t outRow, int64_t inRow, const int64_t* taps, int64_t tapCount) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (cpuHasAvx512()) {
    if (tapCount == 4) return windowMaximaAvx512<T, 4>(out, in, n, rows, outRow, inRow, taps, tapCount);
    return windowMaximaAvx512<T, 0>(out, in, n, rows, outRow, inRow, taps, tapCount);
  }
  if (avx2) {
    if (tapCount == 4) return windowMaximaAvx2<T, 4>(out, in, n, rows, outRow, inRow, taps, tapCount);
    return windowMaximaAvx2<T, 0>(out, in, n, rows, outRow, inRow, taps, tapCount);
  }
#endif
  windowMaximaScalar(out, in, n, rows, outRow, inRow, taps, tapCount, 0);
}

// All windows of `iter` (its output, and the view of the input at each window's start).
template <typename T>
void poolWindows(at::TensorIterator& iter, const std::vector<int64_t>& taps) {
  const auto size = static_cast<int64_t>(sizeof(T));
  const auto tapCount = static_cast<int64_t>(taps.size());
  iter.for_each(
      [&](char** data, const int64_t* steps, int64_t n, int64_t rows) {
        if (steps[0] == size && steps[1] == size && steps[2] % size == 0 && steps[3] % size == 0) {
          windowMaxima(reinterpret_cast<T*>(data[0]), reinterpret_cast<const T*>(data[1]), n, rows, steps[2] / size, steps[3] / size,
                       taps.data(), tapCount);
          return;
        }
        for (int64_t j = 0; j < rows; ++j)
          windowMaximaStrided<T>(data[0] + j * steps[2], data[1] + j * steps[3], n, steps[0], steps[1], taps.data(), tapCount);
      },
      std::max<int64_t>(1, at::internal::GRAIN_SIZE / tapCount));
}

// Whether every window lies inside a 4-D input: no padding, and ceilMode's last window does not
// overhang (the last rows and columns may be in none).
bool windowsInside(const at::Tensor& x, const Pair& kernel, const Pair& stride, const Pair& padding, const Pair& out) {
  return x.dim() == 4 && padding == Pair{0, 0} && out[0] >= 1 && out[1] >= 1 && (out[0] - 1) * stride[0] + kernel[0] <= x.size(2) &&
         (out[1] - 1) * stride[1] + kernel[1] <= x.size(3);
}

// Whether the kernel below applies when no gradient is wanted (ATen's keeps indices for
// backward): a float32 or bfloat16 CPU input, every window inside it.
bool fastPath(const at::Tensor& x, const Pair& kernel, const Pair& stride, const Pair& padding, const Pair& out) {
  return windowsInside(x, kernel, stride, padding, out) && x.device().is_cpu() &&
         (x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16);
}

// The offsets of a window's elements from its first, in `x`'s layout.
std::vector<int64_t> windowTaps(const at::Tensor& x, const Pair& kernel) {
  std::vector<int64_t> taps;
  for (int64_t kh = 0; kh < kernel[0]; ++kh)
    for (int64_t kw = 0; kw < kernel[1]; ++kw) taps.push_back(kh * x.stride(2) + kw * x.stride(3));
  return taps;
}

#if defined(__x86_64__) && defined(__GNUC__)
// Training's own kernels apply to float32 channels-last CPU inputs whose channels fill AVX-512
// vectors, with windows inside that tile the input without overlap (stride = kernel), where the
// CPU has AVX-512. Elsewhere ATen's.
bool trainingPath(const at::Tensor& x, const Pair& kernel, const Pair& stride, const Pair& padding, const Pair& out) {
  return cpuHasAvx512() && kernel == stride && kernel[0] <= 256 && kernel[1] <= 256 / kernel[0] &&
         windowsInside(x, kernel, stride, padding, out) && x.device().is_cpu() && x.scalar_type() == at::kFloat && x.size(1) % 16 == 0 &&
         x.is_contiguous(at::MemoryFormat::ChannelsLast);
}

// Where window (n, oh)'s row of outputs and of inputs start, channels-last: one task per row.
template <typename F>
void forEachWindowRow(const at::Tensor& in, const at::Tensor& out, const Pair& stride, const F& row) {
  const int64_t outHeight = out.size(2);
  at::parallel_for(0, out.size(0) * outHeight, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t n = r / outHeight;
      const int64_t oh = r % outHeight;
      row(n * in.stride(0) + oh * stride[0] * in.stride(2), n * out.stride(0) + oh * out.stride(2));
    }
  });
}

// Max pooling with autograd on the kernels above: the forward pass keeps a byte per output.
class MaxPoolTraining : public torch::autograd::Function<MaxPoolTraining> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, std::vector<int64_t> kernelSize) {
    const Pair kernel{kernelSize[0], kernelSize[1]};
    at::Tensor out = at::empty({x.size(0), x.size(1), x.size(2) / kernel[0], x.size(3) / kernel[1]},
                               x.options().memory_format(at::MemoryFormat::ChannelsLast));
    const at::Tensor won = at::empty(out.sizes(), out.options().dtype(at::kByte).memory_format(at::MemoryFormat::ChannelsLast));
    const std::vector<int64_t> taps = windowTaps(x, kernel);
    const auto* in = x.data_ptr<float>();
    auto* maxima = out.data_ptr<float>();
    auto* winners = won.data_ptr<uint8_t>();
    forEachWindowRow(x, out, kernel, [&](int64_t inAt, int64_t outAt) {
      windowArgmaxAvx512(maxima + outAt, winners + outAt, in + inAt, x.size(1), out.size(3), out.stride(3), x.stride(3) * kernel[1],
                         taps.data(), static_cast<int64_t>(taps.size()));
    });
    ctx->save_for_backward({won});
    ctx->saved_data["input_sizes"] = x.sizes().vec();
    ctx->saved_data["kernel"] = kernelSize;
    ctx->mark_non_differentiable({won});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const at::Tensor won = ctx->get_saved_variables()[0];
    const std::vector<int64_t> sizes = ctx->saved_data["input_sizes"].toIntVector();
    const std::vector<int64_t> kernelSize = ctx->saved_data["kernel"].toIntVector();
    const Pair kernel{kernelSize[0], kernelSize[1]};
    const at::Tensor gradOut = grads[0].contiguous(at::MemoryFormat::ChannelsLast);
    at::Tensor gradIn = at::empty(sizes, gradOut.options().memory_format(at::MemoryFormat::ChannelsLast));
    // Rows and columns that no window covers get no gradient.
    const int64_t coveredHeight = won.size(2) * kernel[0], coveredWidth = won.size(3) * kernel[1];
    if (coveredHeight < sizes[2]) gradIn.narrow(2, coveredHeight, sizes[2] - coveredHeight).zero_();
    if (coveredWidth < sizes[3]) gradIn.narrow(3, coveredWidth, sizes[3] - coveredWidth).zero_();
    const std::vector<int64_t> taps = windowTaps(gradIn, kernel);
    auto* in = gradIn.data_ptr<float>();
    const auto* out = gradOut.data_ptr<float>();
    const auto* winners = won.data_ptr<uint8_t>();
    forEachWindowRow(gradIn, gradOut, kernel, [&](int64_t inAt, int64_t outAt) {
      windowGradAvx512(in + inAt, out + outAt, winners + outAt, gradIn.size(1), gradOut.size(3), gradOut.stride(3),
                       gradIn.stride(3) * kernel[1], taps.data(), static_cast<int64_t>(taps.size()));
    });
    return {gradIn, at::Tensor()};
  }
};
#endif

at::Tensor maxPoolKernel(const at::Tensor& x, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef padding, bool ceilMode) {
  Pair k{kernel[0], kernel[1]}, s{stride[0], stride[1]}, p{padding[0], padding[1]};
  Pair out{0, 0};
  if (x.dim() == 4) out = {pooledLength(x.size(2), k[0], s[0], p[0], 1, ceilMode), pooledLength(x.size(3), k[1], s[1], p[1], 1, ceilMode)};
  const bool wantsGrad = at::GradMode::is_enabled() && x.requires_grad();
#if defined(__x86_64__) && defined(__GNUC__)
  if (wantsGrad && trainingPath(x, k, s, p, out)) return MaxPoolTraining::apply(x, kernel.vec());
#endif
  if (wantsGrad || !fastPath(x, k, s, p, out)) return at::max_pool2d(x, kernel, stride, padding, {1, 1}, ceilMode);

  at::Tensor result = at::empty({x.size(0), x.size(1), out[0], out[1]}, x.options().memory_format(x.suggest_memory_format()));
  // Each output's window starts where this view of the input points; its other taps are offsets.
  at::Tensor starts = x.as_strided(result.sizes(), {x.stride(0), x.stride(1), x.stride(2) * s[0], x.stride(3) * s[1]});
  const std::vector<int64_t> taps = windowTaps(x, k);
  at::TensorIterator iter = at::TensorIteratorConfig().set_check_mem_overlap(false).add_output(result).add_input(starts).build();
  if (x.scalar_type() == at::kFloat)
    poolWindows<float>(iter, taps);
  else
    poolWindows<c10::BFloat16>(iter, taps);
  return result;
}

}  // namespace

// An operator, so that traced steps record it and choose the kernel again on each replay.
TORCH_LIBRARY_FRAGMENT(torchlet, m) { m.def("max_pool2d(Tensor x, int[] kernel, int[] stride, int[] padding, bool ceil_mode) -> Tensor"); }
TORCH_LIBRARY_IMPL(torchlet, CompositeImplicitAutograd, m) { m.impl("max_pool2d", TORCH_FN(maxPoolKernel)); }

at::Tensor maxPool2d(const at::Tensor& x, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef padding, bool ceilMode) {
  static const auto op = c10::Dispatcher::singleton()
                             .findSchemaOrThrow("torchlet::max_pool2d", "")
                             .typed<at::Tensor(const at::Tensor&, at::IntArrayRef, at::IntArrayRef, at::IntArrayRef, bool)>();
  return op.call(x, kernel, stride, padding, ceilMode);
}

}  // namespace torchlet
