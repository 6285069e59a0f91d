// Steps off the JS thread. The JS step (forward pass, loss, metric sums) is run once under
// libtorch's tracer, which records every op it calls into a graph; later batches replay that
// graph on the compute thread, followed there by backward and the optimizer's update. The JS
// thread only draws batches and awaits a Promise per step.
#pragma once

#include <napi.h>

namespace torchlet {

// Called by bindings that copy tensor data to JS: a trace cannot record such a read, so it is
// noted, and the trace refused (the step then stays eager).
void noteHostRead();

void registerStepTrace(Napi::Env env, Napi::Object exports);

}  // namespace torchlet
