#include "compute-thread.h"

#include <ATen/Parallel.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "args.h"
#include "errors.h"
#include "tensor.h"

// The per-thread settings of the OpenMP and MKL runtimes that libtorch loaded; weak, so that a
// libtorch without them (no MKL in Debian's) leaves them null.
extern "C" void omp_set_num_threads(int) __attribute__((weak));
extern "C" int MKL_Set_Num_Threads_Local(int) __attribute__((weak));  // mkl.h's C name

namespace torchlet {
namespace {

std::atomic<int> liveComputeThreads{0};

// The cores this process may run on (its affinity mask, as Node's availableParallelism()).
int usableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

struct Job {
  std::string op;
  ComputeWork work;
  Napi::Promise::Deferred deferred;
  std::vector<at::Tensor> results;
  bool failed = false;
  Failure failure;
};

class ComputeThread;
thread_local ComputeThread* current = nullptr;  // this environment's (each has its own JS thread)
void settle(Napi::Env env, Napi::Function, ComputeThread* owner, Job* job);
using Done = Napi::TypedThreadSafeFunction<ComputeThread, Job, settle>;

class ComputeThread {
 public:
  explicit ComputeThread(Napi::Env env) {
    ++liveComputeThreads;
    done_ = Done::New(env, "torchlet compute", 0, 1, this);
    done_.Unref(env);  // an idle compute thread does not keep the process alive
    thread_ = std::thread([this] { loop(); });
    // Registered after the environment's own hooks, so it runs before them (hooks run in reverse):
    // the thread is joined before any handle whose tensors a job may be using is finalized.
    napi_add_env_cleanup_hook(
        env, [](void* self) { delete static_cast<ComputeThread*>(self); }, this);
  }

  ~ComputeThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
    for (Job* job : queue_) delete job;
    done_.Release();  // jobs it still holds are deleted by settle(), called without an environment
    --liveComputeThreads;
    current = nullptr;
  }

  // The intra-op threads this compute thread uses: the count set for it, or an equal share of the
  // cores among the live compute threads (workers that train at once do not oversubscribe).
  int threads() const {
    int chosen = chosenThreads_.load();
    return chosen > 0 ? chosen : std::max(1, usableCores() / std::max(1, liveComputeThreads.load()));
  }
  void setThreads(int n) { chosenThreads_ = n; }

  // On the JS thread.
  void submit(Napi::Env env, Job* job) {
    if (pending_++ == 0) done_.Ref(env);  // a job in flight keeps the process alive
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(job);
    }
    wake_.notify_one();
  }

  // On the JS thread, once per job.
  void finished(Napi::Env env) {
    if (--pending_ == 0) done_.Unref(env);
  }

 private:
  void loop() {
    int applied = 0;
    for (;;) {
      Job* job = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        job = queue_.front();
        queue_.pop_front();
      }
      if (int wanted = threads(); wanted != applied) at::set_num_threads(applied = wanted);
      try {
        job->results = job->work();
      } catch (...) {
        job->failed = true;
        job->failure = currentFailure();
      }
      job->work = nullptr;  // its tensors are released here, not on the JS thread
      if (done_.NonBlockingCall(job) != napi_ok) delete job;
    }
  }

  Done done_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job*> queue_;
  bool stopping_ = false;
  int pending_ = 0;
  std::atomic<int> chosenThreads_{0};
};

// On the JS thread, or with a null env while the environment is torn down.
void settle(Napi::Env env, Napi::Function, ComputeThread* owner, Job* job) {
  std::unique_ptr<Job> owned(job);
  if (env == nullptr) return;
  owner->finished(env);
  try {
    if (job->failed) {
      job->deferred.Reject(jsError(env, job->op, job->failure).Value());
      return;
    }
    Napi::Array out = Napi::Array::New(env, job->results.size());
    for (size_t k = 0; k < job->results.size(); ++k) {
      out.Set(static_cast<uint32_t>(k), job->results[k].defined() ? Napi::Value(TensorHandle::wrap(env, job->results[k])) : env.Null());
    }
    job->deferred.Resolve(out);
  } catch (const Napi::Error& e) {
    job->deferred.Reject(e.Value());
  }
}

// This environment's compute thread, made on first use and joined when the environment ends.
ComputeThread& computeThread(Napi::Env env) {
  if (current == nullptr) current = new ComputeThread(env);
  return *current;
}

}  // namespace

Napi::Promise submitCompute(Napi::Env env, const char* op, ComputeWork work) {
  auto* job = new Job{op, std::move(work), Napi::Promise::Deferred::New(env), {}, false, {}};
  Napi::Promise promise = job->deferred.Promise();
  computeThread(env).submit(env, job);
  return promise;
}

void makeJsThreadSerial() {
  // libtorch's first-use setup of this thread's threads, which would undo ours, runs once per copy
  // of its flag: libtorch's (get_num_threads), and the addon's own, compiled in with ATen's inline
  // parallel_for (else the JS thread's first call to a torchlet kernel gave it a thread team of
  // its own, and OpenMP, then with more threads than cores, slept and woke its workers in every
  // parallel region: bf16 training 1.5x slower after the first validation).
  at::get_num_threads();
  at::internal::lazy_init_num_threads();
  if (omp_set_num_threads != nullptr) omp_set_num_threads(1);
  if (MKL_Set_Num_Threads_Local != nullptr) MKL_Set_Num_Threads_Local(1);
}

void registerComputeThread(Napi::Env env, Napi::Object exports) {
  makeJsThreadSerial();
  bind(exports, "setNumThreads", [](Args& a) {
    int64_t n = a.integer(0, "n");
    if (n < 1 || n > 4096) throw ArgRangeError("'n' must be between 1 and 4096, got " + std::to_string(n));
    computeThread(a.env()).setThreads(static_cast<int>(n));
    return a.undefined();
  });
  bind(exports, "getNumThreads", [](Args& a) { return Napi::Number::New(a.env(), computeThread(a.env()).threads()); });
}

}  // namespace torchlet
