// Losses: cross-entropy (class indices or probabilities), NLL, binary cross-entropy (on probabilities or logits) and MSE.
#include <ATen/core/Reduction.h>

#include "args.h"
#include "convert.h"
#include "errors.h"
#include "ops.h"

namespace torchlet {
namespace {

int64_t reduction(const Args& a, size_t i) {
  if (!a.has(i)) return at::Reduction::Mean;
  std::string name = a.string(i, "reduction");
  if (name == "mean") return at::Reduction::Mean;
  if (name == "sum") return at::Reduction::Sum;
  if (name == "none") return at::Reduction::None;
  throw ArgRangeError("unknown reduction '" + name + "' (expected 'mean', 'sum' or 'none')");
}

// Class-index targets: integral (widened to int64), one per row of the input, within [0, classes).
// On CUDA the range check costs a host sync, so callers that validated their labels once may skip it.
at::Tensor classTargets(const at::Tensor& input, const at::Tensor& target, bool checkRange) {
  if (input.dim() < 1 || input.dim() > 2) {
    throw ArgRangeError("expects a 2-D [N, classes] (or 1-D [classes]) input, got " + formatShape(input.sizes()));
  }
  if (!at::isIntegralType(target.scalar_type(), /*includeBool=*/false)) {
    throw ArgTypeError(std::string("labels must be integer class indices, got ") + dtypeName(target.scalar_type()) +
                       " (for one-hot or probability targets use categorical cross-entropy)");
  }
  int64_t rows = input.dim() == 2 ? input.size(0) : 1;
  if (target.dim() != input.dim() - 1 || (input.dim() == 2 && target.size(0) != rows)) {
    throw ArgRangeError("expects " + std::to_string(rows) + " labels for input " + formatShape(input.sizes()) + ", got labels of shape " +
                        formatShape(target.sizes()));
  }
  at::Tensor labels = target.scalar_type() == at::kLong ? target : target.to(at::kLong);
  int64_t classes = input.size(-1);
  if (checkRange && labels.numel() > 0) {
    auto [lo, hi] = at::aminmax(labels);
    auto low = lo.item<int64_t>();
    auto high = hi.item<int64_t>();
    if (low < 0 || high >= classes) {
      throw ArgRangeError("label " + std::to_string(low < 0 ? low : high) + " is out of range for " + std::to_string(classes) + " classes");
    }
  }
  return labels;
}

void requireSameShape(const at::Tensor& input, const at::Tensor& target) {
  if (!input.sizes().equals(target.sizes())) {
    throw ArgRangeError("input and target must have the same shape, got " + formatShape(input.sizes()) + " and " +
                        formatShape(target.sizes()));
  }
}

}  // namespace

void registerLosses(Napi::Env env, Napi::Object exports) {
  // crossEntropy(input, target, reduction, labelSmoothing, checkLabels): integer class targets, or
  // probabilities of the input's shape.
  bind(exports, "crossEntropy", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    at::Tensor target = a.tensor(1, "target");
    double smoothing = a.has(3) ? a.number(3, "labelSmoothing") : 0.0;
    if (smoothing < 0 || smoothing > 1) throw ArgRangeError("'labelSmoothing' must be in [0, 1], got " + formatNumber(smoothing));
    if (at::isFloatingType(target.scalar_type())) {
      requireSameShape(input, target);
    } else {
      target = classTargets(input, target, a.boolean(4, "checkLabels", true));
    }
    return a.wrap(at::cross_entropy_loss(input, target, c10::nullopt, reduction(a, 2), -100, smoothing));
  });
  bind(exports, "nll", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    at::Tensor target = classTargets(input, a.tensor(1, "target"), a.boolean(3, "checkLabels", true));
    return a.wrap(at::nll_loss(input, target, c10::nullopt, reduction(a, 2)));
  });
  bind(exports, "binaryCrossEntropy", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    at::Tensor target = a.tensor(1, "target");
    requireSameShape(input, target);
    return a.wrap(at::binary_cross_entropy(input, target.to(input.scalar_type()), c10::nullopt, reduction(a, 2)));
  });
  bind(exports, "binaryCrossEntropyWithLogits", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    at::Tensor target = a.tensor(1, "target");
    requireSameShape(input, target);
    return a.wrap(at::binary_cross_entropy_with_logits(input, target.to(input.scalar_type()), c10::nullopt, c10::nullopt, reduction(a, 2)));
  });
  bind(exports, "mse", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    at::Tensor target = a.tensor(1, "target");
    requireSameShape(input, target);
    return a.wrap(at::mse_loss(input, target, reduction(a, 2)));
  });
}

}  // namespace torchlet
