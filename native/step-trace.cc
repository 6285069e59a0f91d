#include "step-trace.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/runtime/interpreter.h>

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "args.h"
#include "compute-thread.h"
#include "errors.h"
#include "grad-sync.h"
#include "optim.h"
#include "tensor.h"

namespace torchlet {
namespace {

struct Trace {
  std::shared_ptr<torch::jit::Code> code;
  size_t inputs = 0;
};

thread_local int hostReadsWhileTracing = 0;

// Ops whose result the JS step reads as a host value: the trace would keep the value it saw.
std::vector<std::string> hostSyncs(const torch::jit::Graph& graph) {
  static const std::set<std::string> syncing = {
      "aten::item", "aten::_local_scalar_dense", "aten::is_nonzero", "aten::equal", "aten::allclose", "aten::Bool", "aten::Int",
      "aten::Float"};
  std::vector<std::string> found;
  for (const torch::jit::Node* node : graph.nodes()) {
    std::string kind = node->kind().toQualString();
    if (syncing.count(kind) != 0) found.push_back(kind);
  }
  return found;
}

// The JS step's return value: an array of tensor handles.
torch::jit::Stack readOutputs(const Napi::Value& value) {
  if (!value.IsArray()) throw ArgTypeError("the traced function must return an array of tensors");
  auto array = value.As<Napi::Array>();
  torch::jit::Stack out;
  for (uint32_t k = 0; k < array.Length(); ++k) {
    TensorHandle* h = TensorHandle::unwrap(array.Get(k));
    if (h == nullptr || h->disposed()) throw ArgTypeError("output " + std::to_string(k) + " of the traced function is not a live tensor");
    out.emplace_back(h->tensor());
  }
  return out;
}

std::shared_ptr<Trace> traceOf(const Args& a, size_t i) {
  if (!a[i].IsExternal()) throw ArgTypeError("argument 'trace' must be a trace from traceStep()");
  return *a[i].As<Napi::External<std::shared_ptr<Trace>>>().Data();
}

// Argument i: an optimizer whose parameters are all live, or null (none).
OptimizerHandle* optimizerOf(const Args& a, size_t i) {
  if (!a.has(i)) return nullptr;
  OptimizerHandle* optimizer = OptimizerHandle::unwrap(a[i]);
  if (optimizer == nullptr) throw ArgTypeError("argument 'optimizer' must be an optimizer");
  optimizer->checkUsable();  // touches JS handles: here, not on the compute thread
  return optimizer;
}

// Runs on the compute thread: the graph (or, for the traced step itself, nothing), then backward
// and the optimizer's update when training.
std::vector<at::Tensor> runStep(const std::shared_ptr<Trace>& trace, std::vector<at::Tensor> inputs, OptimizerHandle* optimizer,
                                const std::shared_ptr<GradSync>& sync, double scale) {
  std::vector<at::Tensor> outputs = std::move(inputs);
  if (trace) {
    torch::jit::Stack stack(outputs.begin(), outputs.end());
    if (optimizer != nullptr) {
      at::AutoGradMode grad(true);
      torch::jit::InterpreterState(*trace->code).run(stack);
    } else {
      // Evaluation and prediction: no graph, no version counts or view tracking for what they
      // make (their outputs are inference tensors, which JS clones before handing them out).
      c10::InferenceMode inference;
      torch::jit::InterpreterState(*trace->code).run(stack);
    }
    outputs.clear();
    for (const auto& value : stack) outputs.push_back(value.toTensor());
  }
  if (optimizer == nullptr) return outputs;
  optimizer->zeroGrad(true);
  if (sync) sync->begin(scale);
  try {
    if (!outputs.empty()) torch::autograd::backward({outputs.at(0)});  // none: this rank's shard of the batch is empty
  } catch (...) {
    if (sync) sync->abandon();
    throw;
  }
  if (sync) sync->finish();
  optimizer->stepUnchecked();
  return {};
}

}  // namespace

void noteHostRead() {
  if (torch::jit::tracer::isTracing()) ++hostReadsWhileTracing;
}

void registerStepTrace(Napi::Env env, Napi::Object exports) {
  // traceStep(fn, inputs) → { trace, outputs, hostSyncs }: calls fn() once under the tracer, with
  // `inputs` as the graph's inputs (every other tensor fn touches becomes a constant of the graph).
  // A JS exception from fn passes through unchanged.
  bind(exports, "traceStep", [](Args& a) {
    if (!a[0].IsFunction()) throw ArgTypeError("argument 'fn' must be a function");
    auto fn = a[0].As<Napi::Function>();
    std::vector<at::Tensor> inputs = a.tensors(1, "inputs");
    hostReadsWhileTracing = 0;
    auto traced = torch::jit::tracer::trace(
        torch::jit::Stack(inputs.begin(), inputs.end()), [&](const torch::jit::Stack&) { return readOutputs(fn.Call({})); },
        [](const at::Tensor&) { return std::string(); }, /*strict=*/false);
    const std::shared_ptr<torch::jit::Graph>& graph = traced.first->graph;
    auto trace = std::make_shared<Trace>(Trace{std::make_shared<torch::jit::Code>(graph, "torchlet_step"), inputs.size()});
    Napi::Env env = a.env();
    Napi::Object result = Napi::Object::New(env);
    result.Set("trace", Napi::External<std::shared_ptr<Trace>>::New(env, new std::shared_ptr<Trace>(trace),
                                                                    [](Napi::Env, std::shared_ptr<Trace>* t) { delete t; }));
    Napi::Array outputs = Napi::Array::New(env, traced.second.size());
    for (size_t k = 0; k < traced.second.size(); ++k) outputs.Set(static_cast<uint32_t>(k), a.wrap(traced.second[k].toTensor()));
    result.Set("outputs", outputs);
    std::vector<std::string> syncs = hostSyncs(*graph);
    if (hostReadsWhileTracing > 0) syncs.emplace_back(std::to_string(hostReadsWhileTracing) + " read(s) by item() or data()");
    Napi::Array syncList = Napi::Array::New(env, syncs.size());
    for (size_t k = 0; k < syncs.size(); ++k) syncList.Set(static_cast<uint32_t>(k), syncs[k]);
    result.Set("hostSyncs", syncList);
    return Napi::Value(result);
  });

  // runStep(trace | null, inputs, optimizer | null, label, sync?, scale?) → Promise<Tensor[]>: on
  // the compute thread, replays the trace on `inputs` (without a trace, `inputs` are the traced
  // step's own outputs); with an optimizer, then zeroes the grads, runs backward from output 0
  // (its gradients reduced across ranks by `sync`, this rank's counting `scale` times) and
  // updates. Resolves to the outputs (none when training); rejects with an error named `label`.
  bind(exports, "runStep", [](Args& a) {
    std::shared_ptr<Trace> trace = a.has(0) ? traceOf(a, 0) : nullptr;
    std::vector<at::Tensor> inputs = a.tensors(1, "inputs");
    OptimizerHandle* optimizer = optimizerOf(a, 2);
    std::string label = a.string(3, "label");
    std::shared_ptr<GradSync> sync = a.has(4) ? gradSyncOf(a[4], "sync") : nullptr;
    double scale = a.has(5) ? a.number(5, "scale") : 1.0;
    if (sync && optimizer == nullptr) throw ArgRangeError("a gradient reduction needs an optimizer");
    if (trace && inputs.size() != trace->inputs) {
      throw ArgRangeError("the trace takes " + std::to_string(trace->inputs) + " inputs, got " + std::to_string(inputs.size()));
    }
    if (optimizer != nullptr && inputs.empty() && !sync) throw ArgRangeError("a training step needs the loss");
    return Napi::Value(submitCompute(a.env(), label.c_str(), [trace, inputs = std::move(inputs), optimizer, sync, scale]() mutable {
      return runStep(trace, std::move(inputs), optimizer, sync, scale);
    }));
  });

  // runSteps(trace, inputs, optimizer | null, label) → Promise<Tensor[]>: on the compute thread,
  // runs the step once per consecutive group of `inputs` the trace takes, in order, as one job (a
  // training step with an optimizer): the JS thread wakes once for the lot instead of once a step,
  // and a small model's steps are not held up by it. Resolves to every step's outputs (none when
  // training), one step's after the other's.
  bind(exports, "runSteps", [](Args& a) {
    std::shared_ptr<Trace> trace = traceOf(a, 0);
    std::vector<at::Tensor> inputs = a.tensors(1, "inputs");
    OptimizerHandle* optimizer = optimizerOf(a, 2);
    std::string label = a.string(3, "label");
    const size_t each = trace->inputs;
    if (each == 0 || inputs.empty() || inputs.size() % each != 0) {
      throw ArgRangeError("the trace takes " + std::to_string(each) + " inputs a step, got " + std::to_string(inputs.size()) +
                          " (must be a positive multiple)");
    }
    return Napi::Value(submitCompute(a.env(), label.c_str(), [trace, inputs = std::move(inputs), optimizer, each]() {
      std::vector<at::Tensor> outputs;
      for (auto first = inputs.begin(); first != inputs.end(); first += static_cast<std::ptrdiff_t>(each)) {
        std::vector<at::Tensor> step = runStep(trace, {first, first + static_cast<std::ptrdiff_t>(each)}, optimizer, nullptr, 1.0);
        outputs.insert(outputs.end(), step.begin(), step.end());
      }
      return outputs;
    }));
  });
}

}  // namespace torchlet
