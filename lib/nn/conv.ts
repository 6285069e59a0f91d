// Conv2D: Keras's arguments and defaults over ops.conv2d, with channels-last weights.
import * as ops from '../ops.js';
import type { Device, Tensor } from '../tensor.js';
import { applyActivation, checkActivation, type ActivationName } from './activation.js';
import { checkInitializer, initialize, type InitializerName } from './initializers.js';
import {
  Layer,
  layerArgs,
  checkDataFormat,
  checkPadding,
  positiveInteger,
  convOutputLength,
  expectRank,
  size2,
  type CallContext,
  type LayerArgs,
  type Padding,
  type Shape,
} from './layer.js';
import { describeValue, optionalBoolean } from '../arguments.js';

/** Arguments of {@link Conv2D}. */
export interface Conv2DArgs extends LayerArgs {
  /** The number of output channels. */
  filters: number;
  /** The window, one size or [height, width]. */
  kernelSize: number | [number, number];
  /** Default 1. */
  strides?: number | [number, number];
  /** 'valid' (default) or 'same' (output size ceil(input / stride)). */
  padding?: Padding;
  /** Default 1. */
  dilationRate?: number | [number, number];
  /** Grouped convolution (default 1): input and output channels split into this many groups. */
  groups?: number;
  /** Default 'linear'. */
  activation?: ActivationName;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerName;
  /** Default 'zeros'. */
  biasInitializer?: InitializerName;
  /** Only 'channelsLast', Keras's default, is supported. */
  dataFormat?: 'channelsLast' | 'channels_last';
}

/** 2-D convolution over [height, width, channels] inputs. */
export class Conv2D extends Layer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly groups: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;

  constructor(input: Conv2DArgs) {
    const owner = 'Conv2D';
    const args = layerArgs<Conv2DArgs>(owner, input, [
      'filters',
      'kernelSize',
      'strides',
      'padding',
      'dilationRate',
      'groups',
      'activation',
      'useBias',
      'kernelInitializer',
      'biasInitializer',
      'dataFormat',
    ]);
    super(args);
    this.filters = positiveInteger(owner, 'filters', args.filters);
    this.kernelSize = size2(owner, 'kernelSize', args.kernelSize);
    this.strides = size2(owner, 'strides', args.strides ?? 1);
    this.padding = checkPadding(owner, args.padding ?? 'valid');
    this.dilationRate = size2(owner, 'dilationRate', args.dilationRate ?? 1);
    this.groups = args.groups ?? 1;
    if (!Number.isSafeInteger(this.groups) || this.groups < 1 || this.filters % this.groups !== 0) {
      throw new RangeError(
        `${owner}: groups must be a positive integer dividing filters (${this.filters}), got ${describeValue(args.groups)}`,
      );
    }
    this.activation = checkActivation(owner, args.activation);
    this.useBias = optionalBoolean(owner, 'useBias', args.useBias, true);
    this.kernelInitializer = checkInitializer(owner, 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = checkInitializer(owner, 'biasInitializer', args.biasInitializer ?? 'zeros');
    checkDataFormat(owner, args.dataFormat);
  }

  computeOutputShape(inputShape: Shape): Shape {
    expectRank(this, inputShape, 3, 'images [height, width, channels]');
    const [h, w, c] = inputShape;
    if (c % this.groups !== 0) throw new RangeError(`${this.name}: input channels (${c}) must be divisible by groups (${this.groups})`);
    const out = [h, w].map((size, k) => convOutputLength(size, this.kernelSize[k], this.strides[k], this.padding, this.dilationRate[k]));
    if (out.some((n) => n < 1)) {
      throw new RangeError(
        `${this.name}: the ${this.kernelSize.join('x')} kernel does not fit the input shape [${inputShape}] with padding '${this.padding}'`,
      );
    }
    return [out[0], out[1], this.filters];
  }

  protected override createWeights(inputShape: Shape, device: Device): void {
    const inPerGroup = inputShape[2] / this.groups;
    const receptive = this.kernelSize[0] * this.kernelSize[1];
    const kernel = initialize(this.kernelInitializer, {
      shape: [this.filters, inPerGroup, ...this.kernelSize],
      fanIn: receptive * inPerGroup,
      fanOut: receptive * (this.filters / this.groups),
      device,
    });
    // Channels-last weights, so that the conv runs its channels-last kernels with no layout change.
    this.addWeight('kernel', kernel.contiguous('channelsLast'), true);
    if (this.useBias)
      this.addWeight('bias', initialize(this.biasInitializer, { shape: [this.filters], fanIn: 0, fanOut: 0, device }), true);
  }

  /** The convolution before the activation. */
  preActivation(x: Tensor): Tensor {
    return this.convolve(x, 'linear');
  }

  call(x: Tensor, _ctx?: CallContext): Tensor {
    // ReLU fuses into the convolution (one oneDNN primitive on the CPU); other activations follow it.
    if (this.activation === 'relu') return this.convolve(x, 'relu');
    return applyActivation(this.activation, this.preActivation(x));
  }

  /**
   * @internal This ReLU convolution followed by 'valid' max pooling, as one op
   * (ops.conv2dReluMaxPool): its output need not be stored where the op fuses them.
   */
  callPooled(x: Tensor, poolSize: [number, number], poolStride: [number, number]): Tensor {
    const bias = this.useBias ? this.weight('bias') : null;
    const options = { stride: this.strides, padding: this.padding, dilation: this.dilationRate, groups: this.groups };
    return ops.conv2dReluMaxPool(x, this.weight('kernel'), bias, options, poolSize, poolStride);
  }

  private convolve(x: Tensor, activation: 'linear' | 'relu'): Tensor {
    return ops.conv2d(x, this.weight('kernel'), this.useBias ? this.weight('bias') : null, {
      stride: this.strides,
      padding: this.padding,
      dilation: this.dilationRate,
      groups: this.groups,
      activation,
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      groups: this.groups,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
    };
  }
}
