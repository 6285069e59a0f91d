// Functional neural-network ops over the addon: convolution, pooling, dense, activations, dropout,
// batch norm and losses. Every op has a gradient through libtorch's autograd. Images are NCHW
// here (PyTorch's convention); the Keras layers take NHWC and permute once at model entry.
import { readOptions } from './arguments.js';
import { native } from './native.js';
import { expectTensor, handleOf, run, type Tensor } from './tensor.js';

// An optional tensor argument: absent (undefined or null) or a tensor; anything else, a fake
// tensor included, goes to the addon, which names it in its error.
const optional = (t: unknown) => (t === undefined || t === null ? null : handleOf(t));

/** One size for both spatial dims, or [height, width]. */
export type Size2 = number | [number, number];

/** How losses combine per-example values: 'mean' (default), 'sum' or 'none'. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** Default 1. */
  stride?: Size2;
  /**
   * 'valid' (no padding, the default), 'same' (output size ceil(input / stride), any stride; an
   * odd pixel of padding goes at the bottom/right, as in PyTorch and TensorFlow), or explicit
   * zero padding per side.
   */
  padding?: 'valid' | 'same' | Size2;
  /** Default 1. */
  dilation?: Size2;
  /** Default 1. */
  groups?: number;
  /**
   * 'relu' applies ReLU to the result, fused into the convolution (one oneDNN primitive on the
   * CPU with libtorch 2.x); 'linear' (the default) applies nothing.
   */
  activation?: 'linear' | 'relu';
}

/** 2-D convolution of an [N, C, H, W] input with an [out, C / groups, kH, kW] weight and an optional [out] bias. */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const {
    stride = 1,
    padding = 'valid',
    dilation = 1,
    groups = 1,
    activation = 'linear',
  } = readOptions<Conv2dOptions>('conv2d', options, ['stride', 'padding', 'dilation', 'groups', 'activation']);
  return run(native.conv2d, handleOf(input), handleOf(weight), optional(bias), stride, padding, dilation, groups, activation);
}

/**
 * `maxPool2d(conv2d(input, weight, bias, { ...options, activation: 'relu' }), poolSize, { stride: poolStride })`
 * as one op, with no pool padding. Without autograd, on a CPU with AVX-512, a float32 or bfloat16
 * convolution of up to 4 input channels (an image model's first layer) with stride 1, no dilation,
 * one group and a multiple of 16 filters, followed by 2x2 windows of stride 2, runs as one kernel
 * that never stores the convolution's output; elsewhere it is the two ops.
 */
export function conv2dReluMaxPool(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  options: Omit<Conv2dOptions, 'activation'>,
  poolSize: Size2,
  poolStride: Size2 = poolSize,
): Tensor {
  const {
    stride = 1,
    padding = 'valid',
    dilation = 1,
    groups = 1,
  } = readOptions<Conv2dOptions>('conv2dReluMaxPool', options, ['stride', 'padding', 'dilation', 'groups']);
  return run(
    native.conv2dReluMaxPool,
    handleOf(input),
    handleOf(weight),
    optional(bias),
    stride,
    padding,
    dilation,
    groups,
    poolSize,
    poolStride,
  );
}

/** Options of {@link convTranspose2d}. */
export interface ConvTranspose2dOptions {
  /** Default 1. */
  stride?: Size2;
  /**
   * 'valid' (default): output (input - 1)·stride + max(window, stride) per dim; 'same': input·stride.
   * Both as Keras's Conv2DTranspose computes them (its deconv_output_length), the crop of an odd
   * window put as TensorFlow puts it.
   */
  padding?: 'valid' | 'same';
  /** Extra output positions at the end of each dim, each below its stride (default null: inferred as above). */
  outputPadding?: Size2 | null;
  /** Default 1. */
  dilation?: Size2;
}

/** Transposed 2-D convolution of an [N, C, H, W] input with a [C, out, kH, kW] weight and an optional [out] bias, with Keras's output sizes. */
export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}): Tensor {
  const o = readOptions<ConvTranspose2dOptions>('convTranspose2d', options, ['stride', 'padding', 'outputPadding', 'dilation']);
  return run(
    native.convTranspose2d,
    handleOf(input),
    handleOf(weight),
    optional(bias),
    o.stride ?? 1,
    o.padding ?? 'valid',
    o.outputPadding ?? null,
    o.dilation ?? 1,
  );
}

/**
 * Keras's LSTM over an [N, T, F] input from zero states, every step's output [N, T, units]: kernel
 * [F, 4·units], recurrentKernel [units, 4·units] and bias [4·units] in Keras's layout and gate
 * order (i, f, c, o); tanh and sigmoid activations. One fused libtorch op (cuDNN on CUDA).
 */
export function lstm(input: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias?: Tensor | null): Tensor {
  return run(native.lstm, handleOf(input), handleOf(kernel), handleOf(recurrentKernel), optional(bias));
}

/**
 * Keras's GRU (resetAfter true) over an [N, T, F] input from a zero state, every step's output
 * [N, T, units]: kernel [F, 3·units], recurrentKernel [units, 3·units] in Keras's gate order
 * (z, r, h), bias [2, 3·units] (input bias, then recurrent bias). One fused libtorch op.
 */
export function gru(input: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias?: Tensor | null): Tensor {
  return run(native.gru, handleOf(input), handleOf(kernel), handleOf(recurrentKernel), optional(bias));
}

/** Options of the 2-D pooling ops. */
export interface Pool2dOptions {
  /** Default: the window size. */
  stride?: Size2;
  /**
   * Zero (average) or -infinity (max) padding per side, at most half the window (default 0); or
   * 'same' (output size ceil(input / stride), as Keras: average pooling leaves the padding out of
   * each mean) or 'valid' (none).
   */
  padding?: Size2 | 'same' | 'valid';
  /** Round the output size up instead of down. Default false. */
  ceilMode?: boolean;
}

/** Max pooling over `kernelSize` windows of an [N, C, H, W] input. */
export function maxPool2d(input: Tensor, kernelSize: Size2, options: Pool2dOptions = {}): Tensor {
  const o = readOptions<Pool2dOptions>('maxPool2d', options, ['stride', 'padding', 'ceilMode']);
  return run(native.maxPool2d, handleOf(input), kernelSize, o.stride, o.padding ?? 0, o.ceilMode ?? false);
}

/** Average pooling over `kernelSize` windows; `countIncludePad` (default true) counts padding zeros in the average. */
export function avgPool2d(input: Tensor, kernelSize: Size2, options: Pool2dOptions & { countIncludePad?: boolean } = {}): Tensor {
  const o = readOptions<Pool2dOptions & { countIncludePad: boolean }>('avgPool2d', options, [
    'stride',
    'padding',
    'ceilMode',
    'countIncludePad',
  ]);
  return run(native.avgPool2d, handleOf(input), kernelSize, o.stride, o.padding ?? 0, o.ceilMode ?? false, o.countIncludePad ?? true);
}

/**
 * Upsampling of an [N, C, H, W] input by whole factors (one, or [height, width]): 'nearest'
 * (default) repeats each pixel, 'bilinear' interpolates with half-pixel centres (as TensorFlow's
 * resize, and PyTorch's align_corners false).
 */
export function upsample2d(input: Tensor, scale: Size2, interpolation: 'nearest' | 'bilinear' = 'nearest'): Tensor {
  return run(native.upsample2d, handleOf(input), scale, interpolation);
}

/** Average pooling to a fixed output size. */
export function adaptiveAvgPool2d(input: Tensor, outputSize: Size2): Tensor {
  return run(native.adaptiveAvgPool2d, handleOf(input), outputSize);
}

/** The mean over the spatial dims: [N, C, H, W] → [N, C]. */
export function globalAvgPool2d(input: Tensor): Tensor {
  expectTensor('globalAvgPool2d', 'input', input);
  if (input.rank !== 4) throw new RangeError(`globalAvgPool2d: expects a 4-D [N, C, H, W] input, got shape [${input.shape}]`);
  if (!['float32', 'float64', 'float16', 'bfloat16'].includes(input.dtype))
    throw new TypeError(`globalAvgPool2d: expects a floating-point input (a mean of integers has no integer dtype), got ${input.dtype}`);
  return input.mean([-2, -1]);
}

/** Options of {@link linear}. */
export interface LinearOptions {
  /**
   * 'blas' (the default) is exactly torch.nn.functional.linear; 'auto' lets a CPU libtorch
   * without MKL run it as oneDNN's 1x1 convolution, many times faster than a reference BLAS, and
   * a CPU libtorch 2.x run it with a ReLU as one oneDNN inner product (the same value up to float
   * rounding). Dense layers use 'auto'.
   */
  kernel?: 'blas' | 'auto';
  /** 'relu' applies ReLU to the result (fused with kernel 'auto'); 'linear' (the default) nothing. */
  activation?: 'linear' | 'relu';
}

/** input @ weightᵀ + bias, with an [out, in] weight (PyTorch's layout) and an optional [out] bias. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null, options: LinearOptions = {}): Tensor {
  const o = readOptions<LinearOptions>('linear', options, ['kernel', 'activation']);
  return run(native.linear, handleOf(input), handleOf(weight), optional(bias), o.kernel ?? 'blas', o.activation ?? 'linear');
}

export function relu(input: Tensor): Tensor {
  return run(native.relu, handleOf(input));
}
export function sigmoid(input: Tensor): Tensor {
  return run(native.sigmoid, handleOf(input));
}
export function tanh(input: Tensor): Tensor {
  return run(native.tanh, handleOf(input));
}
/** GELU, exact ('none', the default) or with the tanh approximation. */
export function gelu(input: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return run(native.gelu, handleOf(input), approximate);
}
export function elu(input: Tensor, alpha = 1): Tensor {
  return run(native.elu, handleOf(input), alpha);
}
export function selu(input: Tensor): Tensor {
  return run(native.selu, handleOf(input));
}
/** SiLU, also called swish: x * sigmoid(x). */
export function silu(input: Tensor): Tensor {
  return run(native.silu, handleOf(input));
}
export function leakyRelu(input: Tensor, negativeSlope = 0.01): Tensor {
  return run(native.leakyRelu, handleOf(input), negativeSlope);
}
export function softplus(input: Tensor): Tensor {
  return run(native.softplus, handleOf(input));
}
/** Softmax along `dim` (default: the last). */
export function softmax(input: Tensor, dim = -1): Tensor {
  return run(native.softmax, handleOf(input), dim);
}
/** log(softmax(x)) along `dim` (default: the last), computed stably. */
export function logSoftmax(input: Tensor, dim = -1): Tensor {
  return run(native.logSoftmax, handleOf(input), dim);
}
/** Flattens all dims after the first: [N, ...] → [N, features]. */
export function flatten(input: Tensor): Tensor {
  return run(native.flatten, handleOf(input), 1, -1);
}

/** Zeroes each element with probability `rate` and scales the rest by 1 / (1 - rate), when `training`; else the identity. */
export function dropout(input: Tensor, rate: number, training: boolean): Tensor {
  return run(native.dropout, handleOf(input), rate, training);
}

/** Options of {@link batchNorm}. */
export interface BatchNormOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  /** The affine scale (gamma), shape [C]. */
  weight?: Tensor | null;
  /** The affine shift (beta), shape [C]. */
  bias?: Tensor | null;
  /** Use batch statistics and update the running ones in place (default false: use the running ones). */
  training?: boolean;
  /** PyTorch's convention: running = (1 - momentum) * running + momentum * batch. Default 0.1. */
  momentum?: number;
  /** Default 1e-5. */
  eps?: number;
}

/** Batch normalisation over dim 1 of an [N, C] (1d) or [N, C, H, W] (2d) input. */
export function batchNorm(input: Tensor, options: BatchNormOptions = {}): Tensor {
  const o = readOptions<BatchNormOptions>('batchNorm', options, [
    'runningMean',
    'runningVar',
    'weight',
    'bias',
    'training',
    'momentum',
    'eps',
  ]);
  return run(
    native.batchNorm,
    handleOf(input),
    optional(o.runningMean),
    optional(o.runningVar),
    optional(o.weight),
    optional(o.bias),
    o.training ?? false,
    o.momentum ?? 0.1,
    o.eps ?? 1e-5,
  );
}

/** Options of the classification losses. */
export interface ClassLossOptions {
  /** Default 'mean'. */
  reduction?: Reduction;
  /**
   * Check that every label is in [0, classes) and throw a RangeError otherwise (default true).
   * On CUDA this costs a host sync per call; training loops that validated their labels once
   * turn it off.
   */
  checkLabels?: boolean;
}

/**
 * Cross-entropy of [N, classes] logits against integer class labels [N] (or probabilities of the
 * logits' shape), as log_softmax + nll. `labelSmoothing` (default 0) mixes in the uniform distribution.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, options: ClassLossOptions & { labelSmoothing?: number } = {}): Tensor {
  const o = readOptions<ClassLossOptions & { labelSmoothing: number }>('crossEntropy', options, [
    'reduction',
    'checkLabels',
    'labelSmoothing',
  ]);
  return run(native.crossEntropy, handleOf(logits), handleOf(labels), o.reduction ?? 'mean', o.labelSmoothing ?? 0, o.checkLabels ?? true);
}

/** Negative log-likelihood of [N, classes] log-probabilities against integer class labels [N]. */
export function nll(logProbs: Tensor, labels: Tensor, options: ClassLossOptions = {}): Tensor {
  const o = readOptions<ClassLossOptions>('nll', options, ['reduction', 'checkLabels']);
  return run(native.nll, handleOf(logProbs), handleOf(labels), o.reduction ?? 'mean', o.checkLabels ?? true);
}

/** Binary cross-entropy of probabilities in [0, 1] against targets of the same shape. */
export function binaryCrossEntropy(probs: Tensor, targets: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const o = readOptions<{ reduction: Reduction }>('binaryCrossEntropy', options, ['reduction']);
  return run(native.binaryCrossEntropy, handleOf(probs), handleOf(targets), o.reduction ?? 'mean');
}

/** Binary cross-entropy of logits (sigmoid applied inside, stably) against targets of the same shape. */
export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const o = readOptions<{ reduction: Reduction }>('binaryCrossEntropyWithLogits', options, ['reduction']);
  return run(native.binaryCrossEntropyWithLogits, handleOf(logits), handleOf(targets), o.reduction ?? 'mean');
}

/** Mean squared error between tensors of the same shape (no silent broadcasting). */
export function mse(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const o = readOptions<{ reduction: Reduction }>('mse', options, ['reduction']);
  return run(native.mse, handleOf(input), handleOf(target), o.reduction ?? 'mean');
}
