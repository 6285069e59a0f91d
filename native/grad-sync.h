// Data-parallel gradient reduction: the parameters' gradients are summed across the ranks, in
// buckets, each launched from an autograd hook as soon as its last gradient is computed, so that
// communication overlaps the rest of backward (as DDP's Reducer does).
#pragma once

#include <ATen/ATen.h>
#include <napi.h>

#include <memory>
#include <mutex>
#include <vector>

#include "process-group.h"

namespace torchlet {

class GradSync {
 public:
  // `sums` (a training meter's running sums) are also summed across ranks after each step, into
  // `globalSums`, so that every rank logs the global figures.
  GradSync(std::shared_ptr<Group> group, std::vector<at::Tensor> params, int64_t bucketBytes, std::vector<at::Tensor> sums,
           std::vector<at::Tensor> globalSums);
  ~GradSync();
  GradSync(const GradSync&) = delete;
  GradSync& operator=(const GradSync&) = delete;

  // Before backward: this rank's gradients count `scale` times (its share of the global batch).
  void begin(double scale);
  // After backward: reduces what the hooks have not launched yet, waits, and leaves every
  // parameter with the global gradient (none where no rank had one).
  void finish();
  // Backward failed: the step's reductions are dropped (the group is broken by then, or the
  // failure was local and this rank cannot take part in the step).
  void abandon();
  void removeHooks();

 private:
  struct Bucket {
    at::Tensor flat;  // the gradients, then one presence flag per parameter
    std::vector<size_t> params;
    size_t pending = 0;
    std::unique_ptr<PendingCollective> work;
  };
  struct Slot {
    size_t bucket = 0;
    at::Tensor view;  // the parameter's gradient in its bucket, shaped like it
    at::Tensor flag;  // 1 when this rank has the gradient
    bool ready = false;
  };

  void onGradient(size_t param, const at::Tensor& grad);
  void markReady(size_t param);
  void launchReady();

  std::shared_ptr<Group> group_;
  std::vector<at::Tensor> params_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  std::vector<at::Tensor> sums_, globalSums_;
  std::vector<unsigned> hooks_;
  std::mutex mutex_;  // hooks run on autograd's threads (one per device on CUDA)
  bool active_ = false;
  double scale_ = 1;
  size_t nextLaunch_ = 0;
  size_t readySlots_ = 0;
  int64_t overlapped_ = 0;  // buckets launched before the last gradient arrived
  std::string error_;
};

void registerGradSync(Napi::Env env, Napi::Object exports);

// The GradSync of a JS value from gradSync(), or an error naming `name`.
std::shared_ptr<GradSync> gradSyncOf(const Napi::Value& value, const char* name);

}  // namespace torchlet
