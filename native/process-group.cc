#include "process-group.h"

#include <ATen/core/grad_mode.h>
#include <torch/version.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>

#ifdef TORCHLET_DISTRIBUTED
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef TORCHLET_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

#include "args.h"
#include "compute-thread.h"
#include "convert.h"
#include "errors.h"

namespace torchlet {
namespace {

std::mutex groupMutex;
std::shared_ptr<Group> theGroup;  // the process's (every JS environment in it shares it)

// The first line of a libtorch message (the rest is its C++ stack in debug builds).
std::string firstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

#ifdef TORCHLET_DISTRIBUTED
#if TORCH_VERSION_MAJOR >= 2
using Backend = c10d::Backend;  // 2.x: a ProcessGroup holds per-device Backends; we use one directly
#else
using Backend = c10d::ProcessGroup;
#endif

std::vector<uint8_t> bytesOf(const std::string& s) { return {s.begin(), s.end()}; }
std::string textOf(const std::vector<uint8_t>& v) { return {v.begin(), v.end()}; }

std::string hostName() {
  std::array<char, 256> name{};
  gethostname(name.data(), name.size() - 1);
  return name.data();
}

c10d::ReduceOp c10dOp(ReduceOp op) {
  switch (op) {
    case ReduceOp::Max:
      return c10d::ReduceOp::MAX;
    case ReduceOp::Min:
      return c10d::ReduceOp::MIN;
    case ReduceOp::Product:
      return c10d::ReduceOp::PRODUCT;
    case ReduceOp::Sum:
      break;
  }
  return c10d::ReduceOp::SUM;
}

int64_t payloadBytes(const std::vector<at::Tensor>& tensors) {
  int64_t bytes = 0;
  for (const auto& t : tensors) bytes += static_cast<int64_t>(t.numel() * t.element_size());
  return bytes;
}

class C10dGroup : public Group, public std::enable_shared_from_this<C10dGroup> {
 public:
  explicit C10dGroup(GroupConfig config) : config_(std::move(config)), host_(hostName()) {}

  // The rendezvous: blocks until every rank has joined, or fails naming what went wrong.
  void connect() {
    const std::string where = config_.masterAddr + ":" + std::to_string(config_.port);
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(config_.port);
    options.isServer = config_.rank == 0;
    options.numWorkers = config_.worldSize;
    options.waitWorkers = true;
    options.timeout = config_.timeout;
    try {
      store_ = c10::make_intrusive<c10d::TCPStore>(config_.masterAddr, options);
    } catch (const std::exception& e) {
      std::string message = e.what();
      if (message.find("EADDRINUSE") != std::string::npos || message.find("ddress already in use") != std::string::npos) {
        throw OpError("MASTER_PORT " + std::to_string(config_.port) + " on " + config_.masterAddr +
                      " is already in use (another job, or an earlier run still stopping): choose another port");
      }
      throw OpError("rank " + std::to_string(config_.rank) + " of " + std::to_string(config_.worldSize) + " could not meet the others at " +
                    where + " within " + std::to_string(config_.timeout.count() / 1000) + " s (" + firstLine(message) +
                    "); check that every rank has the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE, and that rank 0 is running");
    }
    // Who is who, for the diagnosis of a failure, and a check that the ranks agree on the size.
    store_->set(key("rank", config_.rank), bytesOf(host_ + " " + std::to_string(getpid()) + " " + std::to_string(config_.worldSize)));
    store_->set(key("op", config_.rank), bytesOf("0"));
    for (int k = 0; k < config_.worldSize; ++k) {
      std::string info;
      try {
        info = textOf(store_->get(key("rank", k)));
      } catch (const std::exception& e) {
        throw OpError("rank " + std::to_string(k) + " did not join within " + std::to_string(config_.timeout.count() / 1000) +
                      " s (WORLD_SIZE is " + std::to_string(config_.worldSize) + " here, on rank " + std::to_string(config_.rank) + ")");
      }
      int theirs = 0;
      std::istringstream(info) >> std::ws >> info >> theirs >> theirs;  // host, pid, world size
      if (theirs != config_.worldSize) {
        throw OpError("rank " + std::to_string(k) + " was started with WORLD_SIZE " + std::to_string(theirs) + ", rank " +
                      std::to_string(config_.rank) + " with " + std::to_string(config_.worldSize));
      }
    }
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>(config_.backend, store_);
    if (config_.backend == "nccl") {
#ifdef TORCHLET_NCCL
      auto nccl = c10d::ProcessGroupNCCL::Options::create();
      nccl->timeout = config_.timeout;
      backend_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, config_.rank, config_.worldSize, nccl);
#else
      throw ArgRangeError("backend 'nccl' needs a CUDA build of torchlet with NCCL");
#endif
    } else {
      auto gloo = c10d::ProcessGroupGloo::Options::create(config_.timeout);
      gloo->devices.push_back(glooDevice());
      backend_ = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, config_.rank, config_.worldSize, gloo);
    }
  }

  int rank() const override { return config_.rank; }
  int size() const override { return config_.worldSize; }
  const std::string& backend() const override { return config_.backend; }
  std::chrono::milliseconds timeout() const override { return config_.timeout; }

  void begin(const std::string& what) override {
    checkUsable(what);
    uint64_t number = ++operations_;
    try {
      store_->set(key("op", config_.rank), bytesOf(std::to_string(number)));
    } catch (const std::exception& e) {
      fail(what, number, "the store on rank 0 does not answer (" + firstLine(e.what()) + "); rank 0 has probably exited");
    }
  }

  std::unique_ptr<PendingCollective> allReduce(std::vector<at::Tensor> tensors, ReduceOp op, const std::string& what) override {
    c10d::AllreduceOptions options;
    options.reduceOp = c10dOp(op);
    options.timeout = config_.timeout;
    return start(what, payloadBytes(tensors), [&] { return backend_->allreduce(tensors, options); });
  }

  std::unique_ptr<PendingCollective> broadcast(std::vector<at::Tensor> tensors, int root, const std::string& what) override {
    c10d::BroadcastOptions options;
    options.rootRank = root;
    options.timeout = config_.timeout;
    return start(what, payloadBytes(tensors), [&] { return backend_->broadcast(tensors, options); });
  }

  std::unique_ptr<PendingCollective> allGather(at::Tensor input, std::vector<at::Tensor> outputs, const std::string& what) override {
    std::vector<at::Tensor> inputs{std::move(input)};
    std::vector<std::vector<at::Tensor>> gathered{std::move(outputs)};
    c10d::AllgatherOptions options;
    options.timeout = config_.timeout;
    return start(what, payloadBytes(gathered[0]), [&] { return backend_->allgather(gathered, inputs, options); });
  }

  std::unique_ptr<PendingCollective> barrier(const std::string& what) override {
    c10d::BarrierOptions options;
    options.timeout = config_.timeout;
    return start(what, 0, [&] { return backend_->barrier(options); });
  }

  void noteBucketsInBackward(int64_t count) override {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.bucketsInBackward += count;
  }

  GroupStats stats() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  // Blocks until `work` is done; a failure or a timeout becomes an error naming the ranks at
  // fault, and breaks the group (a collective left half done would pair wrongly with the next).
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what, uint64_t number) {
    auto started = std::chrono::steady_clock::now();
    std::string error;
    try {
      if (!work->wait(config_.timeout)) error = "timed out";
    } catch (const std::exception& e) {
      error = firstLine(e.what());
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.waitSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    if (!error.empty()) fail(what, number, error);
  }

 private:
  class Pending : public PendingCollective {
   public:
    Pending(std::shared_ptr<C10dGroup> group, c10::intrusive_ptr<c10d::Work> work, std::string what, uint64_t number)
        : group_(std::move(group)), work_(std::move(work)), what_(std::move(what)), number_(number) {}
    void wait() override { group_->wait(work_, what_, number_); }

   private:
    std::shared_ptr<C10dGroup> group_;
    c10::intrusive_ptr<c10d::Work> work_;
    std::string what_;
    uint64_t number_;
  };

  template <class Launch>
  std::unique_ptr<PendingCollective> start(const std::string& what, int64_t bytes, Launch launch) {
    checkUsable(what);
    uint64_t number = operations_.load();
    c10::intrusive_ptr<c10d::Work> work;
    try {
      work = launch();
    } catch (const std::exception& e) {
      fail(what, number, firstLine(e.what()));
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.collectives;
      stats_.bytes += bytes;
    }
    return std::make_unique<Pending>(shared_from_this(), std::move(work), what, number);
  }

  void checkUsable(const std::string& what) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!broken_.empty()) throw OpError("the process group failed earlier and cannot be used (" + broken_ + "); destroy() it and exit");
  }

  [[noreturn]] void fail(const std::string& what, uint64_t number, const std::string& cause) {
    std::string who = diagnose(number);
    std::string message = what + " #" + std::to_string(number) + " failed on rank " + std::to_string(config_.rank) + ": " +
                          (who.empty() ? cause : who + " [" + cause + "]");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      broken_ = message;
    }
    throw OpError(message);
  }

  // Which ranks are at fault: those that exited (same host: their pid is gone), and those that
  // have not begun operation `number`. Each rank publishes its pid and operation in the store.
  std::string diagnose(uint64_t number) {
    std::vector<std::string> found;
    try {
      store_->setTimeout(std::chrono::seconds(3));
    } catch (const std::exception&) {
    }
    for (int k = 0; k < config_.worldSize; ++k) {
      if (k == config_.rank) continue;
      std::string host, info;
      long pid = 0;
      uint64_t at = 0;
      try {
        info = textOf(store_->get(key("rank", k)));
        at = std::stoull(textOf(store_->get(key("op", k))));
      } catch (const std::exception&) {
        if (k == 0)
          return "rank 0, which hosts the store at " + config_.masterAddr + ":" + std::to_string(config_.port) +
                 ", does not answer (it has probably exited)";
        found.push_back("rank " + std::to_string(k) + " did not answer");
        continue;
      }
      std::istringstream(info) >> host >> pid;
      std::string name = "rank " + std::to_string(k) + " (pid " + std::to_string(pid) + (host == host_ ? "" : " on " + host) + ")";
      if (host == host_ && exits(static_cast<pid_t>(pid))) {
        found.push_back(name + " has exited");
      } else if (at < number) {
        found.push_back(name + " has not reached operation #" + std::to_string(number) + " within " +
                        std::to_string(config_.timeout.count() / 1000) + " s (it is at #" + std::to_string(at) + ")");
      }
    }
    std::string text;
    for (const auto& f : found) text += (text.empty() ? "" : "; ") + f;
    return text;
  }

  // Whether a process of this machine has exited, or does within a second: a peer's connection
  // closes while it is still exiting.
  static bool exits(pid_t pid) {
    for (int tries = 0; tries < 10; ++tries) {
      if (kill(pid, 0) != 0 && errno == ESRCH) return true;
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string skip, state;
      if (stat >> skip >> skip >> state && (state == "Z" || state == "X")) return true;  // a zombie has exited
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // The Gloo transport's address: loopback for a single-machine run on loopback, else the one
  // GLOO_SOCKET_IFNAME names, else this machine's hostname (c10d's own default).
  std::shared_ptr<::gloo::transport::Device> glooDevice() const {
    const std::string& addr = config_.masterAddr;
    if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface != nullptr && *interface != 0) {
      return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
    }
    if (addr == "127.0.0.1" || addr == "localhost" || addr == "::1") return c10d::ProcessGroupGloo::createDeviceForHostname(addr);
    return c10d::ProcessGroupGloo::createDefaultDevice();
  }

  static std::string key(const char* what, int rank) { return std::string("torchlet/") + what + "/" + std::to_string(rank); }

  GroupConfig config_;
  std::string host_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<Backend> backend_;
  std::atomic<uint64_t> operations_{0};
  mutable std::mutex mutex_;  // stats_ and broken_
  GroupStats stats_;
  std::string broken_;
};

std::shared_ptr<Group> connectGroup(const GroupConfig& config) {
  auto group = std::make_shared<C10dGroup>(config);
  group->connect();
  return group;
}
#else
std::shared_ptr<Group> connectGroup(const GroupConfig&) {
  throw OpError(
      "this build of torchlet has no distributed support: gloo's headers were not found when it was built "
      "(apt-get install libgloo-dev, then npm rebuild torchlet)");
}
#endif

// A mean: the sum, divided once it has arrived (Gloo has no average of its own).
class DividedSum : public PendingCollective {
 public:
  DividedSum(std::unique_ptr<PendingCollective> sum, std::vector<at::Tensor> tensors, int by)
      : sum_(std::move(sum)), tensors_(std::move(tensors)), by_(by) {}
  void wait() override {
    sum_->wait();
    for (auto& t : tensors_) t.div_(by_);
  }

 private:
  std::unique_ptr<PendingCollective> sum_;
  std::vector<at::Tensor> tensors_;
  int by_;
};

ReduceOp parseOp(const std::string& name) {
  if (name == "sum" || name == "mean") return ReduceOp::Sum;
  if (name == "max") return ReduceOp::Max;
  if (name == "min") return ReduceOp::Min;
  if (name == "product") return ReduceOp::Product;
  throw ArgRangeError("unknown op '" + name + "' (expected sum, mean, max, min or product)");
}

// Collectives run on the compute thread: launched, then waited for there, so that the event loop
// stays free and they keep their order with the training steps queued around them. The Promise
// resolves to tensors[resultsFrom...]; those before it are updated in place.
using Launch = std::function<std::unique_ptr<PendingCollective>(Group&, std::vector<at::Tensor>&)>;
Napi::Value runCollective(Args& a, const std::string& what, std::vector<at::Tensor> tensors, size_t resultsFrom, const Launch& launch) {
  std::shared_ptr<Group> group = requireGroup();
  return submitCompute(a.env(), what.c_str(), [group, what, tensors = std::move(tensors), resultsFrom, launch]() mutable {
    at::AutoGradMode noGrad(false);  // weights are updated in place, outside any graph
    // c10d wants dense contiguous tensors: others go through a contiguous copy.
    std::vector<at::Tensor> dense;
    for (const auto& t : tensors) dense.push_back(t.is_contiguous() ? t : t.contiguous());
    group->begin(what);
    launch(*group, dense)->wait();
    for (size_t k = 0; k < resultsFrom; ++k) {
      if (!dense[k].is_same(tensors[k])) tensors[k].copy_(dense[k]);
    }
    return std::vector<at::Tensor>(dense.begin() + static_cast<std::ptrdiff_t>(resultsFrom), dense.end());
  });
}

}  // namespace

std::shared_ptr<Group> currentGroup() {
  std::lock_guard<std::mutex> lock(groupMutex);
  return theGroup;
}

std::shared_ptr<Group> requireGroup() {
  std::shared_ptr<Group> group = currentGroup();
  if (!group) throw OpError("the process group is not initialized: call tl.distributed.init() first");
  return group;
}

void registerProcessGroup(Napi::Env env, Napi::Object exports) {
  exports.Set("distributedAvailable", Napi::Boolean::New(env,
#ifdef TORCHLET_DISTRIBUTED
                                                         true
#else
                                                         false
#endif
                                                         ));
  exports.Set("ncclAvailable", Napi::Boolean::New(env,
#ifdef TORCHLET_NCCL
                                                  true
#else
                                                  false
#endif
                                                  ));

  // distInit(masterAddr, port, rank, worldSize, backend, timeoutMs) → Promise: the rendezvous, on
  // the compute thread (it blocks until every rank has joined).
  bind(exports, "distInit", [](Args& a) {
    GroupConfig config;
    config.masterAddr = a.string(0, "masterAddr");
    int64_t port = a.integer(1, "port"), rank = a.integer(2, "rank"), size = a.integer(3, "worldSize"), timeout = a.integer(5, "timeoutMs");
    config.backend = a.string(4, "backend");
    if (port < 1 || port > 65535) throw ArgRangeError("'port' must be in [1, 65535], got " + std::to_string(port));
    if (size < 1 || size > 65536) throw ArgRangeError("'worldSize' must be in [1, 65536], got " + std::to_string(size));
    if (rank < 0 || rank >= size)
      throw ArgRangeError("'rank' must be in [0, worldSize), got " + std::to_string(rank) + " of " + std::to_string(size));
    if (config.backend != "gloo" && config.backend != "nccl")
      throw ArgRangeError("unknown backend '" + config.backend + "' (expected gloo or nccl)");
    if (timeout < 1 || timeout > 86400000LL * 7) throw ArgRangeError("'timeoutMs' must be in [1, 7 days], got " + std::to_string(timeout));
    config.port = static_cast<int>(port);
    config.rank = static_cast<int>(rank);
    config.worldSize = static_cast<int>(size);
    config.timeout = std::chrono::milliseconds(timeout);
    if (currentGroup()) throw OpError("the process group is already initialized; destroy() it first");
    return submitCompute(a.env(), "init", [config]() {
      std::shared_ptr<Group> group = connectGroup(config);
      std::lock_guard<std::mutex> lock(groupMutex);
      if (theGroup) throw OpError("the process group is already initialized; destroy() it first");
      theGroup = group;
      return std::vector<at::Tensor>{};
    });
  });

  bind(exports, "distDestroy", [](Args& a) {
    std::lock_guard<std::mutex> lock(groupMutex);
    theGroup.reset();  // the backend's threads end with its last user (a collective in flight holds it)
    return a.undefined();
  });

  bind(exports, "distInfo", [](Args& a) -> Napi::Value {
    std::shared_ptr<Group> group = currentGroup();
    if (!group) return a.env().Null();
    Napi::Object info = Napi::Object::New(a.env());
    info.Set("rank", group->rank());
    info.Set("worldSize", group->size());
    info.Set("backend", group->backend());
    info.Set("timeoutMs", static_cast<double>(group->timeout().count()));
    GroupStats stats = group->stats();
    info.Set("collectives", static_cast<double>(stats.collectives));
    info.Set("bytes", static_cast<double>(stats.bytes));
    info.Set("waitSeconds", stats.waitSeconds);
    info.Set("bucketsInBackward", static_cast<double>(stats.bucketsInBackward));
    return info;
  });

  // distAllReduce(tensor, op) → Promise<[]>: `tensor` is reduced in place.
  bind(exports, "distAllReduce", [](Args& a) {
    at::Tensor t = a.tensor(0, "tensor");
    std::string name = a.string(1, "op");
    ReduceOp op = parseOp(name);
    bool mean = name == "mean";
    if (mean && !at::isFloatingType(t.scalar_type()))
      throw ArgRangeError("op 'mean' needs a floating-point tensor, got " + describeTensor(t));
    return runCollective(a, "allReduce", {t}, 1, [op, mean](Group& g, std::vector<at::Tensor>& ts) {
      std::unique_ptr<PendingCollective> sum = g.allReduce(ts, op, "allReduce");
      return mean ? std::make_unique<DividedSum>(std::move(sum), ts, g.size()) : std::move(sum);
    });
  });

  // distBroadcast(tensor, root) → Promise<[]>: every rank's `tensor` becomes root's.
  bind(exports, "distBroadcast", [](Args& a) {
    at::Tensor t = a.tensor(0, "tensor");
    int64_t root = a.integer(1, "src");
    int size = requireGroup()->size();
    if (root < 0 || root >= size)
      throw ArgRangeError("'src' must be a rank in [0, " + std::to_string(size) + "), got " + std::to_string(root));
    return runCollective(a, "broadcast", {t}, 1,
                         [root](Group& g, std::vector<at::Tensor>& ts) { return g.broadcast(ts, static_cast<int>(root), "broadcast"); });
  });

  // distAllGather(tensor) → Promise<Tensor[]>: every rank's tensor, in rank order.
  bind(exports, "distAllGather", [](Args& a) {
    at::Tensor t = a.tensor(0, "tensor");
    int size = requireGroup()->size();
    std::vector<at::Tensor> tensors{t};
    for (int k = 0; k < size; ++k) tensors.push_back(at::empty_like(t, at::MemoryFormat::Contiguous));
    return runCollective(a, "allGather", std::move(tensors), 1, [](Group& g, std::vector<at::Tensor>& ts) {
      return g.allGather(ts[0], std::vector<at::Tensor>(ts.begin() + 1, ts.end()), "allGather");
    });
  });

  bind(exports, "distBarrier",
       [](Args& a) { return runCollective(a, "barrier", {}, 0, [](Group& g, std::vector<at::Tensor>&) { return g.barrier("barrier"); }); });
}

}  // namespace torchlet
