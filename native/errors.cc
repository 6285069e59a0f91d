#include "errors.h"

#include <c10/util/Exception.h>

#include <new>
#include <string>

#include "args.h"

namespace torchlet {
namespace {

enum class Kind { Error, Type, Range };

[[noreturn]] void rethrow(const Args& args, Kind kind, const std::string& message) {
  std::string text = std::string(args.op()) + ": " + message;
  std::string shapes = args.describeTensors();
  if (!shapes.empty()) text += " (" + shapes + ")";
  Napi::Env env = args.env();
  switch (kind) {
    case Kind::Type:
      throw Napi::TypeError::New(env, text);
    case Kind::Range:
      throw Napi::RangeError::New(env, text);
    default:
      throw Napi::Error::New(env, text);
  }
}

}  // namespace

void bind(Napi::Object exports, const char* name, Body body) {
  auto guarded = [name, body = std::move(body)](const Napi::CallbackInfo& info) -> Napi::Value {
    Args args(info, name);
    try {
      return body(args);
    } catch (const Napi::Error&) {
      throw;  // already a JS exception (from a JS callback or node-addon-api itself)
    } catch (const ArgTypeError& e) {
      rethrow(args, Kind::Type, e.what());
    } catch (const ArgRangeError& e) {
      rethrow(args, Kind::Range, e.what());
    } catch (const c10::TypeError& e) {
      rethrow(args, Kind::Type, e.what_without_backtrace());
    } catch (const c10::IndexError& e) {
      rethrow(args, Kind::Range, e.what_without_backtrace());
    } catch (const c10::ValueError& e) {
      rethrow(args, Kind::Range, e.what_without_backtrace());
    } catch (const c10::Error& e) {
      // Includes CUDA out-of-memory, which stays catchable: the caller can retry smaller.
      rethrow(args, Kind::Error, e.what_without_backtrace());
    } catch (const std::bad_alloc&) {
      rethrow(args, Kind::Error, "out of host memory");
    } catch (const std::exception& e) {
      rethrow(args, Kind::Error, e.what());
    }
  };
  exports.Set(name, Napi::Function::New(exports.Env(), std::move(guarded), name));
}

void bindUnary(Napi::Object exports, const char* name, at::Tensor (*op)(const at::Tensor&), const char* argName) {
  bind(exports, name, [op, argName](Args& a) { return a.wrap(op(a.tensor(0, argName))); });
}

}  // namespace torchlet
