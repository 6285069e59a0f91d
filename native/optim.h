// Optimizers: Adam, AdamW and SGD. One native call updates every parameter, with libtorch's
// fused Adam kernel or its foreach kernels, never a JS loop over tensors.
#pragma once

#include <ATen/ATen.h>
#include <napi.h>
#include <torch/version.h>

#include <mutex>
#include <string>
#include <vector>

namespace torchlet {

// at::_fused_adam_ has a CPU kernel from PyTorch 2.4 on (torch.optim.Adam(fused=True)); before,
// Adam's CPU step runs foreach ops.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
constexpr bool kFusedAdamOnCpu = true;
#else
constexpr bool kFusedAdamOnCpu = false;
#endif

class Args;

class OptimizerHandle : public Napi::ObjectWrap<OptimizerHandle> {
 public:
  enum class Kind { Adam, AdamW, SGD };
  struct Options {
    double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-7, weightDecay = 0;
    bool amsgrad = false;
    double momentum = 0, dampening = 0;
    bool nesterov = false;
  };

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
  void adamStep(Batch& b);
  void sgdStep(Batch& b);

  Kind kind_ = Kind::Adam;
  Options o_;
  std::vector<at::Tensor> params_;
  std::vector<Napi::ObjectReference> handles_;  // to notice a parameter disposed from JS
  std::vector<int64_t> steps_;
  std::vector<at::Tensor> stepTensors_;  // per-parameter step counts, for the fused update
  std::vector<at::Tensor> expAvg_, expAvgSq_, maxExpAvgSq_, momentum_;
  bool disposed_ = false;
  // Held by every method that reads or writes the state: a step on the compute thread may meet
  // configure(), dispose() or memory() from JS.
  mutable std::recursive_mutex mutex_;  // recursive: reading JS options can call back in
};

// The state (moment buffers, step counts on CUDA) of every live optimizer, in all threads.
struct OptimizerStateTotals {
  int64_t tensors = 0;
  int64_t bytes = 0;
};
OptimizerStateTotals optimizerStateTotals();

void registerOptim(Napi::Env env, Napi::Object exports);

}  // namespace torchlet
