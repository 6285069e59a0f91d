// Batch normalization and dropout.
#include "args.h"
#include "convert.h"
#include "errors.h"
#include "ops.h"

namespace torchlet {

void registerNormalization(Napi::Env env, Napi::Object exports) {
  // batchNorm(input, runningMean?, runningVar?, weight?, bias?, training, momentum, eps): the
  // running statistics are updated in place in training mode (PyTorch's momentum convention).
  bind(exports, "batchNorm", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    c10::optional<at::Tensor> mean = a.optionalTensor(1, "runningMean");
    c10::optional<at::Tensor> var = a.optionalTensor(2, "runningVar");
    c10::optional<at::Tensor> weight = a.optionalTensor(3, "weight");
    c10::optional<at::Tensor> bias = a.optionalTensor(4, "bias");
    bool training = a.boolean(5, "training", false);
    double momentum = a.has(6) ? a.number(6, "momentum") : 0.1;
    double eps = a.has(7) ? a.number(7, "eps") : 1e-5;
    if (input.dim() < 2) throw ArgRangeError("expects an [N, C, ...] input, got " + formatShape(input.sizes()));
    // No channels would be an empty no-op in libtorch; here it is a caller's mistake worth naming.
    if (input.size(1) == 0) throw ArgRangeError("input " + formatShape(input.sizes()) + " has no channels (dim 1 is 0)");
    if (!training && (!mean || !var)) throw ArgRangeError("eval mode needs runningMean and runningVar");
    for (const auto* t : {&mean, &var, &weight, &bias}) {
      if (*t && ((*t)->dim() != 1 || (*t)->size(0) != input.size(1))) {
        throw ArgRangeError("statistics and affine parameters must have shape [" + std::to_string(input.size(1)) + "], got " +
                            formatShape((*t)->sizes()));
      }
    }
    // Values per channel: every dim but the channels' (a product, so that zero channels divide nothing).
    std::vector<int64_t> others(input.sizes().begin(), input.sizes().end());
    others.erase(others.begin() + 1);
    int64_t perChannel = saturatingProduct(others);
    if (training && perChannel < 2) {
      throw ArgRangeError("training needs more than one value per channel, got input " + formatShape(input.sizes()));
    }
    return a.wrap(at::batch_norm(input, weight, bias, mean, var, training, momentum, eps, /*cudnn_enabled=*/true));
  });

  bind(exports, "dropout", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    double p = a.number(1, "rate");
    if (p < 0 || p > 1) throw ArgRangeError("'rate' must be in [0, 1], got " + formatNumber(p));
    return a.wrap(at::dropout(input, p, a.boolean(2, "training", false)));
  });
}

}  // namespace torchlet
