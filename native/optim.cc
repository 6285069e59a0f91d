#include "optim.h"

#include <ATen/core/grad_mode.h>
#include <torch/version.h>

#include <cmath>
#include <mutex>
#include <unordered_set>

#include "args.h"
#include "convert.h"
#include "errors.h"
#include "instance.h"
#include "tensor.h"

namespace torchlet {
namespace {

// The entries of `all` at `index`, creating each missing one as zeros shaped like `like`.
std::vector<at::Tensor> select(std::vector<at::Tensor>& all, const std::vector<size_t>& index, const std::vector<at::Tensor>& like) {
  std::vector<at::Tensor> out;
  out.reserve(index.size());
  for (size_t k = 0; k < index.size(); ++k) {
    at::Tensor& t = all[index[k]];
    if (!t.defined()) t = at::zeros_like(like[k], at::MemoryFormat::Preserve);
    out.push_back(t);
  }
  return out;
}

std::vector<at::Scalar> scalars(const std::vector<double>& values) { return {values.begin(), values.end()}; }

// Every live optimizer, for memory(): worker threads each load the addon, so it is shared and locked.
std::mutex registryMutex;
std::unordered_set<const OptimizerHandle*> registry;

}  // namespace

template <class F>
void OptimizerHandle::forEachStateTensor(F&& f) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  for (const auto* list : {&expAvg_, &expAvgSq_, &maxExpAvgSq_, &momentum_, &stepTensors_}) {
    for (const at::Tensor& t : *list) {
      if (t.defined()) f(t);
    }
  }
}

OptimizerStateTotals optimizerStateTotals() {
  OptimizerStateTotals totals;
  std::lock_guard<std::mutex> lock(registryMutex);
  for (const OptimizerHandle* h : registry) {
    h->forEachStateTensor([&](const at::Tensor& t) {
      totals.tensors += 1;
      totals.bytes += static_cast<int64_t>(t.nbytes());
    });
  }
  return totals;
}

void OptimizerHandle::dispose() {
  std::lock_guard<std::mutex> lock(registryMutex);      // memory() may be reading the state
  std::lock_guard<std::recursive_mutex> state(mutex_);  // and a step may be running
  for (auto* list : {&params_, &stepTensors_, &expAvg_, &expAvgSq_, &maxExpAvgSq_, &momentum_}) std::vector<at::Tensor>().swap(*list);
  handles_.clear();
  steps_.clear();
  disposed_ = true;
}

void OptimizerHandle::registerClass(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "OptimizerHandle", {});
  instanceData(env).optimizerClass = Napi::Persistent(cls);
}

OptimizerHandle* OptimizerHandle::unwrap(const Napi::Value& value) {
  return unwrapInstance<OptimizerHandle>(value, instanceData(value.Env()).optimizerClass);
}

OptimizerHandle::OptimizerHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OptimizerHandle>(info) {
  requireFactory(info, "OptimizerHandle", "optimizer()");
  std::lock_guard<std::mutex> lock(registryMutex);
  registry.insert(this);
}

OptimizerHandle::~OptimizerHandle() {
  std::lock_guard<std::mutex> lock(registryMutex);
  registry.erase(this);
}

// optimizer(kind, params, options)
void OptimizerHandle::init(Args& a) {
  std::string kind = a.string(0, "kind");
  if (kind == "adam")
    kind_ = Kind::Adam;
  else if (kind == "adamw")
    kind_ = Kind::AdamW;
  else if (kind == "sgd")
    kind_ = Kind::SGD;
  else
    throw ArgRangeError("unknown optimizer '" + kind + "' (expected 'adam', 'adamw' or 'sgd')");
  if (kind_ == Kind::AdamW) o_.weightDecay = 1e-2;  // PyTorch's AdamW default
  std::vector<Napi::Object> objects;
  params_ = a.tensors(1, "params", &objects);
  if (params_.empty()) throw ArgRangeError("needs at least one parameter");
  std::unordered_set<const void*> seen;
  for (size_t k = 0; k < params_.size(); ++k) {
    const at::Tensor& p = params_[k];
    std::string which = "parameter " + std::to_string(k) + " (" + describeTensor(p) + ")";
    if (!p.requires_grad()) throw ArgRangeError(which + " does not require grad");
    if (!p.is_leaf()) throw ArgRangeError(which + " is not a leaf tensor: pass the weights themselves, not a result computed from them");
    if (!seen.insert(p.unsafeGetTensorImpl()).second) throw ArgRangeError(which + " appears twice");
    if (p.device() != params_[0].device()) {
      throw ArgRangeError(which + " is on another device than parameter 0 (" + deviceName(params_[0].device()) + ")");
    }
    handles_.push_back(Napi::Persistent(objects[k]));
  }
  configure(a, 2);
  steps_.assign(params_.size(), 0);
  stepTensors_.resize(params_.size());
  expAvg_.resize(params_.size());
  expAvgSq_.resize(params_.size());
  maxExpAvgSq_.resize(params_.size());
  momentum_.resize(params_.size());
}

void OptimizerHandle::configure(const Args& a, size_t i) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  Options o = o_;
  o.lr = a.optionNumber(i, "learningRate", o.lr);
  o.beta1 = a.optionNumber(i, "beta1", o.beta1);
  o.beta2 = a.optionNumber(i, "beta2", o.beta2);
  o.eps = a.optionNumber(i, "epsilon", o.eps);
  o.weightDecay = a.optionNumber(i, "weightDecay", o.weightDecay);
  o.amsgrad = a.optionFlag(i, "amsgrad", o.amsgrad);
  o.momentum = a.optionNumber(i, "momentum", o.momentum);
  o.dampening = a.optionNumber(i, "dampening", o.dampening);
  o.nesterov = a.optionFlag(i, "nesterov", o.nesterov);
  auto check = [](bool ok, const std::string& what) {
    if (!ok) throw ArgRangeError(what);
  };
  check(o.lr >= 0, "learningRate must be >= 0, got " + formatNumber(o.lr));
  check(o.beta1 >= 0 && o.beta1 < 1, "beta1 must be in [0, 1), got " + formatNumber(o.beta1));
  check(o.beta2 >= 0 && o.beta2 < 1, "beta2 must be in [0, 1), got " + formatNumber(o.beta2));
  check(o.eps >= 0, "epsilon must be >= 0, got " + formatNumber(o.eps));
  check(o.weightDecay >= 0, "weightDecay must be >= 0, got " + formatNumber(o.weightDecay));
  check(o.momentum >= 0, "momentum must be >= 0, got " + formatNumber(o.momentum));
  check(!o.nesterov || (o.momentum > 0 && o.dampening == 0), "nesterov needs momentum > 0 and dampening 0");
  o_ = o;
}

Napi::Object OptimizerHandle::options(Napi::Env env) const {
  Napi::Object out = Napi::Object::New(env);
  out.Set("learningRate", o_.lr);
  out.Set("weightDecay", o_.weightDecay);
  if (kind_ == Kind::SGD) {
    out.Set("momentum", o_.momentum);
    out.Set("dampening", o_.dampening);
    out.Set("nesterov", o_.nesterov);
  } else {
    out.Set("beta1", o_.beta1);
    out.Set("beta2", o_.beta2);
    out.Set("epsilon", o_.eps);
    out.Set("amsgrad", o_.amsgrad);
  }
  return out;
}

void OptimizerHandle::checkUsable() const {
  if (disposed_) throw ArgTypeError("the optimizer was disposed");
  for (size_t k = 0; k < handles_.size(); ++k) {
    TensorHandle* h = TensorHandle::unwrap(handles_[k].Value());
    if (h == nullptr || h->disposed()) {
      throw OpError("parameter " + std::to_string(k) + " (" + describeTensor(params_[k]) +
                    ") was disposed; the optimizer can no longer update it");
    }
  }
}

OptimizerHandle::Batch OptimizerHandle::gather() {
  Batch b;
  for (size_t k = 0; k < params_.size(); ++k) {
    const at::Tensor& g = params_[k].grad();
    if (!g.defined()) continue;  // as PyTorch: a parameter without a gradient is left alone
    b.index.push_back(k);
    b.params.push_back(params_[k]);
    b.grads.push_back(g);
  }
  return b;
}

void OptimizerHandle::stepUnchecked() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (disposed_) throw OpError("the optimizer was disposed during the step");
  at::NoGradGuard noGrad;  // the updates are in place on leaves that require grad
  Batch b = gather();
  if (b.params.empty()) return;
  if (kind_ == Kind::SGD)
    sgdStep(b);
  else
    adamStep(b);
}

void OptimizerHandle::adamStep(Batch& b) {
  const Options& o = o_;
  std::vector<at::Tensor> m = select(expAvg_, b.index, b.params);
  std::vector<at::Tensor> v = select(expAvgSq_, b.index, b.params);
  std::vector<at::Tensor> vmax = o.amsgrad ? select(maxExpAvgSq_, b.index, b.params) : std::vector<at::Tensor>{};
  if (kind_ == Kind::AdamW && o.weightDecay != 0) at::_foreach_mul_(b.params, 1 - o.lr * o.weightDecay);
  double l2 = kind_ == Kind::Adam ? o.weightDecay : 0.0;

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
    // The fused kernels walk a parameter, its gradient and its moments as flat memory, so the
    // gradient must be laid out as the parameter (a convolution's comes channels-last).
    for (size_t i = 0; i < b.grads.size(); ++i)
      if (b.grads[i].strides() != b.params[i].strides()) b.grads[i] = at::empty_like(b.params[i]).copy_(b.grads[i]);
    at::_fused_adam_(b.params, b.grads, m, v, vmax, steps, o.lr, o.beta1, o.beta2, l2, o.eps, o.amsgrad, /*maximize=*/false);
    // The op does not count as a write to the parameters' version counters, which tell caches
    // keyed on a weight (packed copies for oneDNN) that it changed.
    for (at::Tensor& p : b.params) p.unsafeGetTensorImpl()->bump_version();
    return;
  }
  for (size_t k : b.index) ++steps_[k];
  // The foreach path, in the same order of operations as torch.optim.Adam(foreach=True) of the
  // same release: 2.x moves the first moment with one lerp, 1.13 with a multiply and an add.
  std::vector<at::Tensor> grads = l2 != 0 ? at::_foreach_add(b.grads, b.params, l2) : b.grads;
#if TORCH_VERSION_MAJOR >= 2
  at::_foreach_lerp_(m, grads, 1 - o.beta1);
#else
  at::_foreach_mul_(m, o.beta1);
  at::_foreach_add_(m, grads, 1 - o.beta1);
#endif
  at::_foreach_mul_(v, o.beta2);
  at::_foreach_addcmul_(v, grads, grads, 1 - o.beta2);
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

void OptimizerHandle::sgdStep(Batch& b) {
  const Options& o = o_;
  for (size_t k : b.index) ++steps_[k];
  std::vector<at::Tensor> updates = o.weightDecay != 0 ? at::_foreach_add(b.grads, b.params, o.weightDecay) : b.grads;
  if (o.momentum != 0) {
    std::vector<at::Tensor> bufs;
    std::vector<at::Tensor> existing, existingUpdates;
    for (size_t k = 0; k < b.index.size(); ++k) {
      at::Tensor& buf = momentum_[b.index[k]];
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

void OptimizerHandle::zeroGrad(bool setToNone) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (setToNone) {
    for (at::Tensor& p : params_) p.mutable_grad().reset();
    return;
  }
  std::vector<at::Tensor> grads;
  for (at::Tensor& p : params_) {
    if (p.grad().defined()) grads.push_back(p.mutable_grad());
  }
  if (!grads.empty()) at::_foreach_zero_(grads);
}

Napi::Object OptimizerHandle::exportState(const Args& a) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  Napi::Env env = a.env();
  Napi::Object out = Napi::Object::New(env);
  Napi::Array steps = Napi::Array::New(env, steps_.size());
  for (size_t k = 0; k < steps_.size(); ++k) {
    // On CUDA the device holds the count (reading it is a sync; checkpoints are rare).
    double count = stepTensors_[k].defined() ? stepTensors_[k].item<double>() : static_cast<double>(steps_[k]);
    steps.Set(static_cast<uint32_t>(k), count);
  }
  out.Set("steps", steps);
  Napi::Object buffers = Napi::Object::New(env);
  auto put = [&](const char* name, const std::vector<at::Tensor>& list) {
    std::vector<at::Tensor> copies;
    copies.reserve(list.size());
    for (const at::Tensor& t : list) copies.push_back(t.defined() ? t.detach().clone() : at::Tensor());
    buffers.Set(name, a.wrap(copies));
  };
  if (kind_ == Kind::SGD) {
    put("momentum", momentum_);
  } else {
    put("expAvg", expAvg_);
    put("expAvgSq", expAvgSq_);
    if (o_.amsgrad) put("maxExpAvgSq", maxExpAvgSq_);
  }
  out.Set("buffers", buffers);
  return out;
}

// importState(self, { steps: number[], buffers: { name: (Tensor | null)[] } })
void OptimizerHandle::importState(Args& a) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (!a[1].IsObject()) throw ArgTypeError("argument 'state' must be an object");
  auto state = a[1].As<Napi::Object>();
  Napi::Value stepsValue = state.Get("steps");
  Napi::Value buffersValue = state.Get("buffers");
  if (!stepsValue.IsArray() || !buffersValue.IsObject())
    throw ArgTypeError("'state' must have 'steps' (an array) and 'buffers' (an object)");
  // Each array is read once, its length first: a getter can run JS that changes it while it is read.
  auto steps = stepsValue.As<Napi::Array>();
  const uint32_t count = steps.Length();
  if (count != params_.size()) {
    throw ArgRangeError("state has " + std::to_string(count) + " step counts for " + std::to_string(params_.size()) + " parameters");
  }
  std::vector<int64_t> newSteps;
  newSteps.reserve(count);
  for (uint32_t k = 0; k < count; ++k) {
    Napi::Value s = steps.Get(k);
    double d = s.IsNumber() ? s.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d <= 9007199254740991.0 && std::trunc(d) == d)) throw ArgRangeError("state.steps must hold non-negative integers");
    newSteps.push_back(static_cast<int64_t>(d));
  }
  auto buffers = buffersValue.As<Napi::Object>();
  auto take = [&](const char* name) {
    Napi::Value list = buffers.Get(name);
    std::vector<at::Tensor> out(params_.size());
    if (list.IsUndefined()) return out;
    if (!list.IsArray() || list.As<Napi::Array>().Length() != params_.size()) {
      throw ArgRangeError(std::string("state.buffers.") + name + " must be an array of " + std::to_string(params_.size()) + " entries");
    }
    auto array = list.As<Napi::Array>();
    for (size_t k = 0; k < out.size(); ++k) {
      Napi::Value v = array.Get(static_cast<uint32_t>(k));
      if (v.IsNull() || v.IsUndefined()) continue;
      TensorHandle* h = TensorHandle::unwrap(v);
      if (h == nullptr || h->disposed())
        throw ArgTypeError(std::string("state.buffers.") + name + "[" + std::to_string(k) + "] must be a live Tensor or null");
      if (!h->tensor().sizes().equals(params_[k].sizes())) {
        throw ArgRangeError(std::string("state.buffers.") + name + "[" + std::to_string(k) + "] has shape " +
                            formatShape(h->tensor().sizes()) + " but parameter " + std::to_string(k) + " has " +
                            formatShape(params_[k].sizes()));
      }
      out[k] = h->tensor().detach().to(params_[k].options(), false, true);
    }
    return out;
  };
  if (kind_ == Kind::SGD) {
    momentum_ = take("momentum");
  } else {
    std::vector<at::Tensor> m = take("expAvg"), v = take("expAvgSq"), vmax = take("maxExpAvgSq");
    expAvg_ = std::move(m);
    expAvgSq_ = std::move(v);
    maxExpAvgSq_ = std::move(vmax);
  }
  steps_ = std::move(newSteps);
  stepTensors_.assign(params_.size(), at::Tensor());  // recreated from steps_ at the next CUDA step
}

void registerOptim(Napi::Env env, Napi::Object exports) {
  OptimizerHandle::registerClass(env, exports);
  auto any = [](const Args& a) {
    OptimizerHandle* h = OptimizerHandle::unwrap(a[0]);
    if (h == nullptr) throw ArgTypeError("argument 'self' must be an optimizer");
    return h;
  };
  auto self = [any](const Args& a) {
    OptimizerHandle* h = any(a);
    if (h->disposed()) throw ArgTypeError("the optimizer was disposed");
    return h;
  };
  bind(exports, "optimizerDispose", [any](Args& a) {
    any(a)->dispose();  // a second dispose does nothing more
    return a.undefined();
  });
  bind(exports, "optimizer", [](Args& a) {
    Napi::Object object = instanceData(a.env()).optimizerClass.New({factoryToken(a.env())});
    OptimizerHandle::Unwrap(object)->init(a);
    return object;
  });
  bind(exports, "optimizerStep", [self](Args& a) {
    self(a)->step();
    return a.undefined();
  });
  bind(exports, "optimizerZeroGrad", [self](Args& a) {
    self(a)->zeroGrad(a.boolean(1, "setToNone", true));
    return a.undefined();
  });
  bind(exports, "optimizerConfigure", [self](Args& a) {
    self(a)->configure(a, 1);
    return a.undefined();
  });
  bind(exports, "optimizerOptions", [self](Args& a) { return self(a)->options(a.env()); });
  bind(exports, "optimizerExportState", [self](Args& a) { return self(a)->exportState(a); });
  bind(exports, "optimizerImportState", [self](Args& a) {
    self(a)->importState(a);
    return a.undefined();
  });
}

}  // namespace torchlet
