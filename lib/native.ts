// Loads the native addon and declares its typed interface; the only file that touches the addon.
// A build from source loads through node-gyp-build; otherwise the prebuild matching the libtorch
// found (lib/prebuild.ts), after libtorch itself is loaded by absolute path.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIBTORCH_FIXES, LibtorchNotFoundError, locateLibtorch, type Libtorch } from './libtorch.js';
import { availablePrebuilds, findPrebuild, libtorchLibraries } from './prebuild.js';

/** An opaque native tensor handle; lib/tensor.ts wraps it in a Tensor. */
export interface Handle {
  readonly __torchletHandle: unique symbol;
}

export type DtypeName =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'bool';

type Operand = Handle | number | boolean;
type Dims = number | number[];
type Opt<T> = T | null | undefined;

export interface NativeAddon {
  // tensor.cc
  isTensorHandle(value: unknown): boolean;
  isDisposed(h: Handle): boolean;
  dispose(h: Handle): void;
  liveTensors(): { tensors: number; bytes: number; hostBytes: number; v8ExternalBytes: number };
  shape(h: Handle): number[];
  strides(h: Handle): number[];
  dtype(h: Handle): DtypeName;
  device(h: Handle): string;
  numel(h: Handle): number;
  isContiguous(h: Handle, memoryFormat?: string): boolean;
  data(h: Handle): Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array;
  item(h: Handle): number | boolean;
  tensor(data: ArrayBufferView, shape: number[], dtype: Opt<string>, device: Opt<string>): Handle;
  to(h: Handle, device: Opt<string>, dtype: Opt<string>): Handle;
  clone(h: Handle): Handle;
  assign(h: Handle, src: Handle): void;

  // create.cc
  zeros(shape: number[], dtype: Opt<string>, device: Opt<string>): Handle;
  ones(shape: number[], dtype: Opt<string>, device: Opt<string>): Handle;
  full(shape: number[], value: number | boolean, dtype: Opt<string>, device: Opt<string>): Handle;
  rand(shape: number[], dtype: Opt<string>, device: Opt<string>): Handle;
  randn(shape: number[], dtype: Opt<string>, device: Opt<string>): Handle;
  randint(low: number, high: number, shape: number[], dtype: Opt<string>, device: Opt<string>): Handle;
  arange(start: number, end: number, step: number, dtype: Opt<string>, device: Opt<string>): Handle;
  randperm(n: number, dtype: Opt<string>, device: Opt<string>): Handle;

  // arith.cc
  neg(h: Handle): Handle;
  exp(h: Handle): Handle;
  log(h: Handle): Handle;
  sqrt(h: Handle): Handle;
  abs(h: Handle): Handle;
  erfinv(h: Handle): Handle;
  add(h: Handle, other: Operand, alpha?: number): Handle;
  addInPlace(h: Handle, other: Operand, alpha?: number): void;
  fillInPlace(h: Handle, value: number | boolean): void;
  sub(h: Handle, other: Operand, alpha?: number): Handle;
  mul(h: Handle, other: Operand): Handle;
  div(h: Handle, other: Operand): Handle;
  pow(h: Handle, other: Operand): Handle;
  eq(h: Handle, other: Operand): Handle;
  ne(h: Handle, other: Operand): Handle;
  lt(h: Handle, other: Operand): Handle;
  le(h: Handle, other: Operand): Handle;
  gt(h: Handle, other: Operand): Handle;
  ge(h: Handle, other: Operand): Handle;
  matmul(h: Handle, other: Handle): Handle;
  where(condition: Handle, h: Handle, other: Operand): Handle;
  clamp(h: Handle, min: Opt<number>, max: Opt<number>): Handle;
  sum(h: Handle, dim: Opt<Dims>, keepDim: boolean): Handle;
  mean(h: Handle, dim: Opt<Dims>, keepDim: boolean): Handle;
  max(h: Handle, dim: Opt<Dims>, keepDim: boolean): Handle;
  min(h: Handle, dim: Opt<Dims>, keepDim: boolean): Handle;
  argmax(h: Handle, dim: Opt<number>, keepDim: boolean): Handle;
  argmin(h: Handle, dim: Opt<number>, keepDim: boolean): Handle;

  // shape.cc
  reshape(h: Handle, shape: number[]): Handle;
  view(h: Handle, shape: number[]): Handle;
  permute(h: Handle, dims: number[]): Handle;
  transpose(h: Handle, dim0: number, dim1: number): Handle;
  contiguous(h: Handle, memoryFormat?: string): Handle;
  flatten(h: Handle, startDim: number, endDim: number): Handle;
  squeeze(h: Handle, dim: Opt<number>): Handle;
  unsqueeze(h: Handle, dim: number): Handle;
  narrow(h: Handle, dim: number, start: number, length: number): Handle;
  slice(h: Handle, dim: number, start: Opt<number>, end: Opt<number>, step: number): Handle;
  indexSelect(h: Handle, dim: number, index: Handle): Handle;
  gather(h: Handle, dim: number, index: Handle): Handle;
  flip(h: Handle, dims: number[]): Handle;
  expand(h: Handle, shape: number[]): Handle;
  cat(tensors: Handle[], dim: number): Handle;
  stack(tensors: Handle[], dim: number): Handle;
  pad(h: Handle, pads: number[], value: number): Handle;

  // device.cc
  cudaIsAvailable(): boolean;
  checkDevice(device: string): string;
  cudaDeviceCount(): number;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  synchronize(device?: string): void;
  cudaMemory(device?: string): { allocated?: number; peakAllocated?: number; reserved?: number };
  cudaResetPeakMemory(device?: string): void;
  setCudnnBenchmark(enabled: boolean): void;
  cudaEmptyCache(): void;
  buildInfo(): { torchVersion: string; cudaBuild: boolean; libtorchSource: string; mkldnn: boolean; parallelInfo: string };

  // autograd.cc
  setGradEnabled(enabled: boolean): void;
  isGradEnabled(): boolean;
  requiresGrad(h: Handle): boolean;
  setRequiresGrad(h: Handle, requiresGrad: boolean): void;
  isLeaf(h: Handle): boolean;
  gradFn(h: Handle): string | null;
  grad(h: Handle): Handle | null;
  setGrad(h: Handle, grad: Handle | null): void;
  zeroGrad(h: Handle): void;
  retainGrad(h: Handle): void;
  detach(h: Handle): Handle;
  backward(h: Handle, gradient: Handle | null, retainGraph: boolean): void;

  // ops.cc
  conv2d(input: Handle, weight: Handle, bias: Handle | null, stride: Size2, padding: string | Size2, dilation: Size2, groups: number): Handle;
  maxPool2d(input: Handle, kernelSize: Size2, stride: Opt<Size2>, padding: Size2, ceilMode: boolean): Handle;
  avgPool2d(input: Handle, kernelSize: Size2, stride: Opt<Size2>, padding: Size2, ceilMode: boolean, countIncludePad: boolean): Handle;
  adaptiveAvgPool2d(input: Handle, outputSize: Size2): Handle;
  linear(input: Handle, weight: Handle, bias: Handle | null, kernel?: 'blas' | 'auto'): Handle;
  relu(input: Handle): Handle;
  sigmoid(input: Handle): Handle;
  tanh(input: Handle): Handle;
  selu(input: Handle): Handle;
  silu(input: Handle): Handle;
  softplus(input: Handle): Handle;
  gelu(input: Handle, approximate: string): Handle;
  elu(input: Handle, alpha: number): Handle;
  leakyRelu(input: Handle, negativeSlope: number): Handle;
  softmax(input: Handle, dim: number): Handle;
  logSoftmax(input: Handle, dim: number): Handle;
  dropout(input: Handle, rate: number, training: boolean): Handle;
  batchNorm(input: Handle, runningMean: Handle | null, runningVar: Handle | null, weight: Handle | null, bias: Handle | null, training: boolean, momentum: number, eps: number): Handle;
  crossEntropy(input: Handle, target: Handle, reduction: string, labelSmoothing: number, checkLabels: boolean): Handle;
  nll(input: Handle, target: Handle, reduction: string, checkLabels: boolean): Handle;
  binaryCrossEntropy(input: Handle, target: Handle, reduction: string): Handle;
  binaryCrossEntropyWithLogits(input: Handle, target: Handle, reduction: string): Handle;
  mse(input: Handle, target: Handle, reduction: string): Handle;

  // optim.cc
  optimizer(kind: 'adam' | 'adamw' | 'sgd', params: Handle[], options: OptimizerOptions): OptimizerHandle;
  optimizerStep(h: OptimizerHandle): void;
  optimizerZeroGrad(h: OptimizerHandle, setToNone: boolean): void;
  optimizerConfigure(h: OptimizerHandle, options: OptimizerOptions): void;
  optimizerOptions(h: OptimizerHandle): Required<OptimizerOptions>;
  optimizerExportState(h: OptimizerHandle): { steps: number[]; buffers: Record<string, (Handle | null)[]> };
  optimizerImportState(h: OptimizerHandle, state: { steps: number[]; buffers: Record<string, (Handle | null)[]> }): void;

  // autocast.cc
  setAutocast(device: 'cpu' | 'cuda', enabled: boolean, dtype?: string): void;
  setAutocastCache(enabled: boolean): void;

  // graph.cc (CUDA builds; elsewhere each throws)
  cudaGraph(device: string): GraphHandle;
  cudaGraphEnterSideStream(h: GraphHandle): void;
  cudaGraphLeaveSideStream(h: GraphHandle): void;
  cudaGraphBeginCapture(h: GraphHandle): void;
  cudaGraphEndCapture(h: GraphHandle, keep: boolean): void;
  cudaGraphReplay(h: GraphHandle): void;
  cudaGraphReset(h: GraphHandle): void;
}

/** An opaque native CUDA graph. */
export interface GraphHandle {
  readonly __torchletGraph: unique symbol;
}

type Size2 = number | number[];

/** An opaque native optimizer; lib/optim/ wraps it. */
export interface OptimizerHandle {
  readonly __torchletOptimizer: unique symbol;
}

/** The hyper-parameters the native optimizers understand (Keras names). */
export interface OptimizerOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

/** Thrown when the native addon cannot be loaded; the message says why and how to fix it. */
export class NativeLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NativeLoadError';
  }
}

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

// A build from source (npm run build, or the install script without a matching prebuild) has an
// rpath to its libtorch; node-gyp-build finds it in build/.
function hasSourceBuild(): boolean {
  return ['build/Release', 'build/Debug'].some((dir) => existsSync(join(packageRoot, dir, 'torchlet.node')));
}

// The libtorch a prebuild is for: the one the install script chose (cached), unless LIBTORCH now
// says otherwise, else the usual search.
function libtorchForPrebuild(): Libtorch {
  const cache = join(packageRoot, 'build', 'libtorch.json');
  if (!process.env.LIBTORCH && existsSync(cache)) {
    const cached = JSON.parse(readFileSync(cache, 'utf8')) as Libtorch;
    if (existsSync(join(cached.libDir, 'libtorch.so'))) return cached;
  }
  return locateLibtorch();
}

// dlopen flags: the libraries must stay loaded (RTLD_NODELETE, glibc's 0x1000) after Node
// rejects them as addons, so that the prebuild's dependencies resolve to them by soname.
const PRELOAD_FLAGS = osConstants.dlopen.RTLD_NOW! | osConstants.dlopen.RTLD_GLOBAL! | 0x1000;

function loadPrebuild(): NativeAddon {
  const libtorch = libtorchForPrebuild();
  const prebuild = findPrebuild(packageRoot, libtorch);
  if (!prebuild) {
    const available = availablePrebuilds(packageRoot);
    throw new NativeLoadError(
      `torchlet: no build of the native addon for libtorch ${libtorch.version} (${libtorch.variant}) at ${libtorch.libDir} (from ${libtorch.source}). ` +
        `Prebuilt: ${available.length > 0 ? available.join(', ') : 'none for this platform'}. ` +
        `Build it from source with \`npm rebuild torchlet\` (or \`npm run build\` in ${packageRoot}); it needs CMake and a C++17 compiler.`,
    );
  }
  // Prebuilds carry no rpath: load libtorch by absolute path first, wherever it is installed.
  for (const library of libtorchLibraries(libtorch.libDir)) {
    try {
      process.dlopen({ exports: {} }, library, PRELOAD_FLAGS);
    } catch (error) {
      if (!/did not self-register/.test((error as Error).message)) throw error;
    }
  }
  return createRequire(import.meta.url)(prebuild) as NativeAddon;
}

const fixes = LIBTORCH_FIXES.map((f) => `  - ${f}`).join('\n');

function load(): NativeAddon {
  if (!hasSourceBuild() && availablePrebuilds(packageRoot).length === 0) {
    throw new NativeLoadError(
      `torchlet: no build of the native addon exists for this platform. Build it with \`npm run build\` in ${packageRoot} ` +
        `(it needs CMake, a C++17 compiler and libtorch; to get libtorch:\n${fixes})`,
    );
  }
  try {
    if (hasSourceBuild()) return (createRequire(import.meta.url)('node-gyp-build') as (dir: string) => NativeAddon)(packageRoot);
    return loadPrebuild();
  } catch (cause) {
    if (cause instanceof NativeLoadError) throw cause;
    if (cause instanceof LibtorchNotFoundError) throw new NativeLoadError(`torchlet: the native addon could not be loaded.\n${cause.message}`, { cause });
    throw new NativeLoadError(explainLoadFailure(String((cause as Error)?.message ?? cause)), { cause });
  }
}

// Never a bare dlopen message: say what is missing, where libtorch is, and name the fixes.
function explainLoadFailure(reason: string): string {
  let libtorch: string;
  try {
    const found = locateLibtorch();
    libtorch =
      `libtorch ${found.version} (${found.variant}) is at ${found.libDir} (from ${found.source}), but the addon does not load with it. ` +
      `If libtorch changed since the build, rebuild: \`npm run build\` in ${packageRoot}. Or point torchlet at another libtorch:\n${fixes}`;
  } catch (error) {
    libtorch = error instanceof LibtorchNotFoundError ? error.message : `libtorch was not found. Fix it in one of three ways:\n${fixes}`;
  }
  return `torchlet: the native addon could not be loaded.\n${libtorch}\nThe system loader said: ${reason}`;
}

/** The loaded addon. */
export const native: NativeAddon = load();

// Debian's libtorch starts with one intra-op thread; use the cores unless the user chose.
const requestedThreads = Number(process.env.TORCHLET_NUM_THREADS ?? process.env.OMP_NUM_THREADS);
native.setNumThreads(Number.isInteger(requestedThreads) && requestedThreads > 0 ? requestedThreads : availableParallelism());
