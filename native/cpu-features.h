// What the CPU can run, for kernels compiled with target attributes (max-pool.cc,
// conv-relu-pool.cc) and chosen at run time.
#pragma once

namespace torchlet {

#if defined(__x86_64__) && defined(__GNUC__)
inline bool cpuHasAvx512() {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  return avx512;
}
#endif

}  // namespace torchlet
