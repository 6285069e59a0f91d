#include "conv-relu.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/autograd.h>
#include <torch/library.h>

#include <array>
#include <utility>
#include <vector>

#include "autocast.h"
#include "onednn.h"

namespace torchlet {
namespace {

// oneDNN's fused convolution, or nothing.
const c10::optional<c10::OperatorHandle>& fusedConvolution() {
  static const c10::optional<c10::OperatorHandle> op = findOperator("mkldnn::_convolution_pointwise");
  return op;
}

bool fusable(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, c10::optional<at::ScalarType> dtype) {
  return fusedConvolution() && oneDnnTypes(x, w, b, dtype) && x.dim() == 4;
}

at::Tensor unfused(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                   at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups) {
  return at::relu(at::convolution(x, w, b, stride, padding, dilation, false, {0, 0}, groups));
}

// oneDNN's reorder of a convolution weight into the blocked layout it picks for inputs of x's sizes.
at::Tensor packWeight(const at::Tensor& x, const at::Tensor& w, at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation,
                      int64_t groups) {
  static const c10::optional<c10::OperatorHandle> reorder = findOperator("mkldnn::_reorder_convolution_weight");
  if (!reorder) return w;
  torch::jit::Stack stack{w, padding.vec(), stride.vec(), dilation.vec(), groups, x.sizes().vec()};
  reorder->callBoxed(&stack);
  return stack.at(0).toTensor();
}

// The fused primitive, below autograd.
at::Tensor fusedKernel(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                       at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups) {
  torch::jit::Stack stack{x,
                          w,
                          b ? c10::IValue(*b) : c10::IValue(),
                          c10::IValue(padding.vec()),
                          c10::IValue(stride.vec()),
                          c10::IValue(dilation.vec()),
                          groups,
                          std::string("relu"),
                          c10::IValue(c10::List<c10::optional<at::Scalar>>()),
                          c10::IValue()};
  fusedConvolution()->callBoxed(&stack);
  return stack.at(0).toTensor();
}

// Its gradient: ReLU's mask from the output, then the convolution's backward, as PyTorch computes
// conv2d followed by relu.
struct ConvRelu : torch::autograd::Function<ConvRelu> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                            const std::vector<int64_t>& stride, const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation,
                            int64_t groups) {
    at::AutoDispatchBelowADInplaceOrView below;
    at::Tensor y = fusedKernel(x, w, b, stride, padding, dilation, groups);
    ctx->save_for_backward({x, w, y});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["dilation"] = dilation;
    ctx->saved_data["groups"] = groups;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &w = saved[1], &y = saved[2];
    bool bias = ctx->needs_input_grad(2);
    at::Tensor grad = at::threshold_backward(grads[0], y, 0);
    std::array<int64_t, 1> biasSize{w.size(0)};
    auto [gx, gw, gb] = at::convolution_backward(
        grad, x, w, bias ? c10::optional<at::IntArrayRef>(biasSize) : c10::nullopt, ctx->saved_data["stride"].toIntVector(),
        ctx->saved_data["padding"].toIntVector(), ctx->saved_data["dilation"].toIntVector(), false, {0, 0},
        ctx->saved_data["groups"].toInt(), {ctx->needs_input_grad(0), ctx->needs_input_grad(1), bias});
    return {gx, gw, bias ? gb : at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// Without autograd (inference tensors, or tensors that need no grad): the fused primitive with
// the weight cast to `dtype` and packed once (onednn.h), keyed by the weight itself.
at::Tensor inferenceKernel(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                           at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups, c10::optional<at::ScalarType> dtype) {
  if (!fusable(x, w, b, dtype)) return unfused(x, castTo(w, dtype), castTo(b, dtype), stride, padding, dilation, groups);
  std::vector<int64_t> key = x.sizes().vec();
  for (at::IntArrayRef setting : {stride, padding, dilation}) key.insert(key.end(), setting.begin(), setting.end());
  key.insert(key.end(), {groups, static_cast<int64_t>(x.scalar_type())});
  at::Tensor packed = packedWeight(w, key, [&] { return packWeight(x, castTo(w, dtype), stride, padding, dilation, groups); });
  return fusedKernel(x, packed, castTo(b, dtype), stride, padding, dilation, groups);
}

// With autograd recording: the fused primitive with ReLU's and the convolution's backward, the
// weights' cast to `dtype` recorded too. Elsewhere the unfused ops, with their own autograd.
at::Tensor autogradKernel(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                          at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups, c10::optional<at::ScalarType> dtype) {
  if (!autogradRecords(x, w, b)) {
    at::AutoDispatchBelowADInplaceOrView below;
    return inferenceKernel(x, w, b, stride, padding, dilation, groups, dtype);
  }
  at::Tensor weight = castTo(w, dtype);
  c10::optional<at::Tensor> bias = castTo(b, dtype);
  if (!fusable(x, weight, bias, c10::nullopt)) return unfused(x, weight, bias, stride, padding, dilation, groups);
  // Without a bias, a zero one (exact: x + 0 is x), which needs no gradient: autograd's
  // Function takes no undefined tensor argument.
  at::Tensor zeroOrBias = bias ? *bias : at::zeros({weight.size(0)}, weight.options().requires_grad(false));
  return ConvRelu::apply(x, weight, zeroOrBias, stride.vec(), padding.vec(), dilation.vec(), groups);
}

// Under autocast: x cast as autocast casts a convolution's input; the weights' cast is the
// operator's own (dtype), so that a packed copy outlives a step (autocast.h).
at::Tensor autocastKernel(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                          at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups, c10::optional<at::ScalarType> dtype) {
  AutocastInputs cast(x);
  return conv2dRelu(cast(x), w, b, stride, padding, dilation, groups, cast.weightDtype(w, dtype));
}

}  // namespace

// An operator, not a plain function: the tracer records it in a step's graph, and the replay
// dispatches it, with its autograd, like any aten op.
TORCH_LIBRARY(torchlet, m) {
  m.def(
      "conv2d_relu(Tensor x, Tensor w, Tensor? b, int[] stride, int[] padding, int[] dilation, int groups, ScalarType? dtype=None) -> "
      "Tensor");
}
TORCH_LIBRARY_IMPL(torchlet, CompositeExplicitAutograd, m) { m.impl("conv2d_relu", TORCH_FN(inferenceKernel)); }
TORCH_LIBRARY_IMPL(torchlet, Autograd, m) { m.impl("conv2d_relu", TORCH_FN(autogradKernel)); }
TORCH_LIBRARY_IMPL(torchlet, AutocastCPU, m) { m.impl("conv2d_relu", TORCH_FN(autocastKernel)); }
TORCH_LIBRARY_IMPL(torchlet, AutocastCUDA, m) { m.impl("conv2d_relu", TORCH_FN(autocastKernel)); }

bool hasFusedConvolution() { return fusedConvolution().has_value(); }

at::Tensor conv2dRelu(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                      at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups, c10::optional<at::ScalarType> dtype) {
  static const auto op = c10::Dispatcher::singleton()
                             .findSchemaOrThrow("torchlet::conv2d_relu", "")
                             .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const c10::optional<at::Tensor>&, at::IntArrayRef,
                                               at::IntArrayRef, at::IntArrayRef, int64_t, c10::optional<at::ScalarType>)>();
  return op.call(x, w, b, stride, padding, dilation, groups, dtype);
}

}  // namespace torchlet
