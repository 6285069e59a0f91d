// The single error boundary between JS and libtorch. Every exported function is registered with
// bind(), which runs its body inside a guard that turns every C++ failure into a JS exception
// naming the op and the shapes of its tensor arguments. No input may abort the process.
#pragma once

#include <ATen/ATen.h>
#include <napi.h>

#include <functional>
#include <stdexcept>
#include <string>

namespace torchlet {

class Args;

// A JS argument of the wrong type: surfaces as a JS TypeError.
struct ArgTypeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A JS argument with a bad value (shape, range, unknown name): surfaces as a JS RangeError.
struct ArgRangeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Any other failure the addon detects itself (a disposed tensor, a missing device): a JS Error.
struct OpError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A failure caught by the boundary, classified as the JS error it becomes.
struct Failure {
  enum class Kind { Error, Type, Range } kind;
  std::string message;
};

// The exception being handled (call inside a catch block), classified; for the compute thread,
// which cannot throw into JS, and for bind().
Failure currentFailure();

// `op: message`, as a JS Error, TypeError or RangeError.
Napi::Error jsError(Napi::Env env, const std::string& op, const Failure& failure);

using Body = std::function<Napi::Value(Args&)>;

// Exports `name` on `exports` as a JS function that parses its arguments with Args and runs `body`
// inside the guard.
void bind(Napi::Object exports, const char* name, Body body);

// bind() for an op of one tensor, whose argument is called `argName` in error messages.
void bindUnary(Napi::Object exports, const char* name, at::Tensor (*op)(const at::Tensor&), const char* argName);

}  // namespace torchlet
