#include "autograd.h"

#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/function.h>

#include "args.h"
#include "convert.h"
#include "errors.h"

namespace torchlet {

void registerAutograd(Napi::Env env, Napi::Object exports) {
  bind(exports, "setGradEnabled", [](Args& a) {
    at::GradMode::set_enabled(a.boolean(0, "enabled", true));
    return a.undefined();
  });
  bind(exports, "isGradEnabled", [](Args& a) { return Napi::Boolean::New(a.env(), at::GradMode::is_enabled()); });

  bind(exports, "requiresGrad", [](Args& a) { return Napi::Boolean::New(a.env(), a.tensor(0, "self").requires_grad()); });
  bind(exports, "setRequiresGrad", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    bool flag = a.boolean(1, "requiresGrad", true);
    if (flag && !at::isFloatingType(self.scalar_type())) {
      throw ArgTypeError(std::string("only floating-point tensors can require grad, got ") + dtypeName(self.scalar_type()));
    }
    if (!self.is_leaf()) {
      throw ArgRangeError("requiresGrad can only be changed on a leaf tensor; use detach() to get one");
    }
    self.set_requires_grad(flag);
    return a.undefined();
  });
  bind(exports, "isLeaf", [](Args& a) { return Napi::Boolean::New(a.env(), a.tensor(0, "self").is_leaf()); });
  bind(exports, "gradFn", [](Args& a) -> Napi::Value {
    const auto& fn = a.tensor(0, "self").grad_fn();
    if (!fn) return a.env().Null();
    return Napi::String::New(a.env(), fn->name());
  });
  bind(exports, "grad", [](Args& a) { return a.wrap(a.tensor(0, "self").grad()); });
  bind(exports, "setGrad", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    c10::optional<at::Tensor> grad = a.optionalTensor(1, "grad");
    if (grad && !grad->sizes().equals(self.sizes())) {
      throw ArgRangeError("grad of shape " + formatShape(grad->sizes()) + " does not match the tensor's " + formatShape(self.sizes()));
    }
    // As PyTorch's .grad setter: a gradient of another dtype or device would be used by the
    // optimizer as is (an int grad, or a float64 one that trips an internal assert).
    if (grad && grad->scalar_type() != self.scalar_type()) {
      throw ArgTypeError(std::string("grad of dtype ") + dtypeName(grad->scalar_type()) + " does not match the tensor's " +
                         dtypeName(self.scalar_type()));
    }
    if (grad && grad->device() != self.device()) {
      throw ArgTypeError("grad on " + grad->device().str() + " does not match the tensor's device " + self.device().str());
    }
    self.mutable_grad() = grad ? grad->detach() : at::Tensor();
    return a.undefined();
  });
  bind(exports, "zeroGrad", [](Args& a) {
    a.tensor(0, "self").mutable_grad().reset();
    return a.undefined();
  });
  bind(exports, "retainGrad", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    if (!self.requires_grad()) throw ArgRangeError("retainGrad() on a tensor that does not require grad");
    self.retain_grad();
    return a.undefined();
  });
  bind(exports, "detach", [](Args& a) { return a.wrap(a.tensor(0, "self").detach()); });

  // backward(self, gradient?, retainGraph): accumulates into the .grad of the leaves.
  bind(exports, "backward", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    c10::optional<at::Tensor> gradient = a.optionalTensor(1, "gradient");
    bool retainGraph = a.boolean(2, "retainGraph", false);
    if (!self.requires_grad()) {
      throw ArgRangeError("backward() on a tensor that does not require grad: no input of its computation has requiresGrad");
    }
    if (!gradient && self.numel() != 1) {
      throw ArgRangeError("backward() without a gradient needs a one-element tensor (a loss)");
    }
    if (gradient && !gradient->sizes().equals(self.sizes())) {
      throw ArgRangeError("gradient of shape " + formatShape(gradient->sizes()) + " does not match the tensor's " +
                          formatShape(self.sizes()));
    }
    // Autograd runs even when the caller is inside noGrad(): the graph was recorded already.
    at::AutoGradMode enable(true);
    self.backward(gradient ? *gradient : at::Tensor(), retainGraph);
    return a.undefined();
  });
}

}  // namespace torchlet
