#include "create.h"

#include <ATen/CPUGeneratorImpl.h>

#include <tuple>

#include "args.h"
#include "convert.h"
#include "errors.h"

namespace torchlet {
namespace {

// Options from the trailing (dtype, device) arguments at positions i and i + 1.
at::TensorOptions options(const Args& a, size_t i, at::ScalarType fallback) {
  return at::TensorOptions()
      .dtype(a.optionalDtype(i, "dtype").value_or(fallback))
      .device(a.optionalDevice(i + 1, "device").value_or(at::Device(at::kCPU)));
}

}  // namespace

void registerCreate(Napi::Env env, Napi::Object exports) {
  bind(exports, "zeros", [](Args& a) { return a.wrap(at::zeros(a.shape(0, "shape"), options(a, 1, at::kFloat))); });
  bind(exports, "ones", [](Args& a) { return a.wrap(at::ones(a.shape(0, "shape"), options(a, 1, at::kFloat))); });
  bind(exports, "full", [](Args& a) { return a.wrap(at::full(a.shape(0, "shape"), a.scalar(1, "value"), options(a, 2, at::kFloat))); });
  bind(exports, "rand", [](Args& a) { return a.wrap(at::rand(a.shape(0, "shape"), options(a, 1, at::kFloat))); });
  bind(exports, "randn", [](Args& a) { return a.wrap(at::randn(a.shape(0, "shape"), options(a, 1, at::kFloat))); });
  // orthonormalize(a): for a [m, n] matrix, m >= n, the Q of its reduced QR with each column's sign
  // flipped where R's diagonal is negative: Keras's Orthogonal initializer, from a normal sample.
  bind(exports, "orthonormalize", [](Args& a) {
    at::Tensor matrix = a.tensor(0, "input");
    if (matrix.dim() != 2 || matrix.size(1) < 1 || matrix.size(0) < matrix.size(1)) {
      throw ArgRangeError("expects a [m, n] matrix with m >= n >= 1, got " + formatShape(matrix.sizes()));
    }
    if (matrix.scalar_type() != at::kFloat && matrix.scalar_type() != at::kDouble) {
      throw ArgTypeError("needs a float32 or float64 matrix, got " + describeTensor(matrix));
    }
    auto qr = at::linalg_qr(matrix);
    return a.wrap(std::get<0>(qr) * at::sign(std::get<1>(qr).diagonal()));
  });
  bind(exports, "randint", [](Args& a) {
    int64_t low = a.integer(0, "low"), high = a.integer(1, "high");
    if (high <= low) {
      throw ArgRangeError("'high' (" + std::to_string(high) + ") must be greater than 'low' (" + std::to_string(low) + ")");
    }
    return a.wrap(at::randint(low, high, a.shape(2, "shape"), options(a, 3, at::kLong)));
  });
  bind(exports, "randperm", [](Args& a) {
    int64_t n = a.integer(0, "n");
    if (n < 0) throw ArgRangeError("'n' must be >= 0, got " + std::to_string(n));
    return a.wrap(at::randperm(n, options(a, 1, at::kLong)));
  });
  // randpermSeeded(n, seed, device): a permutation from a generator of its own, seeded: every
  // process that asks with the same seed draws the same order (data-parallel epochs).
  bind(exports, "randpermSeeded", [](Args& a) {
    int64_t n = a.integer(0, "n"), seed = a.integer(1, "seed");
    if (n < 0) throw ArgRangeError("'n' must be >= 0, got " + std::to_string(n));
    if (seed < 0) throw ArgRangeError("'seed' must be >= 0, got " + std::to_string(seed));
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
    at::Tensor order = at::randperm(n, generator, at::TensorOptions().dtype(at::kLong));
    c10::optional<at::Device> device = a.optionalDevice(2, "device");
    return a.wrap(device ? order.to(*device) : order);
  });
  bind(exports, "arange", [](Args& a) {
    at::Scalar start = a.scalar(0, "start"), end = a.scalar(1, "end"), step = a.scalar(2, "step");
    if (step.toDouble() == 0) throw ArgRangeError("'step' must not be zero");
    if ((end.toDouble() - start.toDouble()) / step.toDouble() < 0) {
      throw ArgRangeError("'step' points away from 'end': arange(" + formatNumber(start.toDouble()) + ", " + formatNumber(end.toDouble()) +
                          ", " + formatNumber(step.toDouble()) + ")");
    }
    bool integral = start.isIntegral(false) && end.isIntegral(false) && step.isIntegral(false);
    return a.wrap(at::arange(start, end, step, options(a, 3, integral ? at::kLong : at::kFloat)));
  });
}

}  // namespace torchlet
