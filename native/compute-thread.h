// The compute thread: one native thread per JS environment that runs long work (a training step,
// a forward pass) in submission order, so that the event loop stays free. Each job settles a
// Promise on the JS thread. One thread rather than libuv's pool: its OpenMP team, grad mode and
// CUDA streams stay the same from job to job, and the pool stays free for file I/O.
//
// Intra-op threads: only compute threads run multi-threaded ops. OpenMP (libgomp) gives every
// thread that opens a parallel region a team of its own, and once the process holds more OpenMP
// threads than cores its workers stop spinning between regions and sleep; a second team, on the
// JS thread, made each step of the compute thread a third slower. So each JS thread runs its ops on
// one thread, and the compute threads of all environments share the cores.
#pragma once

#include <ATen/ATen.h>
#include <napi.h>

#include <functional>
#include <vector>

namespace torchlet {

// Runs on the compute thread; may throw (the Promise then rejects with the error, named `op`).
using ComputeWork = std::function<std::vector<at::Tensor>()>;

// Queues `work`; the Promise resolves to its tensors as an array of handles.
Napi::Promise submitCompute(Napi::Env env, const char* op, ComputeWork work);

// On a JS thread, once, before its first op: its ops run on one thread (see above).
void makeJsThreadSerial();

// setNumThreads / getNumThreads: the intra-op threads of this environment's compute thread.
void registerComputeThread(Napi::Env env, Napi::Object exports);

}  // namespace torchlet
