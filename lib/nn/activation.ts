// Activations by Keras name, and the Activation, ReLU and Softmax layers.
import * as ops from '../ops.js';
import type { Tensor } from '../tensor.js';
import { camelCase } from './initializers.js';
import { Layer, layerArgs, type CallContext, type LayerArgs, type Shape } from './layer.js';
import { describeValue, ownEntry } from '../arguments.js';

/** Activation names, in camelCase or snake_case. */
export type ActivationName =
  | 'linear'
  | 'relu'
  | 'sigmoid'
  | 'tanh'
  | 'softmax'
  | 'logSoftmax'
  | 'gelu'
  | 'elu'
  | 'selu'
  | 'swish'
  | 'silu'
  | 'softplus'
  | 'leakyRelu'
  | 'log_softmax'
  | 'leaky_relu';

// The feature axis is Keras's last axis; inside the model a 4-D image batch is NCHW, so it is dim 1.
const featureDim = (x: Tensor): number => (x.rank === 4 ? 1 : -1);

const ACTIVATIONS: Record<string, (x: Tensor) => Tensor> = {
  linear: (x) => x,
  relu: ops.relu,
  sigmoid: ops.sigmoid,
  tanh: ops.tanh,
  softmax: (x) => ops.softmax(x, featureDim(x)),
  logSoftmax: (x) => ops.logSoftmax(x, featureDim(x)),
  gelu: (x) => ops.gelu(x),
  elu: (x) => ops.elu(x),
  selu: ops.selu,
  swish: ops.silu,
  silu: ops.silu,
  softplus: ops.softplus,
  leakyRelu: (x) => ops.leakyRelu(x, 0.2), // Keras's default slope
};

/** Checks an activation name (undefined means 'linear'), returning its camelCase spelling. */
export function checkActivation(owner: string, name: unknown): ActivationName {
  const key = name === undefined || name === null ? 'linear' : typeof name === 'string' ? camelCase(name) : '';
  if (ownEntry(ACTIVATIONS, key) === undefined) {
    throw new RangeError(`${owner}: unknown activation ${describeValue(name)} (expected one of ${Object.keys(ACTIVATIONS).join(', ')})`);
  }
  return key as ActivationName;
}

/** Applies the named activation over the feature axis. */
export function applyActivation(name: ActivationName, x: Tensor): Tensor {
  return ACTIVATIONS[camelCase(name)](x);
}

/** Arguments of {@link Activation}. */
export interface ActivationArgs extends LayerArgs {
  activation: ActivationName;
}

/** Applies an activation function. */
export class Activation extends Layer {
  readonly activation: ActivationName;
  constructor(input: ActivationArgs) {
    const args = layerArgs<ActivationArgs>('Activation', input, ['activation']);
    super(args);
    this.activation = checkActivation('Activation', args.activation);
  }
  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  call(x: Tensor, _ctx?: CallContext): Tensor {
    return applyActivation(this.activation, x);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: this.activation };
  }
}

/** Arguments of {@link ReLU}: `maxValue` caps the output (default none), `negativeSlope` (default 0) makes it leaky. */
export interface ReLUArgs extends LayerArgs {
  maxValue?: number | null;
  negativeSlope?: number;
}

/** The rectified linear unit, with Keras's optional cap and negative slope. */
export class ReLU extends Layer {
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  constructor(input: ReLUArgs = {}) {
    const args = layerArgs<ReLUArgs>('ReLU', input, ['maxValue', 'negativeSlope']);
    super(args);
    const maxValue: unknown = args.maxValue ?? null;
    const negativeSlope: unknown = args.negativeSlope ?? 0;
    // typeof first: '1' >= 0 holds in JS.
    if (maxValue !== null && (typeof maxValue !== 'number' || !(maxValue >= 0)))
      throw new RangeError(`ReLU: maxValue must be >= 0, got ${describeValue(maxValue)}`);
    if (typeof negativeSlope !== 'number' || !(negativeSlope >= 0 && negativeSlope < Infinity))
      throw new RangeError(`ReLU: negativeSlope must be >= 0, got ${describeValue(negativeSlope)}`);
    this.maxValue = maxValue;
    this.negativeSlope = negativeSlope;
  }
  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  call(x: Tensor, _ctx?: CallContext): Tensor {
    const y = this.negativeSlope > 0 ? ops.leakyRelu(x, this.negativeSlope) : ops.relu(x);
    return this.maxValue === null ? y : y.clamp(null, this.maxValue);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maxValue: this.maxValue, negativeSlope: this.negativeSlope };
  }
}

/** Arguments of {@link Softmax}. */
export interface SoftmaxArgs extends LayerArgs {
  /** The axis to normalize, Keras's numbering (-1, the default, is the last: an image's channels). */
  axis?: number;
}

/** Softmax along one axis. */
export class Softmax extends Layer {
  readonly axis: number;
  constructor(input: SoftmaxArgs = {}) {
    const args = layerArgs<SoftmaxArgs>('Softmax', input, ['axis']);
    super(args);
    const axis: unknown = args.axis ?? -1;
    if (!Number.isSafeInteger(axis) || axis === 0)
      throw new RangeError(`Softmax: axis must be a non-zero integer (0 is the batch), got ${describeValue(axis)}`);
    this.axis = axis as number;
  }
  computeOutputShape(inputShape: Shape): Shape {
    const rank = inputShape.length + 1;
    if (this.axis >= rank || this.axis < -inputShape.length) {
      throw new RangeError(`${this.name ?? 'Softmax'}: axis ${this.axis} is out of range for input shape [${inputShape}]`);
    }
    return inputShape;
  }
  call(x: Tensor, _ctx?: CallContext): Tensor {
    // Keras's axes number [batch, height, width, channels]; inside, a 4-D batch is NCHW.
    const axis = this.axis < 0 ? x.rank + this.axis : this.axis;
    return ops.softmax(x, x.rank === 4 ? [0, 2, 3, 1][axis] : axis);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}
