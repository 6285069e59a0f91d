// Registers the module: each concern adds its own bindings.
#include <napi.h>

#include "arith.h"
#include "autocast.h"
#include "autograd.h"
#include "compute-thread.h"
#include "create.h"
#include "device.h"
#include "grad-sync.h"
#include "graph.h"
#include "host-allocator.h"
#include "ops.h"
#include "optim.h"
#include "process-group.h"
#include "shape.h"
#include "step-trace.h"
#include "tensor.h"
#include "window.h"

namespace {

Napi::Object initTorchlet(Napi::Env env, Napi::Object exports) {
  using namespace torchlet;
  registerHostAllocator(env, exports);  // first: every CPU tensor after this comes from it
  registerComputeThread(env, exports);  // before any op: this thread's ops run on one thread
  registerTensor(env, exports);
  registerCreate(env, exports);
  registerArith(env, exports);
  registerShape(env, exports);
  registerDevice(env, exports);
  registerAutograd(env, exports);
  registerWindow(env, exports);
  registerConv(env, exports);
  registerPooling(env, exports);
  registerLinear(env, exports);
  registerActivations(env, exports);
  registerNormalization(env, exports);
  registerLosses(env, exports);
  registerRecurrent(env, exports);
  registerOptim(env, exports);
  registerAutocast(env, exports);
  registerGraph(env, exports);
  registerStepTrace(env, exports);
  registerProcessGroup(env, exports);
  registerGradSync(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(torchlet, initTorchlet)
