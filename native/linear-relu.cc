#include "linear-relu.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <vector>

#include "autocast.h"
#include "onednn.h"

namespace torchlet {
namespace {

// oneDNN's fused inner product, or nothing.
const c10::optional<c10::OperatorHandle>& fusedLinear() {
  static const c10::optional<c10::OperatorHandle> op = findOperator("mkldnn::_linear_pointwise");
  return op;
}

bool fusable(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, c10::optional<at::ScalarType> dtype) {
  return fusedLinear() && oneDnnTypes(x, w, b, dtype) && x.dim() >= 2 && w.dim() == 2;
}

at::Tensor unfused(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b) { return at::relu(at::linear(x, w, b)); }

// oneDNN's reorder of the weight into the blocked layout it picks for `rows` rows.
at::Tensor packWeight(const at::Tensor& w, int64_t rows) {
  static const c10::optional<c10::OperatorHandle> reorder = findOperator("mkldnn::_reorder_linear_weight");
  if (!reorder) return w.contiguous();
  torch::jit::Stack stack{w.contiguous(), rows};
  reorder->callBoxed(&stack);
  return stack.at(0).toTensor();
}

// Without autograd: one oneDNN primitive where it applies, with the weight cast to `dtype` and
// packed once (onednn.h), keyed by the weight itself.
at::Tensor inferenceKernel(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                           c10::optional<at::ScalarType> dtype) {
  if (!fusable(x, w, b, dtype)) return unfused(x, castTo(w, dtype), castTo(b, dtype));
  at::Tensor rows = x.reshape({-1, x.size(-1)}).contiguous();
  at::Tensor packed =
      packedWeight(w, {rows.size(0), static_cast<int64_t>(rows.scalar_type())}, [&] { return packWeight(castTo(w, dtype), rows.size(0)); });
  c10::optional<at::Tensor> bias = castTo(b, dtype);
  torch::jit::Stack stack{rows,
                          packed,
                          bias ? c10::IValue(*bias) : c10::IValue(),
                          std::string("relu"),
                          c10::IValue(c10::List<c10::optional<at::Scalar>>()),
                          c10::IValue()};
  fusedLinear()->callBoxed(&stack);
  return stack.at(0).toTensor().view(linearOutputShape(x, w));
}

// With autograd recording, linear and relu as PyTorch runs them (the weights' cast to `dtype`
// recorded too): oneDNN's inner product rounds differently from MKL's sgemm, and Adam carries
// such differences into the weights (fit would no longer match PyTorch's to 1e-4).
at::Tensor autogradKernel(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                          c10::optional<at::ScalarType> dtype) {
  if (autogradRecords(x, w, b)) return unfused(x, castTo(w, dtype), castTo(b, dtype));
  at::AutoDispatchBelowADInplaceOrView below;
  return inferenceKernel(x, w, b, dtype);
}

// Under autocast: x cast as autocast casts linear's input, the weights by the operator (autocast.h).
at::Tensor autocastKernel(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                          c10::optional<at::ScalarType> dtype) {
  AutocastInputs cast(x);
  return linearRelu(cast(x), w, b, cast.weightDtype(w, dtype));
}

}  // namespace

// An operator, so that traced steps record it and choose the kernel again on each replay.
TORCH_LIBRARY_FRAGMENT(torchlet, m) { m.def("linear_relu(Tensor x, Tensor w, Tensor? b, ScalarType? dtype=None) -> Tensor"); }
TORCH_LIBRARY_IMPL(torchlet, CompositeExplicitAutograd, m) { m.impl("linear_relu", TORCH_FN(inferenceKernel)); }
TORCH_LIBRARY_IMPL(torchlet, Autograd, m) { m.impl("linear_relu", TORCH_FN(autogradKernel)); }
TORCH_LIBRARY_IMPL(torchlet, AutocastCPU, m) { m.impl("linear_relu", TORCH_FN(autocastKernel)); }
TORCH_LIBRARY_IMPL(torchlet, AutocastCUDA, m) { m.impl("linear_relu", TORCH_FN(autocastKernel)); }

std::vector<int64_t> linearOutputShape(const at::Tensor& x, const at::Tensor& w) {
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = w.size(0);
  return shape;
}

at::Tensor linearRelu(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, c10::optional<at::ScalarType> dtype) {
  static const auto op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow("torchlet::linear_relu", "")
          .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const c10::optional<at::Tensor>&, c10::optional<at::ScalarType>)>();
  return op.call(x, w, b, dtype);
}

}  // namespace torchlet
