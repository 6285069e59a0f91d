#include "optim.h"

#include <ATen/core/grad_mode.h>
#include <torch/version.h>

#include <algorithm>
#include <array>
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

// Each kind's state buffers by slot (exportState's names; Keras's, in camelCase, for Keras's kinds).
const std::array<std::array<const char*, OptimizerHandle::kSlots>, 10> kSlotNames{{
    {{"momentum", "velocity", "velocityHat"}},      // Adam (Keras)
    {{"momentum", nullptr, nullptr}},               // SGD (Keras)
    {{"velocity", "momentum", "averageGradient"}},  // RMSprop
    {{"accumulator", nullptr, nullptr}},            // Adagrad
    {{"momentum", "norm", nullptr}},                // Adamax
    {{"momentum", "velocity", nullptr}},            // Nadam
    {{"momentum", nullptr, nullptr}},               // Lion
    {{"expAvg", "expAvgSq", "maxExpAvgSq"}},        // Adam (PyTorch)
    {{"expAvg", "expAvgSq", "maxExpAvgSq"}},        // AdamW (PyTorch)
    {{"momentum", nullptr, nullptr}},               // SGD (PyTorch)
}};
const std::array<const char*, 10> kKindNames{"adam",  "sgd",  "rmsprop",    "adagrad",     "adamax",
                                             "nadam", "lion", "torch-adam", "torch-adamw", "torch-sgd"};
constexpr size_t kKindCount = kKindNames.size();

const char* slotName(OptimizerHandle::Kind kind, size_t i) { return kSlotNames[static_cast<size_t>(kind)][i]; }

// Every live optimizer, for memory(): worker threads each load the addon, so it is shared and locked.
std::mutex registryMutex;
std::unordered_set<const OptimizerHandle*> registry;

}  // namespace

template <class F>
void OptimizerHandle::forEachStateTensor(F&& f) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  for (const auto* list : {&slots_[0], &slots_[1], &slots_[2], &stepTensors_}) {
    for (const at::Tensor& t : *list) {
      if (t.defined()) f(t);
    }
  }
  for (const at::Tensor* t : {&iterationTensor_, &noBiasCorrection_}) {
    if (t->defined()) f(*t);
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
  for (auto* list : {&params_, &stepTensors_, &slots_[0], &slots_[1], &slots_[2]}) std::vector<at::Tensor>().swap(*list);
  iterationTensor_ = noBiasCorrection_ = at::Tensor();
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
  size_t k = 0;
  while (k < kKindCount && kind != kKindNames[k]) ++k;
  if (k == kKindCount)
    throw ArgRangeError(
        "unknown optimizer '" + kind +
        "' (expected 'adam', 'sgd', 'rmsprop', 'adagrad', 'adamax', 'nadam', 'lion', 'torch-adam', 'torch-adamw' or 'torch-sgd')");
  kind_ = static_cast<Kind>(k);
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
  for (auto& list : slots_) list.resize(params_.size());
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
  o.rho = a.optionNumber(i, "rho", o.rho);
  o.centered = a.optionFlag(i, "centered", o.centered);
  o.initialAccumulatorValue = a.optionNumber(i, "initialAccumulatorValue", o.initialAccumulatorValue);
  o.schedule = LearningRateSchedule::read(a, i, o.schedule, o.lr);
  auto check = [](bool ok, const std::string& what) {
    if (!ok) throw ArgRangeError(what);
  };
  check(o.lr >= 0, "learningRate must be >= 0, got " + formatNumber(o.lr));
  // Lion's beta1 may be 1 (its update is then the sign of the momentum alone).
  bool lion = kind_ == Kind::Lion;
  check(o.beta1 >= 0 && (o.beta1 < 1 || (lion && o.beta1 == 1)),
        std::string("beta1 must be in [0, ") + (lion ? "1]" : "1)") + ", got " + formatNumber(o.beta1));
  check(o.beta2 >= 0 && o.beta2 < 1, "beta2 must be in [0, 1), got " + formatNumber(o.beta2));
  check(o.eps >= 0, "epsilon must be >= 0, got " + formatNumber(o.eps));
  check(o.weightDecay >= 0, "weightDecay must be >= 0, got " + formatNumber(o.weightDecay));
  check(o.momentum >= 0 && (o.momentum <= 1 || kind_ == Kind::TorchSGD), "momentum must be in [0, 1], got " + formatNumber(o.momentum));
  check(o.dampening == 0 || kind_ == Kind::TorchSGD, "dampening is torch.optim.SGD's; Keras's SGD has none");
  check(!o.nesterov || kind_ != Kind::TorchSGD || (o.momentum > 0 && o.dampening == 0), "nesterov needs momentum > 0 and dampening 0");
  check(o.rho >= 0 && o.rho < 1, "rho must be in [0, 1), got " + formatNumber(o.rho));
  check(o.initialAccumulatorValue >= 0, "initialAccumulatorValue must be >= 0, got " + formatNumber(o.initialAccumulatorValue));
  o_ = o;
}

// Every option, whichever the kind (lib/optim picks those of its class).
Napi::Object OptimizerHandle::options(Napi::Env env) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  Napi::Object out = Napi::Object::New(env);
  out.Set("learningRate", o_.schedule.at(iterations_));  // the next step's
  out.Set("weightDecay", o_.weightDecay);
  out.Set("momentum", o_.momentum);
  out.Set("dampening", o_.dampening);
  out.Set("nesterov", o_.nesterov);
  out.Set("beta1", o_.beta1);
  out.Set("beta2", o_.beta2);
  out.Set("epsilon", o_.eps);
  out.Set("amsgrad", o_.amsgrad);
  out.Set("rho", o_.rho);
  out.Set("centered", o_.centered);
  out.Set("initialAccumulatorValue", o_.initialAccumulatorValue);
  return out;
}

bool OptimizerHandle::slotUsed(size_t i) const {
  if (slotName(kind_, i) == nullptr) return false;
  switch (kind_) {
    case Kind::Adam:
    case Kind::TorchAdam:
    case Kind::TorchAdamW:
      return i < 2 || o_.amsgrad;
    case Kind::SGD:
    case Kind::TorchSGD:
      return o_.momentum != 0;
    case Kind::RMSprop:
      return i == 0 || (i == 1 && o_.momentum > 0) || (i == 2 && o_.centered);
    default:
      return true;
  }
}

std::vector<at::Tensor> OptimizerHandle::slot(size_t i, const Batch& b) {
  // Keras starts Adagrad's accumulators at initialAccumulatorValue, every other buffer at zero.
  double initial = kind_ == Kind::Adagrad ? o_.initialAccumulatorValue : 0.0;
  std::vector<at::Tensor> out;
  out.reserve(b.index.size());
  for (size_t k = 0; k < b.index.size(); ++k) {
    at::Tensor& t = slots_[i][b.index[k]];
    if (!t.defined()) t = at::full_like(b.params[k], initial, at::MemoryFormat::Preserve);
    out.push_back(t);
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
  // Keras counts a step even when no variable has a gradient, after reading the schedule at the
  // count before it. The step runs at that rate; lr goes back to the schedule's initial rate after.
  double scheduled = o_.schedule.at(iterations_);
  ++iterations_;
  // On CUDA, Keras's kinds also count on the device: a CUDA graph replays this step without the
  // host code above, so the device count is the true one (Adam's step size reads it, and so does
  // exportState()).
  if (isKeras() && !params_.empty() && params_[0].is_cuda()) {
    if (!iterationTensor_.defined())
      iterationTensor_ = at::full({}, static_cast<double>(iterations_ - 1), params_[0].options().dtype(at::kFloat));
    iterationTensor_.add_(1);
  }
  if (b.params.empty()) return;
  struct RateForStep {
    double& lr;
    double base;
    ~RateForStep() { lr = base; }
  } rate{o_.lr, o_.lr};
  o_.lr = scheduled;
  if (isKeras()) applyDecoupledWeightDecay(b);
  switch (kind_) {
    case Kind::Adam:
      return kerasAdamStep(b);
    case Kind::SGD:
      return kerasSgdStep(b);
    case Kind::RMSprop:
      return rmspropStep(b);
    case Kind::Adagrad:
      return adagradStep(b);
    case Kind::Adamax:
      return adamaxStep(b);
    case Kind::Nadam:
      return nadamStep(b);
    case Kind::Lion:
      return lionStep(b);
    case Kind::TorchSGD:
      return torchSgdStep(b);
    default:
      return torchAdamStep(b);
  }
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
  Napi::Array steps = Napi::Array::New(env, params_.size());
  // On CUDA the device holds the counts (reading them is a sync; checkpoints are rare).
  double kerasCount = iterationTensor_.defined() ? iterationTensor_.item<double>() : static_cast<double>(iterations_);
  for (size_t k = 0; k < params_.size(); ++k) {
    double count = isKeras() ? kerasCount : stepTensors_[k].defined() ? stepTensors_[k].item<double>() : static_cast<double>(steps_[k]);
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
  for (size_t i = 0; i < kSlots; ++i) {
    if (slotUsed(i)) put(slotName(kind_, i), slots_[i]);
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
    if (isKeras() && newSteps.back() != newSteps[0])
      throw ArgRangeError("state.steps must all be equal: this optimizer counts steps for all parameters together, as Keras does");
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
  // Every list is read and checked before any state changes.
  std::array<std::vector<at::Tensor>, kSlots> taken;
  for (size_t i = 0; i < kSlots; ++i) {
    if (slotName(kind_, i) != nullptr) taken[i] = take(slotName(kind_, i));
  }
  for (size_t i = 0; i < kSlots; ++i) {
    if (slotName(kind_, i) != nullptr) slots_[i] = std::move(taken[i]);
  }
  // Keras's kinds count steps for all parameters (checked equal above); the schedule of a Torch
  // kind follows the parameter that stepped most.
  iterations_ = newSteps.empty() ? 0 : *std::max_element(newSteps.begin(), newSteps.end());
  // Nadam's schedule product follows from the step count (with the current beta1).
  nadamUProduct_ = nadamScheduleProduct(o_.beta1, iterations_);
  steps_ = std::move(newSteps);
  stepTensors_.assign(params_.size(), at::Tensor());  // recreated from steps_ at the next CUDA step
  iterationTensor_ = at::Tensor();                    // and from iterations_
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
  // scheduleAt(options, step): a learning-rate schedule's rate after `step` steps (lib/optim/schedules.ts).
  bind(exports, "scheduleAt", [](Args& a) {
    LearningRateSchedule s = LearningRateSchedule::read(a, 0, LearningRateSchedule{}, a.optionNumber(0, "learningRate", 0));
    int64_t step = a.integer(1, "step");
    if (step < 0) throw ArgRangeError("step must be >= 0, got " + std::to_string(step));
    return Napi::Value(Napi::Number::New(a.env(), s.at(step)));
  });
  bind(exports, "optimizerImportState", [self](Args& a) {
    self(a)->importState(a);
    return a.undefined();
  });
}

}  // namespace torchlet
