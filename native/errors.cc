#include "errors.h"

#include <c10/util/Exception.h>

#include <new>
#include <string>

#include "args.h"

namespace torchlet {

Failure currentFailure() {
  using Kind = Failure::Kind;
  try {
    throw;
  } catch (const ArgTypeError& e) {
    return {Kind::Type, e.what()};
  } catch (const ArgRangeError& e) {
    return {Kind::Range, e.what()};
  } catch (const c10::TypeError& e) {
    return {Kind::Type, e.what_without_backtrace()};
  } catch (const c10::IndexError& e) {
    return {Kind::Range, e.what_without_backtrace()};
  } catch (const c10::ValueError& e) {
    return {Kind::Range, e.what_without_backtrace()};
  } catch (const c10::Error& e) {
    // Includes CUDA out-of-memory, which stays catchable: the caller can retry smaller.
    return {Kind::Error, e.what_without_backtrace()};
  } catch (const std::bad_alloc&) {
    return {Kind::Error, "out of host memory"};
  } catch (const std::exception& e) {
    return {Kind::Error, e.what()};
  } catch (...) {
    return {Kind::Error, "unknown native failure"};
  }
}

Napi::Error jsError(Napi::Env env, const std::string& op, const Failure& failure) {
  std::string text = op + ": " + failure.message;
  switch (failure.kind) {
    case Failure::Kind::Type:
      return Napi::TypeError::New(env, text);
    case Failure::Kind::Range:
      return Napi::RangeError::New(env, text);
    default:
      return Napi::Error::New(env, text);
  }
}

void bind(Napi::Object exports, const char* name, Body body) {
  auto guarded = [name, body = std::move(body)](const Napi::CallbackInfo& info) -> Napi::Value {
    Args args(info, name);
    try {
      return body(args);
    } catch (const Napi::Error&) {
      throw;  // already a JS exception (from a JS callback or node-addon-api itself)
    } catch (...) {
      Failure failure = currentFailure();
      std::string shapes = args.describeTensors();
      if (!shapes.empty()) failure.message += " (" + shapes + ")";
      throw jsError(args.env(), name, failure);
    }
  };
  exports.Set(name, Napi::Function::New(exports.Env(), std::move(guarded), name));
}

void bindUnary(Napi::Object exports, const char* name, at::Tensor (*op)(const at::Tensor&), const char* argName) {
  bind(exports, name, [op, argName](Args& a) { return a.wrap(op(a.tensor(0, argName))); });
}

}  // namespace torchlet
