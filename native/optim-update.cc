// The optimizers' updates, over the parameters that have a gradient this step. Keras's kinds
// compute Keras 3's formulas (keras/src/optimizers/*.py) with the step count of the whole
// optimizer; the Torch kinds compute torch.optim's in the same order of operations.
#include <ATen/ATen.h>
#include <torch/version.h>

#include <cmath>

#include "optim.h"

namespace torchlet {
namespace {

std::vector<at::Scalar> scalars(const std::vector<double>& values) { return {values.begin(), values.end()}; }

// m += (g - m) * (1 - beta), Keras's moving average (a lerp; 1.13 has no foreach lerp).
void movingAverage(std::vector<at::Tensor>& m, const std::vector<at::Tensor>& g, double beta) {
#if TORCH_VERSION_MAJOR >= 2
  at::_foreach_lerp_(m, g, 1 - beta);
#else
  at::_foreach_mul_(m, beta);
  at::_foreach_add_(m, g, 1 - beta);
#endif
}

// v = beta * v + (1 - beta) * g², the moving average of squared gradients.
void squaredAverage(std::vector<at::Tensor>& v, const std::vector<at::Tensor>& g, double beta) {
  at::_foreach_mul_(v, beta);
  at::_foreach_addcmul_(v, g, g, 1 - beta);
}

// The fused kernel's gradients must be laid out as their parameters: it walks both as flat
// memory (a convolution's gradient comes channels-last).
void matchLayouts(std::vector<at::Tensor>& grads, const std::vector<at::Tensor>& params) {
  for (size_t i = 0; i < grads.size(); ++i)
    if (grads[i].strides() != params[i].strides()) grads[i] = at::empty_like(params[i]).copy_(grads[i]);
}

// The fused kernel does not count as a write to the parameters' version counters, which tell
// caches keyed on a weight (packed copies for oneDNN) that it changed.
void bumpVersions(std::vector<at::Tensor>& params) {
  for (at::Tensor& p : params) p.unsafeGetTensorImpl()->bump_version();
}

// A step count at which beta^t is 0 for every beta < 1, so that the fused kernel's bias
// corrections are exactly 1.
constexpr double kNoBiasCorrectionStep = 1e30;

}  // namespace

double nadamMomentum(double beta1, int64_t t) { return beta1 * (1 - 0.5 * std::pow(0.96, static_cast<double>(t))); }

double nadamScheduleProduct(double beta1, int64_t steps) {
  // 0.96^t is 0 in double from t = 20,000 on; after that each factor is beta1 itself.
  constexpr int64_t kLast = 20000;
  double product = 1;
  for (int64_t t = 1; t <= std::min(steps, kLast); ++t) product *= nadamMomentum(beta1, t);
  if (steps > kLast) product *= std::pow(beta1, static_cast<double>(steps - kLast));
  return product;
}

// Keras 3 applies weight_decay to every optimizer this way: w -= w * wd * lr, before the update.
void OptimizerHandle::applyDecoupledWeightDecay(Batch& b) {
  if (o_.weightDecay != 0) at::_foreach_mul_(b.params, 1 - o_.lr * o_.weightDecay);
}

// Keras: alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t); w -= alpha * m / (sqrt(v) + eps). That is
// PyTorch's formula with epsilon added to sqrt(v) instead of sqrt(v̂), so the fused kernel computes
// it with alpha as its learning rate and bias corrections of 1.
void OptimizerHandle::kerasAdamStep(Batch& b) {
  const Options& o = o_;
  std::vector<at::Tensor> m = slot(0, b), v = slot(1, b), vhat = o.amsgrad ? slot(2, b) : std::vector<at::Tensor>{};
  auto t = static_cast<double>(iterations_);
  double alpha = o.lr * std::sqrt(1 - std::pow(o.beta2, t)) / (1 - std::pow(o.beta1, t));
#ifdef TORCHLET_FUSED_ADAM
  const at::Tensor& p0 = b.params[0];
  if (!noBiasCorrection_.defined()) noBiasCorrection_ = at::full({}, kNoBiasCorrectionStep, p0.options().dtype(at::kFloat));
  std::vector<at::Tensor> steps(b.params.size(), noBiasCorrection_);
  matchLayouts(b.grads, b.params);
  if (p0.is_cuda()) {
    // On the device, alpha comes from the device step count (stepUnchecked() advances it), so
    // that a CUDA graph replaying this step computes each step's alpha (a host number would be
    // frozen into the graph).
    at::Tensor alphaOnDevice =
        at::sqrt(at::pow(o.beta2, iterationTensor_).neg_().add_(1)).div_(at::pow(o.beta1, iterationTensor_).neg_().add_(1)).mul_(o.lr);
    at::_fused_adam_(b.params, b.grads, m, v, vhat, steps, alphaOnDevice, o.beta1, o.beta2, 0.0, o.eps, o.amsgrad, false);
  } else {
    at::_fused_adam_(b.params, b.grads, m, v, vhat, steps, alpha, o.beta1, o.beta2, 0.0, o.eps, o.amsgrad, false);
  }
  bumpVersions(b.params);
#else
  movingAverage(m, b.grads, o.beta1);
  squaredAverage(v, b.grads, o.beta2);
  if (o.amsgrad) at::_foreach_maximum_(vhat, v);
  std::vector<at::Tensor> denom = at::_foreach_sqrt(o.amsgrad ? vhat : v);
  at::_foreach_add_(denom, o.eps);
  at::_foreach_addcdiv_(b.params, m, denom, -alpha);
#endif
}

// Keras's velocity form: m = momentum * m - lr * g; w += m (Nesterov: w += momentum * m - lr * g).
// It differs from PyTorch's (buf = momentum * buf + g; w -= lr * buf) when the learning rate changes.
void OptimizerHandle::kerasSgdStep(Batch& b) {
  const Options& o = o_;
  if (o.momentum == 0) return at::_foreach_add_(b.params, b.grads, -o.lr);
  std::vector<at::Tensor> m = slot(0, b);
  at::_foreach_mul_(m, o.momentum);
  at::_foreach_add_(m, b.grads, -o.lr);
  if (!o.nesterov) return at::_foreach_add_(b.params, m);
  at::_foreach_add_(b.params, m, o.momentum);
  at::_foreach_add_(b.params, b.grads, -o.lr);
}

// Keras: v = rho * v + (1 - rho) * g²; w -= lr * g / sqrt(v + eps) (epsilon inside the root;
// centered: v - avg(g)² + eps), through a momentum buffer when momentum > 0.
void OptimizerHandle::rmspropStep(Batch& b) {
  const Options& o = o_;
  std::vector<at::Tensor> v = slot(0, b);
  squaredAverage(v, b.grads, o.rho);
  std::vector<at::Tensor> denom;
  if (o.centered) {
    std::vector<at::Tensor> average = slot(2, b);
    at::_foreach_mul_(average, o.rho);
    at::_foreach_add_(average, b.grads, 1 - o.rho);
    denom = at::_foreach_addcmul(v, average, average, -1);
    at::_foreach_add_(denom, o.eps);
  } else {
    denom = at::_foreach_add(v, o.eps);
  }
  at::_foreach_sqrt_(denom);
  if (o.momentum == 0) return at::_foreach_addcdiv_(b.params, b.grads, denom, -o.lr);
  std::vector<at::Tensor> buffer = slot(1, b);
  at::_foreach_mul_(buffer, o.momentum);
  at::_foreach_addcdiv_(buffer, b.grads, denom, o.lr);
  at::_foreach_sub_(b.params, buffer);
}

// Keras: acc += g²; w -= lr * g / sqrt(acc + eps), acc starting at initialAccumulatorValue.
void OptimizerHandle::adagradStep(Batch& b) {
  std::vector<at::Tensor> acc = slot(0, b);
  at::_foreach_addcmul_(acc, b.grads, b.grads);
  std::vector<at::Tensor> denom = at::_foreach_add(acc, o_.eps);
  at::_foreach_sqrt_(denom);
  at::_foreach_addcdiv_(b.params, b.grads, denom, -o_.lr);
}

// Keras: u = max(beta2 * u, |g|); w -= lr * m / ((1 - beta1^t) * (u + eps)).
void OptimizerHandle::adamaxStep(Batch& b) {
  const Options& o = o_;
  std::vector<at::Tensor> m = slot(0, b), u = slot(1, b);
  movingAverage(m, b.grads, o.beta1);
  at::_foreach_mul_(u, o.beta2);
  at::_foreach_maximum_(u, at::_foreach_abs(b.grads));
  std::vector<at::Tensor> denom = at::_foreach_add(u, o.eps);
  double stepSize = o.lr / (1 - std::pow(o.beta1, static_cast<double>(iterations_)));
  at::_foreach_addcdiv_(b.params, m, denom, -stepSize);
}

// Keras: with the momentum schedule u_t = beta1 * (1 - 0.5 * 0.96^t) and its running product,
// m̂ = u_{t+1} m / (1 - Πu_{t+1}) + (1 - u_t) g / (1 - Πu_t); w -= lr * m̂ / (sqrt(v / (1 - beta2^t)) + eps).
void OptimizerHandle::nadamStep(Batch& b) {
  const Options& o = o_;
  int64_t t = iterations_;
  double ut = nadamMomentum(o.beta1, t), next = nadamMomentum(o.beta1, t + 1);
  nadamUProduct_ *= ut;  // as Keras updates its u_product variable, before the variables
  double product = nadamUProduct_, productNext = product * next;
  std::vector<at::Tensor> m = slot(0, b), v = slot(1, b);
  movingAverage(m, b.grads, o.beta1);
  squaredAverage(v, b.grads, o.beta2);
  std::vector<at::Tensor> mhat = at::_foreach_mul(m, next / (1 - productNext));
  at::_foreach_add_(mhat, b.grads, (1 - ut) / (1 - product));
  std::vector<at::Tensor> denom = at::_foreach_mul(v, 1 / (1 - std::pow(o.beta2, static_cast<double>(t))));
  at::_foreach_sqrt_(denom);
  at::_foreach_add_(denom, o.eps);
  at::_foreach_addcdiv_(b.params, mhat, denom, -o.lr);
}

// Keras: w -= lr * sign(beta1 * m + (1 - beta1) * g); m = beta2 * m + (1 - beta2) * g.
void OptimizerHandle::lionStep(Batch& b) {
  const Options& o = o_;
  std::vector<at::Tensor> m = slot(0, b);
  std::vector<at::Tensor> direction = at::_foreach_mul(m, o.beta1);
  at::_foreach_add_(direction, b.grads, 1 - o.beta1);
  for (at::Tensor& d : direction) d.sign_();
  at::_foreach_add_(b.params, direction, -o.lr);
  at::_foreach_mul_(m, o.beta2);
  at::_foreach_add_(m, b.grads, 1 - o.beta2);
}

// torch.optim.Adam and AdamW.
void OptimizerHandle::torchAdamStep(Batch& b) {
  const Options& o = o_;
  std::vector<at::Tensor> m = slot(0, b), v = slot(1, b), vmax = o.amsgrad ? slot(2, b) : std::vector<at::Tensor>{};
  if (kind_ == Kind::TorchAdamW && o.weightDecay != 0) at::_foreach_mul_(b.params, 1 - o.lr * o.weightDecay);
  double l2 = kind_ == Kind::TorchAdam ? o.weightDecay : 0.0;

  if (b.params[0].is_cuda() || kFusedAdamOnCpu) {
    // One fused kernel for the whole update: one pass over each parameter instead of seven
    // foreach ops, each a parallel region per tensor. Step counts live on the device and are
    // incremented there, so that a CUDA graph replaying this step counts correctly.
    std::vector<at::Tensor> steps;
    for (size_t k : b.index) {
      at::Tensor& t = stepTensors_[k];
      if (!t.defined()) t = at::full({}, static_cast<double>(steps_[k]), b.params[0].options().dtype(at::kFloat));
      steps.push_back(t);
    }
    at::_foreach_add_(steps, 1);
    matchLayouts(b.grads, b.params);
    at::_fused_adam_(b.params, b.grads, m, v, vmax, steps, o.lr, o.beta1, o.beta2, l2, o.eps, o.amsgrad, /*maximize=*/false);
    bumpVersions(b.params);
    return;
  }
  for (size_t k : b.index) ++steps_[k];
  // The same order of operations as torch.optim.Adam(foreach=True) of the same release: 2.x
  // moves the first moment with one lerp, 1.13 with a multiply and an add.
  std::vector<at::Tensor> grads = l2 != 0 ? at::_foreach_add(b.grads, b.params, l2) : b.grads;
  movingAverage(m, grads, o.beta1);
  squaredAverage(v, grads, o.beta2);
  std::vector<double> stepSize, bc2Sqrt;
  for (size_t k : b.index) {
    auto t = static_cast<double>(steps_[k]);
    stepSize.push_back(-o.lr / (1 - std::pow(o.beta1, t)));
    bc2Sqrt.push_back(std::sqrt(1 - std::pow(o.beta2, t)));
  }
  std::vector<at::Tensor> denom;
  if (o.amsgrad) {
    at::_foreach_maximum_(vmax, v);
    denom = at::_foreach_sqrt(vmax);
  } else {
    denom = at::_foreach_sqrt(v);
  }
  at::_foreach_div_(denom, scalars(bc2Sqrt));
  at::_foreach_add_(denom, o.eps);
  at::_foreach_addcdiv_(b.params, m, denom, scalars(stepSize));
}

// torch.optim.SGD: buf = momentum * buf + (1 - dampening) * g (the first step: buf = g); w -= lr * buf.
void OptimizerHandle::torchSgdStep(Batch& b) {
  const Options& o = o_;
  for (size_t k : b.index) ++steps_[k];
  std::vector<at::Tensor> updates = o.weightDecay != 0 ? at::_foreach_add(b.grads, b.params, o.weightDecay) : b.grads;
  if (o.momentum != 0) {
    std::vector<at::Tensor> bufs;
    std::vector<at::Tensor> existing, existingUpdates;
    for (size_t k = 0; k < b.index.size(); ++k) {
      at::Tensor& buf = slots_[0][b.index[k]];
      if (!buf.defined()) {
        buf = updates[k].clone(at::MemoryFormat::Preserve);  // the first step starts the buffer at the gradient
      } else {
        existing.push_back(buf);
        existingUpdates.push_back(updates[k]);
      }
      bufs.push_back(buf);
    }
    if (!existing.empty()) {
      at::_foreach_mul_(existing, o.momentum);
      at::_foreach_add_(existing, existingUpdates, 1 - o.dampening);
    }
    updates = o.nesterov ? at::_foreach_add(updates, bufs, o.momentum) : bufs;
  }
  at::_foreach_add_(b.params, updates, -o.lr);
}

}  // namespace torchlet
