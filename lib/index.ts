// torchlet: deep learning for Node.js on libtorch.
export { Tensor, cat, stack } from './tensor.js';
export type { Device, Dtype, MemoryFormat, NestedArray, TypedArrayOf } from './tensor.js';
export { tensor, zeros, ones, full, arange, rand, randn, randint, randperm, manualSeed } from './create.js';
export type { TensorData, TensorOptions } from './create.js';
export { tidy, keep, dispose, memory, emptyCache } from './memory.js';
export type { MemoryInfo } from './memory.js';
export { cuda, defaultDevice, normalizeDevice, setNumThreads, getNumThreads, backendInfo } from './device.js';
export type { BackendInfo } from './device.js';
export { NativeLoadError } from './native.js';
export {
  locateLibtorch,
  describeLibtorch,
  LibtorchNotFoundError,
  LibtorchUnsupportedError,
  LIBTORCH_FIXES,
  MIN_LIBTORCH,
} from './libtorch.js';
export type { Libtorch, LibtorchSource } from './libtorch.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd.js';
export * as ops from './ops.js';
export * as optim from './optim/index.js';
export {
  layers,
  Layer,
  Conv2D,
  MaxPooling2D,
  AveragePooling2D,
  GlobalAveragePooling2D,
  Flatten,
  Dense,
  Dropout,
  BatchNormalization,
  Activation,
  ReLU,
  Softmax,
  GlobalMaxPooling2D,
  Rescaling,
  ZeroPadding2D,
  UpSampling2D,
  Reshape,
  Permute,
  LayerNormalization,
  Embedding,
  DepthwiseConv2D,
  SeparableConv2D,
  Conv1D,
  InputLayer,
  Add,
  Subtract,
  Multiply,
  Average,
  Maximum,
  Minimum,
  Concatenate,
  input,
  SymbolicTensor,
  Conv2DTranspose,
  LSTM,
  GRU,
} from './nn/index.js';
export type * from './nn/index.js';
export { Model } from './model/model.js';
export { Sequential, sequential } from './model/sequential.js';
export { Functional, model } from './model/functional.js';
export type { FunctionalArgs } from './model/functional.js';
export type { CompileArgs } from './model/compiled.js';
export type { MetricName, MetricSpec } from './model/metrics.js';
export type { OptimizerName } from './optim/registry.js';
export { loadModel } from './model/load-model.js';
export { referenceCnn } from './model/reference-cnn.js';
export { resnet20 } from './model/resnet20.js';
export { Callback, History, EarlyStopping, ModelCheckpoint } from './model/callbacks.js';
export { ReduceLROnPlateau } from './model/reduce-lr-on-plateau.js';
export type { ReduceLROnPlateauArgs } from './model/reduce-lr-on-plateau.js';
export type { Logs } from './model/logs.js';
export type { CallbackModel } from './model/model-api.js';
export type { CallbackHooks, TrainParams, EarlyStoppingArgs, ModelCheckpointArgs, MonitorMode } from './model/callbacks.js';
export type { FitOptions, EvaluateOptions, PredictOptions } from './model/training.js';
export type { LossName, LossSpec } from './model/losses.js';
export type { ProgressOutput } from './model/progress.js';
export { TensorDataset, isDataset } from './data/dataset.js';
export type { Dataset, Batch, BatchOptions } from './data/dataset.js';
export { readSafetensors, writeSafetensors } from './io/safetensors.js';
export type { StoredTensor } from './io/safetensors.js';
export * as datasets from './data/datasets.js';
export { ImageDataset } from './data/image-dataset.js';
export type { ImageDatasetOptions } from './data/image-dataset.js';
export type { Cifar10, Cifar10Options } from './data/cifar10.js';
export { randomCrop, randomFlip } from './data/augment.js';
export { distributed } from './distributed/index.js';
export type { InitOptions, ReduceOpName, DistributedStats } from './distributed/index.js';
