// Reshaping layers: ZeroPadding2D, UpSampling2D, Reshape and Permute, with Keras's arguments.
// Shapes and axes are Keras's (images [height, width, channels]); inside the model a 4-D batch is
// NCHW with channels-last strides, so Reshape and Permute work on its NHWC view (a free permute).
import { describeValue } from '../arguments.js';
import * as ops from '../ops.js';
import type { Tensor } from '../tensor.js';
import { Layer, layerArgs, checkDataFormat, expectRank, size2, type CallContext, type LayerArgs, type Shape } from './layer.js';

// A batch in Keras's layout, and back.
const toKeras = (x: Tensor): Tensor => (x.rank === 4 ? x.permute([0, 2, 3, 1]) : x);
const fromKeras = (x: Tensor): Tensor => (x.rank === 4 ? x.permute([0, 3, 1, 2]) : x);

/** Padding of {@link ZeroPadding2D}: one size for all sides, [height, width], or [[top, bottom], [left, right]]. */
export type Padding2D = number | [number, number] | [[number, number], [number, number]];

/** Arguments of {@link ZeroPadding2D}. */
export interface ZeroPadding2DArgs extends LayerArgs {
  /** Default 1. */
  padding?: Padding2D;
  /** Only 'channelsLast', Keras's default. */
  dataFormat?: 'channelsLast' | 'channels_last';
}

/** Zero rows and columns around each image: [h, w, c] → [h + top + bottom, w + left + right, c]. */
export class ZeroPadding2D extends Layer {
  /** [[top, bottom], [left, right]]. */
  readonly padding: [[number, number], [number, number]];
  constructor(input: ZeroPadding2DArgs = {}) {
    const args = layerArgs<ZeroPadding2DArgs>('ZeroPadding2D', input, ['padding', 'dataFormat']);
    super(args);
    checkDataFormat('ZeroPadding2D', args.dataFormat);
    this.padding = padding2d(args.padding ?? 1);
  }
  computeOutputShape(inputShape: Shape): Shape {
    expectRank(this, inputShape, 3, 'images [height, width, channels]');
    const [[top, bottom], [left, right]] = this.padding;
    return [inputShape[0] + top + bottom, inputShape[1] + left + right, inputShape[2]];
  }
  call(x: Tensor, _ctx?: CallContext): Tensor {
    const [[top, bottom], [left, right]] = this.padding;
    return x.pad([left, right, top, bottom]);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), padding: this.padding };
  }
}

function padding2d(value: unknown): [[number, number], [number, number]] {
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (count(value))
    return [
      [value as number, value as number],
      [value as number, value as number],
    ];
  if (Array.isArray(value) && value.length === 2 && value.every(count)) {
    const [h, w] = value as [number, number];
    return [
      [h, h],
      [w, w],
    ];
  }
  if (Array.isArray(value) && value.length === 2 && value.every((p) => Array.isArray(p) && p.length === 2 && p.every(count))) {
    const [[top, bottom], [left, right]] = value as [[number, number], [number, number]];
    return [
      [top, bottom],
      [left, right],
    ];
  }
  throw new RangeError(
    `ZeroPadding2D: padding must be a non-negative integer, [height, width] or [[top, bottom], [left, right]], got ${describeValue(value)}`,
  );
}

/** Arguments of {@link UpSampling2D}. */
export interface UpSampling2DArgs extends LayerArgs {
  /** The factor for rows and columns: one, or [height, width] (default 2). */
  size?: number | [number, number];
  /** 'nearest' (default) or 'bilinear'. */
  interpolation?: 'nearest' | 'bilinear';
  /** Only 'channelsLast', Keras's default. */
  dataFormat?: 'channelsLast' | 'channels_last';
}

/** Repeats rows and columns (or interpolates them): [h, w, c] → [h·sh, w·sw, c]. */
export class UpSampling2D extends Layer {
  readonly size: [number, number];
  readonly interpolation: 'nearest' | 'bilinear';
  constructor(input: UpSampling2DArgs = {}) {
    const args = layerArgs<UpSampling2DArgs>('UpSampling2D', input, ['size', 'interpolation', 'dataFormat']);
    super(args);
    checkDataFormat('UpSampling2D', args.dataFormat);
    this.size = size2('UpSampling2D', 'size', args.size ?? 2);
    const interpolation: unknown = args.interpolation ?? 'nearest';
    if (interpolation !== 'nearest' && interpolation !== 'bilinear')
      throw new RangeError(`UpSampling2D: interpolation must be 'nearest' or 'bilinear', got ${describeValue(interpolation)}`);
    this.interpolation = interpolation;
  }
  computeOutputShape(inputShape: Shape): Shape {
    expectRank(this, inputShape, 3, 'images [height, width, channels]');
    return [inputShape[0] * this.size[0], inputShape[1] * this.size[1], inputShape[2]];
  }
  call(x: Tensor, _ctx?: CallContext): Tensor {
    return ops.upsample2d(x, this.size, this.interpolation);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), size: this.size, interpolation: this.interpolation };
  }
}

/** Arguments of {@link Reshape}: the per-example target shape; one dim may be -1, inferred. */
export interface ReshapeArgs extends LayerArgs {
  targetShape: Shape;
}

/** Reshapes each example, in Keras's element order (an image's is height, width, channels). */
export class Reshape extends Layer {
  readonly targetShape: Shape;
  constructor(input: ReshapeArgs) {
    const args = layerArgs<ReshapeArgs>('Reshape', input, ['targetShape']);
    super(args);
    const target: unknown = args.targetShape;
    const ok = Array.isArray(target) && target.length > 0 && target.every((d) => Number.isSafeInteger(d) && (d > 0 || d === -1));
    if (!ok || (target as number[]).filter((d) => d === -1).length > 1) {
      throw new RangeError(`Reshape: targetShape must be an array of positive integers, with at most one -1, got ${describeValue(target)}`);
    }
    this.targetShape = [...(target as number[])];
  }
  computeOutputShape(inputShape: Shape): Shape {
    const size = inputShape.reduce((a, b) => a * b, 1);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const inferred = this.targetShape.includes(-1) ? size / known : known;
    if (!Number.isInteger(inferred) || (this.targetShape.includes(-1) ? inferred < 1 : known !== size)) {
      throw new RangeError(`${this.name ?? 'Reshape'}: cannot reshape [${inputShape}] (${size} values) to [${this.targetShape}]`);
    }
    return this.targetShape.map((d) => (d === -1 ? inferred : d));
  }
  call(x: Tensor, _ctx?: CallContext): Tensor {
    return fromKeras(toKeras(x).reshape([x.shape[0], ...this.targetShape]));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), targetShape: this.targetShape };
  }
}

/** Arguments of {@link Permute}: the new order of the per-example axes, numbered from 1 (Keras's). */
export interface PermuteArgs extends LayerArgs {
  dims: number[];
}

/** Permutes each example's axes: `dims: [2, 1]` swaps the two axes of [steps, features]. */
export class Permute extends Layer {
  readonly dims: number[];
  constructor(input: PermuteArgs) {
    const args = layerArgs<PermuteArgs>('Permute', input, ['dims']);
    super(args);
    const dims: unknown = args.dims;
    const given: unknown[] = Array.isArray(dims) ? [...(dims as unknown[])] : [];
    const ok = given.length > 0 && [...given].sort((a, b) => Number(a) - Number(b)).every((d, k) => d === k + 1);
    if (!ok) throw new RangeError(`Permute: dims must be a permutation of 1..rank, got ${describeValue(dims)}`);
    this.dims = [...(dims as number[])];
  }
  computeOutputShape(inputShape: Shape): Shape {
    expectRank(this, inputShape, this.dims.length, `${this.dims.length} axes to permute`);
    return this.dims.map((d) => inputShape[d - 1]);
  }
  call(x: Tensor, _ctx?: CallContext): Tensor {
    return fromKeras(toKeras(x).permute([0, ...this.dims]));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dims: this.dims };
  }
}
