#include "grad-sync.h"

#include <ATen/core/grad_mode.h>

#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "args.h"
#include "errors.h"
#include "optim.h"

namespace torchlet {

GradSync::GradSync(std::shared_ptr<Group> group, std::vector<at::Tensor> params, int64_t bucketBytes, std::vector<at::Tensor> sums,
                   std::vector<at::Tensor> globalSums)
    : group_(std::move(group)), params_(std::move(params)), sums_(std::move(sums)), globalSums_(std::move(globalSums)) {
  // Buckets in reverse parameter order, as backward produces the gradients (the last layer's
  // first), one dtype and device each, up to bucketBytes: every rank builds the same buckets from
  // the same model, and launches them in the same order.
  slots_.resize(params_.size());
  std::map<std::tuple<at::ScalarType, std::string>, size_t> open;  // the bucket being filled, per kind
  std::vector<std::vector<size_t>> members;
  std::vector<int64_t> bytes;
  for (size_t k = params_.size(); k-- > 0;) {
    const at::Tensor& p = params_[k];
    auto kind = std::make_tuple(p.scalar_type(), p.device().str());
    int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    auto it = open.find(kind);
    if (it == open.end() || (bytes[it->second] > 0 && bytes[it->second] + size > bucketBytes)) {
      members.emplace_back();
      bytes.push_back(0);
      it = open.insert_or_assign(kind, members.size() - 1).first;
    }
    members[it->second].push_back(k);
    bytes[it->second] += size;
  }
  buckets_.resize(members.size());
  for (size_t b = 0; b < members.size(); ++b) {
    Bucket& bucket = buckets_[b];
    bucket.params = members[b];
    int64_t elements = 0;
    for (size_t k : bucket.params) elements += params_[k].numel();
    const at::Tensor& first = params_[bucket.params[0]];
    bucket.flat = at::zeros({elements + static_cast<int64_t>(bucket.params.size())}, first.options().requires_grad(false));
    int64_t offset = 0;
    for (size_t j = 0; j < bucket.params.size(); ++j) {
      size_t k = bucket.params[j];
      Slot& slot = slots_[k];
      slot.bucket = b;
      slot.view = bucket.flat.narrow(0, offset, params_[k].numel()).view(params_[k].sizes());
      slot.flag = bucket.flat.narrow(0, elements + static_cast<int64_t>(j), 1);
      offset += params_[k].numel();
    }
  }
  for (size_t k = 0; k < params_.size(); ++k) {
    hooks_.push_back(params_[k].register_hook([this, k](const at::Tensor& grad) { onGradient(k, grad); }));
  }
}

GradSync::~GradSync() { removeHooks(); }

void GradSync::removeHooks() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t k = 0; k < hooks_.size(); ++k) params_[k].remove_hook(hooks_[k]);
  hooks_.clear();
  active_ = false;
}

void GradSync::begin(double scale) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (hooks_.empty() && !params_.empty()) throw OpError("the gradient reduction was disposed");
  group_->begin("gradient all-reduce");
  for (Slot& slot : slots_) slot.ready = false;
  for (Bucket& bucket : buckets_) {
    bucket.pending = bucket.params.size();
    bucket.work.reset();
  }
  nextLaunch_ = 0;
  readySlots_ = 0;
  overlapped_ = 0;
  scale_ = scale;
  error_.clear();
  active_ = true;
}

// A hook: on autograd's thread, with the parameter's whole gradient for this backward.
void GradSync::onGradient(size_t param, const at::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!active_) return;
  at::AutoGradMode noGrad(false);  // a hook may run in create_graph mode: the copy is no op of the graph
  Slot& slot = slots_[param];
  if (slot.ready) {
    error_ = "parameter " + std::to_string(param) + " received two gradients in one backward";
    return;
  }
  slot.view.copy_(grad);
  if (scale_ != 1) slot.view.mul_(scale_);
  slot.flag.fill_(1);
  markReady(param);
}

void GradSync::markReady(size_t param) {
  slots_[param].ready = true;
  ++readySlots_;
  if (--buckets_[slots_[param].bucket].pending == 0) launchReady();
}

// Launches the ready buckets in bucket order only: ranks must issue collectives in one order.
// A bucket launched while gradients are still to come overlaps the rest of backward.
void GradSync::launchReady() {
  while (nextLaunch_ < buckets_.size() && buckets_[nextLaunch_].pending == 0) {
    Bucket& bucket = buckets_[nextLaunch_++];
    bucket.work = group_->allReduce({bucket.flat}, ReduceOp::Sum, "gradient all-reduce");
    if (readySlots_ < slots_.size()) ++overlapped_;
  }
}

void GradSync::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  at::AutoGradMode noGrad(false);
  if (!active_) throw OpError("the gradient reduction was not begun");
  active_ = false;
  if (!error_.empty()) throw OpError(error_);
  group_->noteBucketsInBackward(overlapped_);
  // Parameters this rank has no gradient for take part with zeros (and a zero flag).
  for (size_t k = 0; k < slots_.size(); ++k) {
    if (slots_[k].ready) continue;
    slots_[k].view.zero_();
    slots_[k].flag.zero_();
    markReady(k);
  }
  for (Bucket& bucket : buckets_) bucket.work->wait();
  for (size_t k = 0; k < params_.size(); ++k) {
    at::Tensor& grad = params_[k].mutable_grad();
    if (grad.defined()) {
      grad.copy_(slots_[k].view);
    } else if (slots_[k].flag.item<double>() > 0) {  // a sync only for a gradient this rank lacked
      grad = at::empty_like(params_[k]).copy_(slots_[k].view);
    }
  }
  if (!sums_.empty()) {
    // One tensor: c10d sums a list of tensors into one result (a list is one process's GPUs).
    std::vector<at::Tensor> flat;
    for (const auto& sum : sums_) flat.push_back(sum.reshape({-1}));
    at::Tensor all = at::cat(flat);
    group_->allReduce({all}, ReduceOp::Sum, "metric all-reduce")->wait();
    int64_t offset = 0;
    for (auto& global : globalSums_) {
      global.copy_(all.narrow(0, offset, global.numel()).view(global.sizes()));
      offset += global.numel();
    }
  }
}

void GradSync::abandon() {
  std::lock_guard<std::mutex> lock(mutex_);
  active_ = false;
}

std::shared_ptr<GradSync> gradSyncOf(const Napi::Value& value, const char* name) {
  if (!value.IsExternal()) throw ArgTypeError(std::string("argument '") + name + "' must be a gradient reduction from gradSync()");
  return *value.As<Napi::External<std::shared_ptr<GradSync>>>().Data();
}

void registerGradSync(Napi::Env env, Napi::Object exports) {
  // gradSync(optimizer, bucketBytes, sums, globalSums) → handle: the optimizer's parameters'
  // gradients are reduced across the process group in each step that begins it.
  bind(exports, "gradSync", [](Args& a) {
    OptimizerHandle* optimizer = OptimizerHandle::unwrap(a[0]);
    if (optimizer == nullptr) throw ArgTypeError("argument 'optimizer' must be an optimizer");
    optimizer->checkUsable();
    int64_t bucketBytes = a.integer(1, "bucketBytes");
    if (bucketBytes < 1) throw ArgRangeError("'bucketBytes' must be >= 1, got " + std::to_string(bucketBytes));
    std::vector<at::Tensor> sums = a.tensors(2, "sums"), globalSums = a.tensors(3, "globalSums");
    if (sums.size() != globalSums.size()) throw ArgRangeError("'sums' and 'globalSums' must have the same length");
    for (size_t k = 0; k < sums.size(); ++k) {
      if (!sums[k].sizes().equals(globalSums[k].sizes()) || sums[k].scalar_type() != globalSums[k].scalar_type()) {
        throw ArgRangeError("globalSums[" + std::to_string(k) + "] must be like sums[" + std::to_string(k) + "]");
      }
    }
    auto sync = std::make_shared<GradSync>(requireGroup(), optimizer->parameters(), bucketBytes, std::move(sums), std::move(globalSums));
    return Napi::Value(Napi::External<std::shared_ptr<GradSync>>::New(a.env(), new std::shared_ptr<GradSync>(std::move(sync)),
                                                                      [](Napi::Env, std::shared_ptr<GradSync>* s) { delete s; }));
  });
  bind(exports, "gradSyncDispose", [](Args& a) {
    gradSyncOf(a[0], "sync")->removeHooks();
    return a.undefined();
  });
  // The eager path (runEagerly) brackets its backward with these, on the JS thread.
  bind(exports, "gradSyncBegin", [](Args& a) {
    gradSyncOf(a[0], "sync")->begin(a.number(1, "scale"));
    return a.undefined();
  });
  bind(exports, "gradSyncFinish", [](Args& a) {
    gradSyncOf(a[0], "sync")->finish();
    return a.undefined();
  });
}

}  // namespace torchlet
