// Optimizers: Keras's Adam (and AdamW), SGD, RMSprop, Adagrad, Adamax, Nadam and Lion, and
// PyTorch's Adam, AdamW and SGD. One native call updates every parameter, with libtorch's fused
// Adam kernel or its foreach kernels, never a JS loop over tensors. The formulas are in
// optim-update.cc; this file holds the handle, its options and its state.
#pragma once

#include <ATen/ATen.h>
#include <napi.h>
#include <torch/version.h>

#include <array>
#include <mutex>
#include <string>
#include <vector>

#include "lr-schedule.h"

namespace torchlet {

// at::_fused_adam_ has a CPU kernel, and on CUDA an overload taking the learning rate as a tensor,
// from PyTorch 2.4 on (torch.optim.Adam(fused=True)); before, Adam's CPU step runs foreach ops.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TORCHLET_FUSED_ADAM 1
constexpr bool kFusedAdamOnCpu = true;
#else
constexpr bool kFusedAdamOnCpu = false;
#endif

class Args;

class OptimizerHandle : public Napi::ObjectWrap<OptimizerHandle> {
 public:
  // Keras's kinds count steps for all parameters together (Keras's `iterations`) and decay
  // weights as Keras does (decoupled, before the update); the Torch kinds are torch.optim's.
  enum class Kind { Adam, SGD, RMSprop, Adagrad, Adamax, Nadam, Lion, TorchAdam, TorchAdamW, TorchSGD };
  struct Options {
    double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-7, weightDecay = 0;
    bool amsgrad = false;
    double momentum = 0, dampening = 0;
    bool nesterov = false;
    double rho = 0.9, initialAccumulatorValue = 0.1;
    bool centered = false;
    LearningRateSchedule schedule;  // when set, lr is its value at each step
  };
  // Up to three state buffers per parameter, named per kind (kSlotNames in optim.cc).
  static constexpr size_t kSlots = 3;

  static void registerClass(Napi::Env env, Napi::Object exports);
  static OptimizerHandle* unwrap(const Napi::Value& value);

  explicit OptimizerHandle(const Napi::CallbackInfo& info);
  ~OptimizerHandle() override;
  OptimizerHandle(const OptimizerHandle&) = delete;
  OptimizerHandle& operator=(const OptimizerHandle&) = delete;

  void init(Args& a);
  void configure(const Args& a, size_t i);
  Napi::Object options(Napi::Env env) const;
  // Throws unless the optimizer and its parameters' handles are alive (on the JS thread).
  void checkUsable() const;
  void step() {
    checkUsable();
    stepUnchecked();
  }
  // The update itself: thread-safe, so that the compute thread may run it after checkUsable().
  void stepUnchecked();
  void zeroGrad(bool setToNone);
  // The bound parameters (a copy: the list changes with init()).
  std::vector<at::Tensor> parameters() const {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    return params_;
  }
  Napi::Object exportState(const Args& a) const;
  void importState(Args& a);
  // Frees the state and lets go of the parameters; every later call is an error.
  void dispose();
  bool disposed() const { return disposed_; }
  // Calls f on each defined state tensor (for memory()).
  template <class F>
  void forEachStateTensor(F&& f) const;

 private:
  // The parameters with a gradient this step, with their per-parameter state.
  struct Batch {
    std::vector<size_t> index;
    std::vector<at::Tensor> params, grads;
  };
  Batch gather();
  bool isKeras() const { return kind_ < Kind::TorchAdam; }
  // Whether slot i holds state with the current options (Adam's third only with amsgrad, ...).
  bool slotUsed(size_t i) const;
  // Slot i's buffers of the batch's parameters, each created at its kind's initial value when missing.
  std::vector<at::Tensor> slot(size_t i, const Batch& b);
  void applyDecoupledWeightDecay(Batch& b);
  // The updates (optim-update.cc).
  void kerasAdamStep(Batch& b);
  void kerasSgdStep(Batch& b);
  void rmspropStep(Batch& b);
  void adagradStep(Batch& b);
  void adamaxStep(Batch& b);
  void nadamStep(Batch& b);
  void lionStep(Batch& b);
  void torchAdamStep(Batch& b);
  void torchSgdStep(Batch& b);

  Kind kind_ = Kind::Adam;
  Options o_;
  std::vector<at::Tensor> params_;
  std::vector<Napi::ObjectReference> handles_;  // to notice a parameter disposed from JS
  std::vector<int64_t> steps_;                  // Torch kinds: per-parameter step counts
  std::vector<at::Tensor> stepTensors_;         // Torch kinds: the same on the device, for the fused update
  int64_t iterations_ = 0;                      // Keras kinds: steps taken
  at::Tensor iterationTensor_;                  // Keras Adam on CUDA: the same on the device (graph-safe)
  at::Tensor noBiasCorrection_;                 // Keras Adam with the fused kernel: see kerasAdamStep
  double nadamUProduct_ = 1;                    // Nadam: the product of its momentum schedule so far
  std::array<std::vector<at::Tensor>, kSlots> slots_;
  bool disposed_ = false;
  // Held by every method that reads or writes the state: a step on the compute thread may meet
  // configure(), dispose() or memory() from JS.
  mutable std::recursive_mutex mutex_;  // recursive: reading JS options can call back in
};

// Nadam's momentum at step t (1-based), beta1 * (1 - 0.5 * 0.96^t), and its product over steps 1..t.
double nadamMomentum(double beta1, int64_t t);
double nadamScheduleProduct(double beta1, int64_t steps);

// The state (moment buffers, step counts on CUDA) of every live optimizer, in all threads.
struct OptimizerStateTotals {
  int64_t tensors = 0;
  int64_t bytes = 0;
};
OptimizerStateTotals optimizerStateTotals();

void registerOptim(Napi::Env env, Napi::Object exports);

}  // namespace torchlet
