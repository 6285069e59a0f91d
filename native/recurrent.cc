// Keras's LSTM and GRU over libtorch's fused recurrent ops (at::lstm, at::gru: cuDNN on CUDA).
// The weights come in Keras's layout, kernel [features, gates * units], recurrent_kernel [units,
// gates * units], and are rearranged here into PyTorch's [gates * units, in] per call, so that the
// layers store exactly what a .keras file holds.
#include <ATen/core/grad_mode.h>

#include <string>
#include <tuple>
#include <vector>

#include "args.h"
#include "convert.h"
#include "errors.h"
#include "ops.h"

namespace torchlet {
namespace {

struct RecurrentCall {
  at::Tensor input, kernel, recurrentKernel;
  c10::optional<at::Tensor> bias;
  int64_t units;
};

// (input [N, T, F], kernel [F, gates * units], recurrentKernel [units, gates * units], bias?), checked;
// `biasRows` is 1 for a [gates * units] bias, 2 for GRU's [2, gates * units].
RecurrentCall recurrentCall(Args& a, int64_t gates, int64_t biasRows) {
  RecurrentCall c{a.tensor(0, "input"), a.tensor(1, "kernel"), a.tensor(2, "recurrentKernel"), a.optionalTensor(3, "bias"), 0};
  if (c.input.dim() != 3 || c.input.size(1) < 1) {
    throw ArgRangeError("expects a 3-D [batch, timesteps, features] input with at least one timestep, got " + formatShape(c.input.sizes()));
  }
  if (!c.input.is_floating_point()) throw ArgTypeError("needs a floating-point input, got " + describeTensor(c.input));
  if (c.recurrentKernel.dim() != 2 || c.recurrentKernel.size(0) < 1 || c.recurrentKernel.size(1) != gates * c.recurrentKernel.size(0)) {
    throw ArgRangeError("expects a [units, " + std::to_string(gates) + " * units] recurrentKernel, got " +
                        formatShape(c.recurrentKernel.sizes()));
  }
  c.units = c.recurrentKernel.size(0);
  if (c.kernel.dim() != 2 || c.kernel.size(0) != c.input.size(2) || c.kernel.size(1) != gates * c.units) {
    throw ArgRangeError("expects a [features, " + std::to_string(gates * c.units) + "] kernel for the input " +
                        formatShape(c.input.sizes()) + ", got " + formatShape(c.kernel.sizes()));
  }
  if (c.bias) {
    std::vector<int64_t> expected{gates * c.units};
    if (biasRows == 2) expected.insert(expected.begin(), 2);
    if (c.bias->sizes() != at::IntArrayRef(expected)) {
      throw ArgRangeError("expects a " + formatShape(expected) + " bias, got " + formatShape(c.bias->sizes()));
    }
  }
  return c;
}

// [in, gates * units] (Keras) → [gates * units, in] (PyTorch), contiguous as cuDNN packs it.
at::Tensor torchWeight(const at::Tensor& keras) { return keras.t().contiguous(); }

// GRU's gates from Keras's order (update z, reset r, candidate h) to PyTorch's (r, z, n) along `dim`.
at::Tensor gruGates(const at::Tensor& t, int64_t units, int64_t dim) {
  return at::cat({t.narrow(dim, units, units), t.narrow(dim, 0, units), t.narrow(dim, 2 * units, units)}, dim);
}

// cuDNN keeps what backward needs only in training mode: train whenever autograd records.
bool recording(const RecurrentCall& c) {
  return at::GradMode::is_enabled() &&
         (c.input.requires_grad() || c.kernel.requires_grad() || c.recurrentKernel.requires_grad() || (c.bias && c.bias->requires_grad()));
}

}  // namespace

void registerRecurrent(Napi::Env env, Napi::Object exports) {
  // lstm(input, kernel, recurrentKernel, bias?) → [N, T, units], every step's output, from zero
  // states. Gates i, f, c, o in Keras's order are PyTorch's i, f, g, o; Keras's one bias is b_ih.
  bind(exports, "lstm", [](Args& a) {
    RecurrentCall c = recurrentCall(a, 4, 1);
    std::vector<at::Tensor> params{torchWeight(c.kernel), torchWeight(c.recurrentKernel)};
    if (c.bias) params.insert(params.end(), {*c.bias, at::zeros_like(*c.bias)});
    at::Tensor zero = at::zeros({1, c.input.size(0), c.units}, c.input.options());
    return a.wrap(std::get<0>(at::lstm(c.input, {zero, zero}, params, c.bias.has_value(), 1, 0.0, recording(c), false, true)));
  });
  // gru(input, kernel, recurrentKernel, bias?) → [N, T, units], Keras's GRU with resetAfter: its
  // bias [2, 3 * units] holds the input bias (b_ih) then the recurrent one (b_hh).
  bind(exports, "gru", [](Args& a) {
    RecurrentCall c = recurrentCall(a, 3, 2);
    std::vector<at::Tensor> params{torchWeight(gruGates(c.kernel, c.units, 1)), torchWeight(gruGates(c.recurrentKernel, c.units, 1))};
    if (c.bias) params.insert(params.end(), {gruGates((*c.bias)[0], c.units, 0), gruGates((*c.bias)[1], c.units, 0)});
    at::Tensor zero = at::zeros({1, c.input.size(0), c.units}, c.input.options());
    return a.wrap(std::get<0>(at::gru(c.input, zero, params, c.bias.has_value(), 1, 0.0, recording(c), false, true)));
  });
}

}  // namespace torchlet
