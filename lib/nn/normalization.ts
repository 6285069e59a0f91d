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
