// This CPU's peak arithmetic rate, measured rather than looked up (cores x clock x FLOP/cycle,
// where the clock and the FMA units per core are what the machine really has): each of N threads
// runs 16 independent chains of fused multiply-adds in the widest vector unit the CPU reports
// (AVX-512, else AVX2 with FMA, else SSE2 multiply and add), and of AVX512-BF16 dot products
// where the CPU has them. AMX is not probed.
//
// Usage: cpu-peak THREADS. Prints one JSON line: {"threads", "fp32Isa", "fp32", "bf16Isa", "bf16"},
// rates in GFLOP/s for all threads together (bf16 null without AVX512-BF16). benchmark.mjs
// compiles and runs it for its physical-floor line.
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 16
#define ROUNDS (400000000L / CHAINS)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// Each kernel returns the FLOPs it did and keeps its result alive through `sink`.
static volatile float sink;

__attribute__((target("avx512f"))) static double fp32Avx512(void) {
  __m512 acc[CHAINS], a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-6f);
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
  for (long r = 0; r < ROUNDS; r++)
#pragma GCC unroll 16
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  for (int i = 1; i < CHAINS; i++) acc[0] = _mm512_add_ps(acc[0], acc[i]);
  sink = _mm512_reduce_add_ps(acc[0]);
  return (double)ROUNDS * CHAINS * 16 * 2;
}

__attribute__((target("avx2,fma"))) static double fp32Avx2(void) {
  __m256 acc[CHAINS], a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-6f);
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
  for (long r = 0; r < ROUNDS; r++)
#pragma GCC unroll 16
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  for (int i = 1; i < CHAINS; i++) acc[0] = _mm256_add_ps(acc[0], acc[i]);
  float out[8];
  _mm256_storeu_ps(out, acc[0]);
  sink = out[0];
  return (double)ROUNDS * CHAINS * 8 * 2;
}

static double fp32Sse2(void) {
  __m128 acc[CHAINS], a = _mm_set1_ps(0.999f), b = _mm_set1_ps(1e-6f);
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm_set1_ps((float)i);
  for (long r = 0; r < ROUNDS; r++)
#pragma GCC unroll 16
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm_add_ps(_mm_mul_ps(acc[i], a), b);
  for (int i = 1; i < CHAINS; i++) acc[0] = _mm_add_ps(acc[0], acc[i]);
  sink = _mm_cvtss_f32(acc[0]);
  return (double)ROUNDS * CHAINS * 4 * 2;
}

// One vdpbf16ps: 16 lanes, each adding two bf16 products to a float: 64 FLOPs.
__attribute__((target("avx512f,avx512bf16"))) static double bf16Avx512(void) {
  __m512 acc[CHAINS];
  __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.25f));
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
  for (long r = 0; r < ROUNDS; r++)
#pragma GCC unroll 16
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a, a);
  for (int i = 1; i < CHAINS; i++) acc[0] = _mm512_add_ps(acc[0], acc[i]);
  sink = _mm512_reduce_add_ps(acc[0]);
  return (double)ROUNDS * CHAINS * 64;
}

typedef double (*Kernel)(void);

static void* runKernel(void* kernel) {
  double* flops = malloc(sizeof(double));
  *flops = ((Kernel)kernel)();
  return flops;
}

// GFLOP/s of `kernel` on `threads` threads at once.
static double rate(Kernel kernel, int threads) {
  pthread_t ids[256];
  double start = now(), flops = 0;
  for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, runKernel, (void*)kernel);
  for (int t = 0; t < threads; t++) {
    void* done;
    pthread_join(ids[t], &done);
    flops += *(double*)done;
    free(done);
  }
  return flops / (now() - start) / 1e9;
}

int main(int argc, char** argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1 || threads > 256) {
    fprintf(stderr, "cpu-peak: THREADS must be 1 to 256\n");
    return 2;
  }
  __builtin_cpu_init();
  const char* fp32Isa = __builtin_cpu_supports("avx512f") ? "avx512f" : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? "avx2+fma" : "sse2";
  Kernel fp32 = fp32Isa[3] == '5' ? fp32Avx512 : fp32Isa[3] == '2' ? fp32Avx2 : fp32Sse2;
  int bf16 = __builtin_cpu_supports("avx512bf16");
  rate(fp32, threads);  // warm-up: clocks settle
  double fp32Rate = rate(fp32, threads);
  printf("{\"threads\":%d,\"fp32Isa\":\"%s\",\"fp32\":%.1f,\"bf16Isa\":%s,\"bf16\":", threads, fp32Isa, fp32Rate,
         bf16 ? "\"avx512bf16\"" : "null");
  if (bf16)
    printf("%.1f}\n", rate(bf16Avx512, threads));
  else
    printf("null}\n");
  return 0;
}
