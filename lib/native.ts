// The native addon's typed interface, and the addon itself (loaded by lib/load-addon.ts); the
// only file through which the rest of lib/ touches it.
import type { MemoryInfo } from './memory-info.js';
import { loadAddon, type LoadedAddon } from './load-addon.js';

export { NativeLoadError, type LoadedAddon } from './load-addon.js';

/** An opaque native tensor handle; lib/tensor.ts wraps it in a Tensor. */
export interface Handle {
  readonly __torchletHandle: unique symbol;
}

export type DtypeName = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'bool';

type Operand = Handle | number | boolean;
type Dims = number | number[];
type Opt<T> = T | null | undefined;

// Plain functions, not methods: they never use `this`, so passing one along unbound is safe.
export interface NativeAddon {
  // tensor.cc
  isTensorHandle: (value: unknown) => boolean;
  isDisposed: (h: Handle) => boolean;
  dispose: (h: Handle) => void;
  liveTensors: () => Omit<MemoryInfo, 'cuda'>;
  shape: (h: Handle) => number[];
  strides: (h: Handle) => number[];
  dtype: (h: Handle) => DtypeName;
  device: (h: Handle) => string;
  numel: (h: Handle) => number;
  isContiguous: (h: Handle, memoryFormat?: string) => boolean;
  data: (h: Handle) => Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array;
  item: (h: Handle) => number | boolean;
  tensor: (data: ArrayBufferView, shape: number[], dtype: Opt<string>, device: Opt<string>) => Handle;
  to: (h: Handle, device: Opt<string>, dtype: Opt<string>) => Handle;
  clone: (h: Handle) => Handle;
  assign: (h: Handle, src: Handle) => void;

  // create.cc
  zeros: (shape: number[], dtype: Opt<string>, device: Opt<string>) => Handle;
  ones: (shape: number[], dtype: Opt<string>, device: Opt<string>) => Handle;
  full: (shape: number[], value: number | boolean, dtype: Opt<string>, device: Opt<string>) => Handle;
  rand: (shape: number[], dtype: Opt<string>, device: Opt<string>) => Handle;
  randn: (shape: number[], dtype: Opt<string>, device: Opt<string>) => Handle;
  orthonormalize: (matrix: Handle) => Handle;
  randint: (low: number, high: number, shape: number[], dtype: Opt<string>, device: Opt<string>) => Handle;
  arange: (start: number, end: number, step: number, dtype: Opt<string>, device: Opt<string>) => Handle;
  randperm: (n: number, dtype: Opt<string>, device: Opt<string>) => Handle;
  randpermSeeded: (n: number, seed: number, device: string) => Handle;

  // arith.cc
  neg: (h: Handle) => Handle;
  exp: (h: Handle) => Handle;
  log: (h: Handle) => Handle;
  sqrt: (h: Handle) => Handle;
  abs: (h: Handle) => Handle;
  erfinv: (h: Handle) => Handle;
  add: (h: Handle, other: Operand, alpha?: number) => Handle;
  add_: (h: Handle, other: Operand, alpha?: number) => void;
  fill_: (h: Handle, value: number | boolean) => void;
  sub: (h: Handle, other: Operand, alpha?: number) => Handle;
  mul: (h: Handle, other: Operand) => Handle;
  div: (h: Handle, other: Operand) => Handle;
  pow: (h: Handle, other: Operand) => Handle;
  eq: (h: Handle, other: Operand) => Handle;
  ne: (h: Handle, other: Operand) => Handle;
  lt: (h: Handle, other: Operand) => Handle;
  le: (h: Handle, other: Operand) => Handle;
  gt: (h: Handle, other: Operand) => Handle;
  ge: (h: Handle, other: Operand) => Handle;
  matmul: (h: Handle, other: Handle) => Handle;
  where: (condition: Handle, h: Handle, other: Operand) => Handle;
  clamp: (h: Handle, min: Opt<number>, max: Opt<number>) => Handle;
  sum: (h: Handle, dim: Opt<Dims>, keepDim: boolean) => Handle;
  mean: (h: Handle, dim: Opt<Dims>, keepDim: boolean) => Handle;
  max: (h: Handle, dim: Opt<Dims>, keepDim: boolean) => Handle;
  min: (h: Handle, dim: Opt<Dims>, keepDim: boolean) => Handle;
  argmax: (h: Handle, dim: Opt<number>, keepDim: boolean) => Handle;
  argmin: (h: Handle, dim: Opt<number>, keepDim: boolean) => Handle;

  // shape.cc
  reshape: (h: Handle, shape: number[]) => Handle;
  view: (h: Handle, shape: number[]) => Handle;
  permute: (h: Handle, dims: number[]) => Handle;
  transpose: (h: Handle, dim0: number, dim1: number) => Handle;
  contiguous: (h: Handle, memoryFormat?: string) => Handle;
  flatten: (h: Handle, startDim: number, endDim: number) => Handle;
  squeeze: (h: Handle, dim: Opt<number>) => Handle;
  unsqueeze: (h: Handle, dim: number) => Handle;
  narrow: (h: Handle, dim: number, start: number, length: number) => Handle;
  slice: (h: Handle, dim: number, start: Opt<number>, end: Opt<number>, step: number) => Handle;
  indexSelect: (h: Handle, dim: number, index: Handle) => Handle;
  gather: (h: Handle, dim: number, index: Handle) => Handle;
  flip: (h: Handle, dims: number[]) => Handle;
  expand: (h: Handle, shape: number[]) => Handle;
  cat: (tensors: Handle[], dim: number) => Handle;
  stack: (tensors: Handle[], dim: number) => Handle;
  pad: (h: Handle, pads: number[], value: number) => Handle;

  // device.cc
  cudaIsAvailable: () => boolean;
  checkDevice: (device: string) => string;
  cudaDeviceCount: () => number;
  setNumThreads: (n: number) => void;
  getNumThreads: () => number;
  manualSeed: (seed: number) => void;
  synchronize: (device?: string) => void;
  cudaMemory: (device?: string) => { allocated?: number; peakAllocated?: number; reserved?: number };
  cudaResetPeakMemory: (device?: string) => void;
  setCudnnBenchmark: (enabled: boolean) => void;
  cudaEmptyCache: () => void;
  buildInfo: () => {
    torchVersion: string;
    cudaBuild: boolean;
    libtorchSource: string;
    mkldnn: boolean;
    fusedConvolution: boolean;
    fusedAdam: boolean;
    mkl: boolean;
    parallelInfo: string;
  };

  // autograd.cc
  setGradEnabled: (enabled: boolean) => void;
  isGradEnabled: () => boolean;
  requiresGrad: (h: Handle) => boolean;
  setRequiresGrad: (h: Handle, requiresGrad: boolean) => void;
  isLeaf: (h: Handle) => boolean;
  gradFn: (h: Handle) => string | null;
  grad: (h: Handle) => Handle | null;
  setGrad: (h: Handle, grad: Handle | null) => void;
  zeroGrad: (h: Handle) => void;
  retainGrad: (h: Handle) => void;
  detach: (h: Handle) => Handle;
  backward: (h: Handle, gradient: Handle | null, retainGraph: boolean) => void;

  // ops.cc
  conv2d: (
    input: Handle,
    weight: Handle,
    bias: Handle | null,
    stride: Size2,
    padding: string | Size2,
    dilation: Size2,
    groups: number,
    activation?: string,
  ) => Handle;
  conv2dReluMaxPool: (
    input: Handle,
    weight: Handle,
    bias: Handle | null,
    stride: Size2,
    padding: string | Size2,
    dilation: Size2,
    groups: number,
    poolSize: Size2,
    poolStride: Size2,
  ) => Handle;
  convTranspose2d: (
    input: Handle,
    weight: Handle,
    bias: Handle | null,
    stride: Size2,
    padding: string,
    outputPadding: Size2 | null,
    dilation: Size2,
  ) => Handle;
  lstm: (input: Handle, kernel: Handle, recurrentKernel: Handle, bias: Handle | null) => Handle;
  gru: (input: Handle, kernel: Handle, recurrentKernel: Handle, bias: Handle | null) => Handle;
  maxPool2d: (input: Handle, kernelSize: Size2, stride: Opt<Size2>, padding: Size2 | string, ceilMode: boolean) => Handle;
  avgPool2d: (
    input: Handle,
    kernelSize: Size2,
    stride: Opt<Size2>,
    padding: Size2 | string,
    ceilMode: boolean,
    countIncludePad: boolean,
  ) => Handle;
  adaptiveAvgPool2d: (input: Handle, outputSize: Size2) => Handle;
  upsample2d: (input: Handle, scale: Size2, interpolation: 'nearest' | 'bilinear') => Handle;
  linear: (input: Handle, weight: Handle, bias: Handle | null, kernel?: 'blas' | 'auto', activation?: 'linear' | 'relu') => Handle;
  relu: (input: Handle) => Handle;
  sigmoid: (input: Handle) => Handle;
  tanh: (input: Handle) => Handle;
  selu: (input: Handle) => Handle;
  silu: (input: Handle) => Handle;
  softplus: (input: Handle) => Handle;
  gelu: (input: Handle, approximate: string) => Handle;
  elu: (input: Handle, alpha: number) => Handle;
  leakyRelu: (input: Handle, negativeSlope: number) => Handle;
  softmax: (input: Handle, dim: number) => Handle;
  logSoftmax: (input: Handle, dim: number) => Handle;
  dropout: (input: Handle, rate: number, training: boolean) => Handle;
  batchNorm: (
    input: Handle,
    runningMean: Handle | null,
    runningVar: Handle | null,
    weight: Handle | null,
    bias: Handle | null,
    training: boolean,
    momentum: number,
    eps: number,
  ) => Handle;
  crossEntropy: (input: Handle, target: Handle, reduction: string, labelSmoothing: number, checkLabels: boolean) => Handle;
  nll: (input: Handle, target: Handle, reduction: string, checkLabels: boolean) => Handle;
  binaryCrossEntropy: (input: Handle, target: Handle, reduction: string) => Handle;
  binaryCrossEntropyWithLogits: (input: Handle, target: Handle, reduction: string) => Handle;
  mse: (input: Handle, target: Handle, reduction: string) => Handle;

  // optim.cc
  optimizer: (kind: NativeKind, params: Handle[], options: OptimizerOptions) => OptimizerHandle;
  optimizerStep: (h: OptimizerHandle) => void;
  scheduleAt: (options: OptimizerOptions, step: number) => number;
  optimizerDispose: (h: OptimizerHandle) => void;
  hostEmptyCache: () => void;
  hostAllocator: () => 'caching' | 'malloc';
  optimizerZeroGrad: (h: OptimizerHandle, setToNone: boolean) => void;
  optimizerConfigure: (h: OptimizerHandle, options: OptimizerOptions) => void;
  optimizerOptions: (h: OptimizerHandle) => Required<OptimizerOptions>;
  optimizerExportState: (h: OptimizerHandle) => { steps: number[]; buffers: Record<string, (Handle | null)[]> };
  optimizerImportState: (h: OptimizerHandle, state: { steps: number[]; buffers: Record<string, (Handle | null)[]> }) => void;

  // autocast.cc
  setAutocast: (device: 'cpu' | 'cuda', enabled: boolean, dtype?: string) => void;
  setAutocastCache: (enabled: boolean) => void;

  // graph.cc (CUDA builds; elsewhere each throws)
  cudaGraph: (device: string) => GraphHandle;
  cudaGraphEnterSideStream: (h: GraphHandle) => void;
  cudaGraphLeaveSideStream: (h: GraphHandle) => void;
  cudaGraphBeginCapture: (h: GraphHandle) => void;
  cudaGraphEndCapture: (h: GraphHandle, keep: boolean) => void;
  cudaGraphReplay: (h: GraphHandle) => void;
  cudaGraphReset: (h: GraphHandle) => void;

  // window.cc
  convOutputLength: (length: number, window: number, stride: number, padding: string, dilation: number) => number;
  convTransposeOutputLength: (
    length: number,
    window: number,
    stride: number,
    padding: string,
    outputPadding: number | null,
    dilation: number,
  ) => number;

  // step-trace.cc
  traceStep: (fn: () => Handle[], inputs: Handle[]) => { trace: TraceHandle; outputs: Handle[]; hostSyncs: string[] };
  runStep: (
    trace: TraceHandle | null,
    inputs: Handle[],
    optimizer: OptimizerHandle | null,
    label: string,
    sync?: GradSyncHandle,
    scale?: number,
  ) => Promise<Handle[]>;
  runSteps: (trace: TraceHandle, inputs: Handle[], optimizer: OptimizerHandle | null, label: string) => Promise<Handle[]>;

  // process-group.cc
  distributedAvailable: boolean;
  ncclAvailable: boolean;
  distInit: (masterAddr: string, port: number, rank: number, worldSize: number, backend: string, timeoutMs: number) => Promise<Handle[]>;
  distDestroy: () => void;
  distInfo: () => {
    rank: number;
    worldSize: number;
    backend: 'gloo' | 'nccl';
    timeoutMs: number;
    collectives: number;
    bytes: number;
    waitSeconds: number;
    bucketsInBackward: number;
  } | null;
  distAllReduce: (tensor: Handle, op: string) => Promise<Handle[]>;
  distBroadcast: (tensor: Handle, src: number) => Promise<Handle[]>;
  distAllGather: (tensor: Handle) => Promise<Handle[]>;
  distBarrier: () => Promise<Handle[]>;

  // grad-sync.cc
  gradSync: (optimizer: OptimizerHandle, bucketBytes: number, sums: Handle[], globalSums: Handle[]) => GradSyncHandle;
  gradSyncDispose: (sync: GradSyncHandle) => void;
  gradSyncBegin: (sync: GradSyncHandle, scale: number) => void;
  gradSyncFinish: (sync: GradSyncHandle) => void;
}

/** An opaque gradient reduction across the process group (grad-sync.cc). */
export interface GradSyncHandle {
  readonly __gradSync: unique symbol;
}

/** An opaque recorded step (step-trace.cc). */
export interface TraceHandle {
  readonly __torchletTrace: unique symbol;
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

/** The native optimizers' updates: Keras's (the first seven) and torch.optim's. */
export type NativeKind = 'adam' | 'sgd' | 'rmsprop' | 'adagrad' | 'adamax' | 'nadam' | 'lion' | 'torch-adam' | 'torch-adamw' | 'torch-sgd';

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
  rho?: number;
  centered?: boolean;
  initialAccumulatorValue?: number;
  /** A learning-rate schedule (lib/optim/schedules.ts): 0 none, 1 exponential decay, 2 cosine decay; learningRate is its initial rate. */
  schedule?: 0 | 1 | 2;
  decaySteps?: number;
  decayRate?: number;
  staircase?: boolean;
  alpha?: number;
  warmup?: boolean;
  warmupTarget?: number;
  warmupSteps?: number;
}

const { addon, loaded } = loadAddon();

/** The loaded addon. */
export const native = addon as NativeAddon;

/** Which addon file was loaded, and for which libtorch. */
export const loadedAddon: LoadedAddon = loaded;

// The compute thread's intra-op threads: the user's choice, or else (native) a share of the cores.
const requestedThreads = Number(process.env.TORCHLET_NUM_THREADS ?? process.env.OMP_NUM_THREADS);
if (Number.isInteger(requestedThreads) && requestedThreads > 0) native.setNumThreads(requestedThreads);
