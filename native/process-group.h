// Data-parallel communication on c10d, the engine under torch.distributed: a TCPStore for the
// rendezvous, Gloo for CPU tensors and NCCL for CUDA ones. One group per process, as
// torch.distributed's default group. Every collective waits with the group's timeout; one that
// fails names the ranks that did not join it, and leaves the group broken for every later call.
#pragma once

#include <ATen/ATen.h>
#include <napi.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace torchlet {

struct GroupConfig {
  std::string masterAddr;
  int port = 0;
  int rank = 0;
  int worldSize = 1;
  std::string backend;  // 'gloo' or 'nccl'
  std::chrono::milliseconds timeout{0};
};

enum class ReduceOp { Sum, Max, Min, Product };

// A collective in flight: wait() blocks until it is done (or throws, naming the ranks at fault).
class PendingCollective {
 public:
  virtual ~PendingCollective() = default;
  virtual void wait() = 0;
};

// Communication counters, for tl.distributed.stats() and the benchmark.
struct GroupStats {
  int64_t collectives = 0;
  int64_t bytes = 0;              // payload of the reductions and broadcasts this rank took part in
  double waitSeconds = 0;         // time blocked in wait(): communication that computation did not hide
  int64_t bucketsInBackward = 0;  // gradient buckets launched before backward produced its last gradient
};

class Group {
 public:
  virtual ~Group() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual const std::string& backend() const = 0;
  virtual std::chrono::milliseconds timeout() const = 0;

  // Starts a collective on `tensors` (in place); `what` names it in errors ("allReduce"). A
  // collective is numbered (for the diagnosis of a failure) when its operation begins: begin().
  virtual std::unique_ptr<PendingCollective> allReduce(std::vector<at::Tensor> tensors, ReduceOp op, const std::string& what) = 0;
  virtual std::unique_ptr<PendingCollective> broadcast(std::vector<at::Tensor> tensors, int root, const std::string& what) = 0;
  virtual std::unique_ptr<PendingCollective> allGather(at::Tensor input, std::vector<at::Tensor> outputs, const std::string& what) = 0;
  virtual std::unique_ptr<PendingCollective> barrier(const std::string& what) = 0;

  // Marks the start of one operation (a user's collective, a step's gradient reduction): its
  // number is published in the store, where the diagnosis of a failure compares the ranks'.
  virtual void begin(const std::string& what) = 0;

  virtual GroupStats stats() const = 0;
  // Counts gradient buckets launched before backward produced its last gradient (grad-sync.cc).
  virtual void noteBucketsInBackward(int64_t count) = 0;
};

// The process's group, or null before init() and after destroy().
std::shared_ptr<Group> currentGroup();
// currentGroup(), or an error when there is none.
std::shared_ptr<Group> requireGroup();

void registerProcessGroup(Napi::Env env, Napi::Object exports);

}  // namespace torchlet
