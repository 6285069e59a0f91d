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
import { native } from '../native.js';

/** The arguments {@link Conv2D} and {@link Conv2DTranspose} share. */
interface Conv2DCommonArgs extends LayerArgs {
  /** The number of output channels. */
  filters: number;
  /** The window, one size or [height, width]. */
  kernelSize: number | [number, number];
  /** Default 1. */
  strides?: number | [number, number];
  /** 'valid' (default) or 'same'. */
  padding?: Padding;
  /** Default 1. */
  dilationRate?: number | [number, number];
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

/** Arguments of {@link Conv2D}. */
export interface Conv2DArgs extends Conv2DCommonArgs {
  /** 'valid' (default) or 'same' (output size ceil(input / stride)). */
  padding?: Padding;
  /** Grouped convolution (default 1): input and output channels split into this many groups. */
  groups?: number;
}

/** Arguments of {@link Conv2DTranspose}. */
export interface Conv2DTransposeArgs extends Conv2DCommonArgs {
  /** 'valid' (default; output (input - 1)·stride + max(window, stride)) or 'same' (output input·stride). */
  padding?: Padding;
  /**
   * Extra output rows and columns at the end, each below its stride: then the output is
   * (input - 1)·stride + window + outputPadding ('valid') or (input - 1)·stride + window % 2 +
   * outputPadding ('same'). Default null: inferred as above.
   */
  outputPadding?: number | [number, number] | null;
}

const CONV2D_KEYS = [
  'filters',
  'kernelSize',
  'strides',
  'padding',
  'dilationRate',
  'activation',
  'useBias',
  'kernelInitializer',
  'biasInitializer',
  'dataFormat',
] as const;

/** What {@link Conv2D} and {@link Conv2DTranspose} share: their arguments, read once and checked. */
abstract class Conv2DBase extends Layer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  /** The arguments a subclass takes beyond the shared ones. */
  protected static readonly extraKeys: readonly (keyof Conv2DArgs | keyof Conv2DTransposeArgs)[] = [];
  /** The arguments as read (once) from JS, for a subclass's own. */
  protected readonly args: Partial<Conv2DArgs & Conv2DTransposeArgs>;

  constructor(input: Conv2DCommonArgs) {
    const owner = new.target.name;
    const args = layerArgs<Conv2DArgs & Conv2DTransposeArgs>(owner, input, [...CONV2D_KEYS, ...new.target.extraKeys]);
    super(args);
    this.args = args;
    this.filters = positiveInteger(owner, 'filters', args.filters);
    this.kernelSize = size2(owner, 'kernelSize', args.kernelSize);
    this.strides = size2(owner, 'strides', args.strides ?? 1);
    this.padding = checkPadding(owner, args.padding ?? 'valid');
    this.dilationRate = size2(owner, 'dilationRate', args.dilationRate ?? 1);
    this.activation = checkActivation(owner, args.activation);
    this.useBias = optionalBoolean(owner, 'useBias', args.useBias, true);
    this.kernelInitializer = checkInitializer(owner, 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = checkInitializer(owner, 'biasInitializer', args.biasInitializer ?? 'zeros');
    checkDataFormat(owner, args.dataFormat);
  }

  /** The bias weight, created as Keras's ([filters]), when useBias. */
  protected createBias(device: Device): void {
    if (this.useBias)
      this.addWeight('bias', initialize(this.biasInitializer, { shape: [this.filters], fanIn: 0, fanOut: 0, device }), true);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
    };
  }
}

/** 2-D convolution over [height, width, channels] inputs. */
export class Conv2D extends Conv2DBase {
  readonly groups: number;

  protected static override readonly extraKeys = ['groups'] as const;

  constructor(input: Conv2DArgs) {
    super(input);
    this.groups = this.args.groups ?? 1;
    if (!Number.isSafeInteger(this.groups) || this.groups < 1 || this.filters % this.groups !== 0) {
      throw new RangeError(
        `Conv2D: groups must be a positive integer dividing filters (${this.filters}), got ${describeValue(this.args.groups)}`,
      );
    }
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
    this.createBias(device);
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
    return { ...super.getConfig(), groups: this.groups };
  }
}

/**
 * Transposed 2-D convolution (Keras's Conv2DTranspose) over [height, width, channels] inputs, with
 * Keras's output sizes. The kernel is stored as libtorch's conv_transpose2d takes it, [in
 * channels, filters, kh, kw] (Keras's is [kh, kw, filters, in channels]: permute [2, 3, 1, 0]),
 * channels-last as the other convolutions' kernels; then the bias, [filters].
 */
export class Conv2DTranspose extends Conv2DBase {
  readonly outputPadding: [number, number] | null;

  protected static override readonly extraKeys = ['outputPadding'] as const;

  constructor(input: Conv2DTransposeArgs) {
    super(input);
    const owner = 'Conv2DTranspose';
    const outputPadding = this.args.outputPadding ?? null;
    if (outputPadding === null) {
      this.outputPadding = null;
    } else {
      // A copy, read once: an array's getters could answer differently on a second read.
      const pair: unknown =
        typeof outputPadding === 'number'
          ? [outputPadding, outputPadding]
          : Array.isArray(outputPadding)
            ? [...outputPadding]
            : outputPadding;
      if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((p, k) => Number.isSafeInteger(p) && p >= 0 && p < this.strides[k])) {
        throw new RangeError(
          `${owner}: outputPadding must be null or a non-negative integer (or pair) below the strides [${this.strides}], got ${describeValue(outputPadding)}`,
        );
      }
      this.outputPadding = [pair[0] as number, pair[1] as number];
    }
    if (Math.max(...this.strides) > 1 && Math.max(...this.dilationRate) > 1) {
      throw new RangeError(
        `${owner}: strides > 1 cannot be combined with dilationRate > 1 (as in Keras), got strides [${this.strides}] and dilationRate [${this.dilationRate}]`,
      );
    }
  }

  computeOutputShape(inputShape: Shape): Shape {
    expectRank(this, inputShape, 3, 'images [height, width, channels]');
    const out = [0, 1].map((k) =>
      native.convTransposeOutputLength(
        inputShape[k],
        this.kernelSize[k],
        this.strides[k],
        this.padding,
        this.outputPadding?.[k] ?? null,
        this.dilationRate[k],
      ),
    );
    if (out.some((n) => n < 1)) throw new RangeError(`${this.name}: the input shape [${inputShape}] gives an empty output`);
    return [out[0], out[1], this.filters];
  }

  protected override createWeights(inputShape: Shape, device: Device): void {
    // Keras's fans for its [kh, kw, filters, in] kernel: fan in counts the filters.
    const receptive = this.kernelSize[0] * this.kernelSize[1];
    const kernel = initialize(this.kernelInitializer, {
      shape: [inputShape[2], this.filters, ...this.kernelSize],
      fanIn: receptive * this.filters,
      fanOut: receptive * inputShape[2],
      device,
    });
    this.addWeight('kernel', kernel.contiguous('channelsLast'), true);
    this.createBias(device);
  }

  call(x: Tensor, _ctx?: CallContext): Tensor {
    const y = ops.convTranspose2d(x, this.weight('kernel'), this.useBias ? this.weight('bias') : null, {
      stride: this.strides,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilationRate,
    });
    return applyActivation(this.activation, y);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), outputPadding: this.outputPadding };
  }
}

/** Arguments of {@link DepthwiseConv2D}, with Keras's names and defaults. */
export interface DepthwiseConv2DArgs extends LayerArgs {
  /** The window, one size or [height, width]. */
  kernelSize: number | [number, number];
  /** Output channels per input channel (default 1). */
  depthMultiplier?: number;
  /** Default 1. */
  strides?: number | [number, number];
  /** 'valid' (default) or 'same'. */
  padding?: Padding;
  /** Default 1. */
  dilationRate?: number | [number, number];
  /** Default 'linear'. */
  activation?: ActivationName;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  depthwiseInitializer?: InitializerName;
  /** Default 'zeros'. */
  biasInitializer?: InitializerName;
  /** Only 'channelsLast', Keras's default. */
  dataFormat?: 'channelsLast' | 'channels_last';
}

/** Arguments of {@link SeparableConv2D}: a depthwise convolution's, then `filters` 1x1 filters. */
export interface SeparableConv2DArgs extends Omit<DepthwiseConv2DArgs, 'biasInitializer'> {
  /** The number of output channels. */
  filters: number;
  /** Default 'glorotUniform'. */
  pointwiseInitializer?: InitializerName;
  /** Default 'zeros'. */
  biasInitializer?: InitializerName;
}

const DEPTHWISE_KEYS = [
  'kernelSize',
  'depthMultiplier',
  'strides',
  'padding',
  'dilationRate',
  'activation',
  'useBias',
  'depthwiseInitializer',
  'biasInitializer',
  'dataFormat',
] as const;

/**
 * A convolution of each input channel with its own `depthMultiplier` filters: output channel
 * c·depthMultiplier + m comes from input channel c, as in Keras. The kernel is stored as a grouped
 * convolution's, [channels·depthMultiplier, 1, kh, kw].
 */
export class DepthwiseConv2D extends Layer {
  readonly kernelSize: [number, number];
  readonly depthMultiplier: number;
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly depthwiseInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  /** The arguments a subclass takes beyond these. */
  protected static readonly extraKeys: readonly (keyof SeparableConv2DArgs)[] = [];
  /** The arguments as read (once) from JS, for a subclass's own. */
  protected readonly args: Partial<SeparableConv2DArgs>;

  constructor(input: DepthwiseConv2DArgs) {
    const owner = new.target.name;
    const args = layerArgs<SeparableConv2DArgs>(owner, input, [...DEPTHWISE_KEYS, ...new.target.extraKeys]);
    super(args);
    this.args = args;
    this.kernelSize = size2(owner, 'kernelSize', args.kernelSize);
    this.depthMultiplier = positiveInteger(owner, 'depthMultiplier', args.depthMultiplier ?? 1);
    this.strides = size2(owner, 'strides', args.strides ?? 1);
    this.padding = checkPadding(owner, args.padding ?? 'valid');
    this.dilationRate = size2(owner, 'dilationRate', args.dilationRate ?? 1);
    this.activation = checkActivation(owner, args.activation);
    this.useBias = optionalBoolean(owner, 'useBias', args.useBias, true);
    this.depthwiseInitializer = checkInitializer(owner, 'depthwiseInitializer', args.depthwiseInitializer ?? 'glorotUniform');
    this.biasInitializer = checkInitializer(owner, 'biasInitializer', args.biasInitializer ?? 'zeros');
    checkDataFormat(owner, args.dataFormat);
  }

  /** The output channels of the depthwise step. */
  protected depthwiseChannels(inputShape: Shape): number {
    return inputShape[2] * this.depthMultiplier;
  }

  computeOutputShape(inputShape: Shape): Shape {
    expectRank(this, inputShape, 3, 'images [height, width, channels]');
    const out = [0, 1].map((k) => convOutputLength(inputShape[k], this.kernelSize[k], this.strides[k], this.padding, this.dilationRate[k]));
    if (out.some((n) => n < 1)) {
      throw new RangeError(
        `${this.name}: the ${this.kernelSize.join('x')} kernel does not fit the input shape [${inputShape}] with padding '${this.padding}'`,
      );
    }
    return [out[0], out[1], this.depthwiseChannels(inputShape)];
  }

  protected override createWeights(inputShape: Shape, device: Device): void {
    // Keras's fans for its [kh, kw, channels, multiplier] kernel.
    const receptive = this.kernelSize[0] * this.kernelSize[1];
    const kernel = initialize(this.depthwiseInitializer, {
      shape: [inputShape[2] * this.depthMultiplier, 1, ...this.kernelSize],
      fanIn: receptive * inputShape[2],
      fanOut: receptive * this.depthMultiplier,
      device,
    });
    this.addWeight('kernel', kernel.contiguous('channelsLast'), true);
    if (this.useBias) {
      const channels = this.depthwiseChannels(inputShape);
      this.addWeight('bias', initialize(this.biasInitializer, { shape: [channels], fanIn: 0, fanOut: 0, device }), true);
    }
  }

  /** The depthwise convolution, with `bias` (none: null). */
  protected depthwise(x: Tensor, bias: Tensor | null): Tensor {
    return ops.conv2d(x, this.weight('kernel'), bias, {
      stride: this.strides,
      padding: this.padding,
      dilation: this.dilationRate,
      groups: x.shape[1],
    });
  }

  call(x: Tensor, _ctx?: CallContext): Tensor {
    return applyActivation(this.activation, this.depthwise(x, this.useBias ? this.weight('bias') : null));
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      depthMultiplier: this.depthMultiplier,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      activation: this.activation,
      useBias: this.useBias,
      depthwiseInitializer: this.depthwiseInitializer,
      biasInitializer: this.biasInitializer,
    };
  }
}

/** A depthwise convolution followed by `filters` 1x1 filters over its channels, as Keras's SeparableConv2D. */
export class SeparableConv2D extends DepthwiseConv2D {
  readonly filters: number;
  readonly pointwiseInitializer: InitializerName;

  protected static override readonly extraKeys = ['filters', 'pointwiseInitializer'] as const;

  constructor(input: SeparableConv2DArgs) {
    super(input);
    this.filters = positiveInteger('SeparableConv2D', 'filters', this.args.filters);
    this.pointwiseInitializer = checkInitializer(
      'SeparableConv2D',
      'pointwiseInitializer',
      this.args.pointwiseInitializer ?? 'glorotUniform',
    );
  }

  protected override depthwiseChannels(_inputShape: Shape): number {
    return this.filters;
  }

  protected override createWeights(inputShape: Shape, device: Device): void {
    const receptive = this.kernelSize[0] * this.kernelSize[1];
    const middle = inputShape[2] * this.depthMultiplier;
    const depthwise = initialize(this.depthwiseInitializer, {
      shape: [middle, 1, ...this.kernelSize],
      fanIn: receptive * inputShape[2],
      fanOut: receptive * this.depthMultiplier,
      device,
    });
    this.addWeight('kernel', depthwise.contiguous('channelsLast'), true);
    const pointwise = initialize(this.pointwiseInitializer, {
      shape: [this.filters, middle, 1, 1],
      fanIn: middle,
      fanOut: this.filters,
      device,
    });
    this.addWeight('pointwise_kernel', pointwise.contiguous('channelsLast'), true);
    if (this.useBias)
      this.addWeight('bias', initialize(this.biasInitializer, { shape: [this.filters], fanIn: 0, fanOut: 0, device }), true);
  }

  override call(x: Tensor, _ctx?: CallContext): Tensor {
    const pointwise = ops.conv2d(this.depthwise(x, null), this.weight('pointwise_kernel'), this.useBias ? this.weight('bias') : null);
    return applyActivation(this.activation, pointwise);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), filters: this.filters, pointwiseInitializer: this.pointwiseInitializer };
  }
}

/** Arguments of {@link Conv1D}, with Keras's names and defaults. */
export interface Conv1DArgs extends LayerArgs {
  /** The number of output channels. */
  filters: number;
  /** The window length. */
  kernelSize: number;
  /** Default 1. */
  strides?: number;
  /** 'valid' (default), 'same', or 'causal' (padded on the left only: output t sees inputs up to t). */
  padding?: Padding | 'causal';
  /** Default 1. */
  dilationRate?: number;
  /** Default 1. */
  groups?: number;
  /** Default 'linear'. */
  activation?: ActivationName;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerName;
  /** Default 'zeros'. */
  biasInitializer?: InitializerName;
  /** Only 'channelsLast', Keras's default. */
  dataFormat?: 'channelsLast' | 'channels_last';
}

/** 1-D convolution over [steps, channels] inputs; the kernel is stored as PyTorch's Conv1d's, [filters, channels / groups, kernelSize]. */
export class Conv1D extends Layer {
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Padding | 'causal';
  readonly dilationRate: number;
  readonly groups: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;

  constructor(input: Conv1DArgs) {
    const owner = 'Conv1D';
    const args = layerArgs<Conv1DArgs>(owner, input, [
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
    this.kernelSize = positiveInteger(owner, 'kernelSize', args.kernelSize);
    this.strides = positiveInteger(owner, 'strides', args.strides ?? 1);
    const padding: unknown = args.padding ?? 'valid';
    this.padding = padding === 'causal' ? padding : checkPadding(owner, padding);
    this.dilationRate = positiveInteger(owner, 'dilationRate', args.dilationRate ?? 1);
    this.groups = positiveInteger(owner, 'groups', args.groups ?? 1);
    if (this.filters % this.groups !== 0) throw new RangeError(`${owner}: groups (${this.groups}) must divide filters (${this.filters})`);
    this.activation = checkActivation(owner, args.activation);
    this.useBias = optionalBoolean(owner, 'useBias', args.useBias, true);
    this.kernelInitializer = checkInitializer(owner, 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = checkInitializer(owner, 'biasInitializer', args.biasInitializer ?? 'zeros');
    checkDataFormat(owner, args.dataFormat);
  }

  computeOutputShape(inputShape: Shape): Shape {
    expectRank(this, inputShape, 2, 'sequences [steps, channels]');
    const [steps, channels] = inputShape;
    if (channels % this.groups !== 0)
      throw new RangeError(`${this.name}: input channels (${channels}) must be divisible by groups (${this.groups})`);
    // 'causal' pads (kernelSize - 1)·dilation steps on the left, then convolves as 'valid'.
    const padded = this.padding === 'causal' ? steps + (this.kernelSize - 1) * this.dilationRate : steps;
    const out = convOutputLength(
      padded,
      this.kernelSize,
      this.strides,
      this.padding === 'causal' ? 'valid' : this.padding,
      this.dilationRate,
    );
    if (out < 1)
      throw new RangeError(
        `${this.name}: the kernel of ${this.kernelSize} does not fit the input shape [${inputShape}] with padding '${this.padding}'`,
      );
    return [out, this.filters];
  }

  protected override createWeights(inputShape: Shape, device: Device): void {
    const perGroup = inputShape[1] / this.groups;
    const kernel = initialize(this.kernelInitializer, {
      shape: [this.filters, perGroup, this.kernelSize],
      fanIn: this.kernelSize * perGroup,
      fanOut: this.kernelSize * (this.filters / this.groups),
      device,
    });
    this.addWeight('kernel', kernel, true);
    if (this.useBias)
      this.addWeight('bias', initialize(this.biasInitializer, { shape: [this.filters], fanIn: 0, fanOut: 0, device }), true);
  }

  call(x: Tensor, _ctx?: CallContext): Tensor {
    // As a 2-D convolution over [N, channels, 1, steps].
    let image = x.permute([0, 2, 1]).unsqueeze(2);
    if (this.padding === 'causal') image = image.pad([(this.kernelSize - 1) * this.dilationRate, 0]);
    const y = ops.conv2d(image, this.weight('kernel').unsqueeze(2), this.useBias ? this.weight('bias') : null, {
      stride: [1, this.strides],
      padding: this.padding === 'causal' ? 'valid' : this.padding,
      dilation: [1, this.dilationRate],
      groups: this.groups,
    });
    return applyActivation(this.activation, y.squeeze(2).permute([0, 2, 1]));
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
