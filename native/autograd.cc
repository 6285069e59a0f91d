#include "autograd.h"

#include <ATen/core/grad_mode.h>

#include "args.h"
#include "errors.h"

namespace torchlet {

void registerAutograd(Napi::Env env, Napi::Object exports) {
  bind(exports, "setGradEnabled", [](Args& a) {
    at::GradMode::set_enabled(a.boolean(0, "enabled", true));
    return a.undefined();
  });
  bind(exports, "isGradEnabled", [](Args& a) { return Napi::Boolean::New(a.env(), at::GradMode::is_enabled()); });
}

}  // namespace torchlet
