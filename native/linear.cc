// linear (Dense).
#include "args.h"
#include "convert.h"
#include "errors.h"
#include "linear-relu.h"
#include "ops.h"

namespace torchlet {
namespace {

// input @ weightᵀ + bias as oneDNN's 1x1 convolution of the rows.
at::Tensor linearViaConv(const at::Tensor& input, const at::Tensor& weight, const c10::optional<at::Tensor>& bias) {
  at::Tensor rows = input.reshape({-1, input.size(-1), 1, 1});
  return at::conv2d(rows, weight.view({weight.size(0), weight.size(1), 1, 1}), bias).view(linearOutputShape(input, weight));
}

}  // namespace

void registerLinear(Napi::Env env, Napi::Object exports) {
  // linear(input, weight, bias?, kernel, activation): kernel 'blas' is torch.nn.functional.linear;
  // 'auto' also allows oneDNN's 1x1 convolution, which replaces the matmul where libtorch has no
  // MKL (a reference BLAS, as in Debian's libtorch, is an order of magnitude slower than oneDNN
  // there), and with activation 'relu' oneDNN's fused inner product (linear-relu.h).
  bind(exports, "linear", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    at::Tensor weight = a.tensor(1, "weight");
    c10::optional<at::Tensor> bias = a.optionalTensor(2, "bias");
    std::string kernel = a.has(3) ? a.string(3, "kernel") : "blas";
    if (kernel != "blas" && kernel != "auto") throw ArgRangeError("unknown kernel '" + kernel + "' (expected 'blas' or 'auto')");
    if (weight.dim() != 2) throw ArgRangeError("expects a 2-D [out, in] weight, got " + formatShape(weight.sizes()));
    if (input.dim() < 1 || input.size(-1) != weight.size(1)) {
      throw ArgRangeError("input features (last dim of " + formatShape(input.sizes()) + ") must equal the weight's in-features " +
                          std::to_string(weight.size(1)));
    }
    std::string activation = a.has(4) ? a.string(4, "activation") : "linear";
    if (activation != "linear" && activation != "relu")
      throw ArgRangeError("'activation' must be 'linear' or 'relu', got '" + activation + "'");
    bool relu = activation == "relu";
    bool viaConv = kernel == "auto" && input.is_cpu() && input.scalar_type() == at::kFloat && weight.scalar_type() == at::kFloat &&
                   input.dim() >= 2 && at::hasMKLDNN() && !at::hasMKL();
    if (relu && kernel == "auto" && !viaConv) return a.wrap(linearRelu(input, weight, bias));
    at::Tensor out = viaConv ? linearViaConv(input, weight, bias) : at::linear(input, weight, bias);
    return a.wrap(relu ? at::relu(out) : out);
  });
}

}  // namespace torchlet
