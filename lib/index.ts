// torchlet: deep learning for Node.js on libtorch.
export { Tensor, cat, stack } from './tensor.js';
export type { Device, Dtype, MemoryFormat, NestedArray, TypedArrayOf } from './tensor.js';
export { tensor, zeros, ones, full, arange, rand, randn, randint, manualSeed } from './create.js';
export type { TensorData, TensorOptions } from './create.js';
export { tidy, keep, dispose, memory } from './memory.js';
export type { MemoryInfo } from './memory.js';
export { cuda, defaultDevice, setNumThreads, getNumThreads, backendInfo } from './device.js';
export type { BackendInfo } from './device.js';
export { NativeLoadError } from './native.js';
export { locateLibtorch, LibtorchNotFoundError, LIBTORCH_FIXES } from './libtorch.js';
export type { Libtorch, LibtorchSource } from './libtorch.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd.js';
export * as ops from './ops.js';
export * as optim from './optim/index.js';
