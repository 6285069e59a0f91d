// Neural-network ops, one file per concern: conv.cc, pooling.cc, linear.cc, activations.cc,
// normalization.cc (batch norm, dropout), losses.cc and recurrent.cc (LSTM, GRU); window.cc holds
// the window arithmetic that conv and pooling share.
#pragma once

#include <napi.h>

namespace torchlet {
void registerConv(Napi::Env env, Napi::Object exports);
void registerPooling(Napi::Env env, Napi::Object exports);
void registerLinear(Napi::Env env, Napi::Object exports);
void registerActivations(Napi::Env env, Napi::Object exports);
void registerNormalization(Napi::Env env, Napi::Object exports);
void registerLosses(Napi::Env env, Napi::Object exports);
void registerRecurrent(Napi::Env env, Napi::Object exports);
}  // namespace torchlet
