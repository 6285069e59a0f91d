// Activations: relu, sigmoid, tanh, selu, silu, gelu, elu, leakyRelu, softplus, softmax, logSoftmax.
#include "args.h"
#include "convert.h"
#include "errors.h"
#include "ops.h"

namespace torchlet {

void registerActivations(Napi::Env env, Napi::Object exports) {
  bindUnary(exports, "relu", at::relu, "input");
  bindUnary(exports, "sigmoid", at::sigmoid, "input");
  bindUnary(exports, "tanh", at::tanh, "input");
  bindUnary(exports, "selu", at::selu, "input");
  bindUnary(exports, "silu", at::silu, "input");
  bind(exports, "gelu", [](Args& a) {
    std::string approximate = a.has(1) ? a.string(1, "approximate") : "none";
    if (approximate != "none" && approximate != "tanh") {
      throw ArgRangeError("unknown approximate '" + approximate + "' (expected 'none' or 'tanh')");
    }
    return a.wrap(at::gelu(a.tensor(0, "input"), approximate));
  });
  bind(exports, "elu", [](Args& a) { return a.wrap(at::elu(a.tensor(0, "input"), a.has(1) ? a.number(1, "alpha") : 1.0)); });
  bind(exports, "leakyRelu",
       [](Args& a) { return a.wrap(at::leaky_relu(a.tensor(0, "input"), a.has(1) ? a.number(1, "negativeSlope") : 0.01)); });
  bind(exports, "softplus", [](Args& a) { return a.wrap(at::softplus(a.tensor(0, "input"))); });
  bind(exports, "softmax", [](Args& a) { return a.wrap(at::softmax(a.tensor(0, "input"), a.integer(1, "dim", -1))); });
  bind(exports, "logSoftmax", [](Args& a) { return a.wrap(at::log_softmax(a.tensor(0, "input"), a.integer(1, "dim", -1))); });
}

}  // namespace torchlet
