// BatchNormalization.
import * as ops from '../ops.js';
import type { Device, Tensor } from '../tensor.js';
import { checkInitializer, initialize, type InitializerName } from './initializers.js';
import { Layer, layerArgs, type CallContext, type LayerArgs, type Shape } from './layer.js';
import { describeValue, optionalBoolean } from '../arguments.js';

/** Arguments of {@link BatchNormalization}, with Keras's defaults. */
export interface BatchNormalizationArgs extends LayerArgs {
  /** The feature axis; only -1 (channels), Keras's default, is supported. */
  axis?: number;
  /** Weight of the old value in the moving statistics (default 0.99; PyTorch's momentum is 1 minus this). */
  momentum?: number;
  /** Default 1e-3. */
  epsilon?: number;
  /** Learn a shift, beta (default true). */
  center?: boolean;
  /** Learn a scale, gamma (default true). */
  scale?: boolean;
  betaInitializer?: InitializerName;
  gammaInitializer?: InitializerName;
  movingMeanInitializer?: InitializerName;
  movingVarianceInitializer?: InitializerName;
}

/**
 * Normalises each channel with the batch's statistics while training (updating the moving ones)
 * and with the moving statistics otherwise. The moving variance is updated with the unbiased
 * batch variance, as in PyTorch.
 */
export class BatchNormalization extends Layer {
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly initializers: Record<'beta' | 'gamma' | 'movingMean' | 'movingVariance', InitializerName>;

  constructor(input: BatchNormalizationArgs = {}) {
    const owner = 'BatchNormalization';
    const args = layerArgs<BatchNormalizationArgs>(owner, input, [
      'axis',
      'momentum',
      'epsilon',
      'center',
      'scale',
      'betaInitializer',
      'gammaInitializer',
      'movingMeanInitializer',
      'movingVarianceInitializer',
    ]);
    super(args);
    if (args.axis !== undefined && args.axis !== -1)
      throw new RangeError(`${owner}: only axis -1 (the channels) is supported, got ${describeValue(args.axis)}`);
    const momentum: unknown = args.momentum ?? 0.99;
    const epsilon: unknown = args.epsilon ?? 1e-3;
    // typeof first: '0.5' >= 0 holds in JS.
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))
      throw new RangeError(`${owner}: momentum must be in [0, 1], got ${describeValue(momentum)}`);
    if (typeof epsilon !== 'number' || !(epsilon > 0 && epsilon < Infinity))
      throw new RangeError(`${owner}: epsilon must be > 0, got ${describeValue(epsilon)}`);
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.center = optionalBoolean(owner, 'center', args.center, true);
    this.scale = optionalBoolean(owner, 'scale', args.scale, true);
    this.initializers = {
      beta: checkInitializer(owner, 'betaInitializer', args.betaInitializer ?? 'zeros'),
      gamma: checkInitializer(owner, 'gammaInitializer', args.gammaInitializer ?? 'ones'),
      movingMean: checkInitializer(owner, 'movingMeanInitializer', args.movingMeanInitializer ?? 'zeros'),
      movingVariance: checkInitializer(owner, 'movingVarianceInitializer', args.movingVarianceInitializer ?? 'ones'),
    };
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 1 && inputShape.length !== 3) {
      throw new RangeError(`${this.name}: expects [features] or [height, width, channels] inputs, got input shape [${inputShape}]`);
    }
    return inputShape;
  }

  protected override createWeights(inputShape: Shape, device: Device): void {
    const channels = inputShape[inputShape.length - 1];
    const make = (key: keyof BatchNormalization['initializers']) =>
      initialize(this.initializers[key], { shape: [channels], fanIn: channels, fanOut: channels, device });
    if (this.scale) this.addWeight('gamma', make('gamma'), true);
    if (this.center) this.addWeight('beta', make('beta'), true);
    this.addWeight('moving_mean', make('movingMean'), false);
    this.addWeight('moving_variance', make('movingVariance'), false);
  }

  call(x: Tensor, ctx: CallContext): Tensor {
    return ops.batchNorm(x, {
      runningMean: this.weight('moving_mean'),
      runningVar: this.weight('moving_variance'),
      weight: this.scale ? this.weight('gamma') : null,
      bias: this.center ? this.weight('beta') : null,
      training: ctx.training,
      momentum: 1 - this.momentum,
      eps: this.epsilon,
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: this.initializers.beta,
      gammaInitializer: this.initializers.gamma,
      movingMeanInitializer: this.initializers.movingMean,
      movingVarianceInitializer: this.initializers.movingVariance,
    };
  }
}

/** Arguments of {@link LayerNormalization}, with Keras's defaults. */
export interface LayerNormalizationArgs extends LayerArgs {
  /** The axis or axes to normalize over, Keras's numbering (default -1: the features, an image's channels). */
  axis?: number | number[];
  /** Default 1e-3. */
  epsilon?: number;
  /** Learn a shift, beta (default true). */
  center?: boolean;
  /** Learn a scale, gamma (default true). */
  scale?: boolean;
  /** Default 'zeros'. */
  betaInitializer?: InitializerName;
  /** Default 'ones'. */
  gammaInitializer?: InitializerName;
}

/** Normalizes each example over `axis` with its own mean and (population) variance, then scales and shifts per element of those axes. */
export class LayerNormalization extends Layer {
  readonly axis: number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: InitializerName;
  readonly gammaInitializer: InitializerName;
  #axes: number[] = []; // non-negative, over [batch, ...example]

  constructor(input: LayerNormalizationArgs = {}) {
    const owner = 'LayerNormalization';
    const args = layerArgs<LayerNormalizationArgs>(owner, input, [
      'axis',
      'epsilon',
      'center',
      'scale',
      'betaInitializer',
      'gammaInitializer',
    ]);
    super(args);
    const axis: unknown = args.axis ?? -1;
    const axes: unknown[] = Array.isArray(axis) ? [...(axis as unknown[])] : [axis];
    if (axes.length === 0 || !axes.every((a) => Number.isSafeInteger(a) && a !== 0)) {
      throw new RangeError(`${owner}: axis must be a non-zero integer or an array of them (0 is the batch), got ${describeValue(axis)}`);
    }
    this.axis = axes as number[];
    const epsilon: unknown = args.epsilon ?? 1e-3;
    if (typeof epsilon !== 'number' || !(epsilon > 0 && epsilon < Infinity))
      throw new RangeError(`${owner}: epsilon must be > 0, got ${describeValue(epsilon)}`);
    this.epsilon = epsilon;
    this.center = optionalBoolean(owner, 'center', args.center, true);
    this.scale = optionalBoolean(owner, 'scale', args.scale, true);
    this.betaInitializer = checkInitializer(owner, 'betaInitializer', args.betaInitializer ?? 'zeros');
    this.gammaInitializer = checkInitializer(owner, 'gammaInitializer', args.gammaInitializer ?? 'ones');
  }

  computeOutputShape(inputShape: Shape): Shape {
    const rank = inputShape.length + 1;
    const axes = this.axis.map((a) => (a < 0 ? rank + a : a));
    if (axes.some((a) => a < 1 || a >= rank) || new Set(axes).size !== axes.length) {
      throw new RangeError(`${this.name ?? 'LayerNormalization'}: axis [${this.axis}] does not fit input shape [${inputShape}]`);
    }
    this.#axes = axes.sort((a, b) => a - b);
    return inputShape;
  }

  protected override createWeights(inputShape: Shape, device: Device): void {
    const shape = this.#axes.map((a) => inputShape[a - 1]);
    if (this.scale) this.addWeight('gamma', initialize(this.gammaInitializer, { shape, fanIn: 0, fanOut: 0, device }), true);
    if (this.center) this.addWeight('beta', initialize(this.betaInitializer, { shape, fanIn: 0, fanOut: 0, device }), true);
  }

  call(x: Tensor, _ctx?: CallContext): Tensor {
    // In Keras's layout (a 4-D batch is NCHW inside: its NHWC view is free), then back.
    const keras = x.rank === 4 ? x.permute([0, 2, 3, 1]) : x;
    const mean = keras.mean(this.#axes, true);
    const centered = keras.sub(mean);
    let y = centered.div(centered.pow(2).mean(this.#axes, true).add(this.epsilon).sqrt());
    // gamma and beta hold the normalized axes' sizes; elsewhere they broadcast.
    const broadcast = keras.shape.map((size, k) => (this.#axes.includes(k) ? size : 1));
    if (this.scale) y = y.mul(this.weight('gamma').reshape(broadcast));
    if (this.center) y = y.add(this.weight('beta').reshape(broadcast));
    return x.rank === 4 ? y.permute([0, 3, 1, 2]) : y;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: this.betaInitializer,
      gammaInitializer: this.gammaInitializer,
    };
  }
}
