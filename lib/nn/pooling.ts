// Pooling layers: MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D and GlobalMaxPooling2D,
// with Keras's 'valid' and 'same' padding.
import * as ops from '../ops.js';
import type { Tensor } from '../tensor.js';
import { optionalBoolean } from '../arguments.js';
import {
  Layer,
  layerArgs,
  type CallContext,
  checkDataFormat,
  checkPadding,
  convOutputLength,
  expectRank,
  size2,
  type LayerArgs,
  type Padding,
  type Shape,
} from './layer.js';

/** Arguments of the 2-D pooling layers. */
export interface Pooling2DArgs extends LayerArgs {
  /** The window, one size or [height, width] (default 2). */
  poolSize?: number | [number, number];
  /** Default: poolSize. */
  strides?: number | [number, number];
  /** 'valid' (default) or 'same' (output size ceil(input / stride); padding is ignored by the pooling). */
  padding?: Padding;
  /** Only 'channelsLast', Keras's default, is supported. */
  dataFormat?: 'channelsLast' | 'channels_last';
}

abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;

  constructor(input: Pooling2DArgs = {}) {
    const owner = new.target.name;
    const args = layerArgs<Pooling2DArgs>(owner, input, ['poolSize', 'strides', 'padding', 'dataFormat']);
    super(args);
    this.poolSize = size2(owner, 'poolSize', args.poolSize ?? 2);
    this.strides = size2(owner, 'strides', args.strides ?? this.poolSize);
    this.padding = checkPadding(owner, args.padding ?? 'valid');
    checkDataFormat(owner, args.dataFormat);
  }

  computeOutputShape(inputShape: Shape): Shape {
    expectRank(this, inputShape, 3, 'images [height, width, channels]');
    const [h, w, c] = inputShape;
    const out = [h, w].map((size, k) => convOutputLength(size, this.poolSize[k], this.strides[k], this.padding));
    if (out.some((n) => n < 1)) {
      throw new RangeError(
        `${this.name}: the ${this.poolSize.join('x')} pool does not fit the input shape [${inputShape}] with padding '${this.padding}'`,
      );
    }
    return [out[0], out[1], c];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

/** Max over each window. */
export class MaxPooling2D extends Pooling2D {
  call(x: Tensor, _ctx?: CallContext): Tensor {
    return ops.maxPool2d(x, this.poolSize, { stride: this.strides, padding: this.padding });
  }
}

/** Mean over each window; with 'same', padding is excluded from the mean, as Keras. */
export class AveragePooling2D extends Pooling2D {
  call(x: Tensor, _ctx?: CallContext): Tensor {
    return ops.avgPool2d(x, this.poolSize, { stride: this.strides, padding: this.padding });
  }
}

/** Arguments of the global pooling layers: `keepdims` keeps [1, 1, channels] (default false: [channels]). */
export interface GlobalPooling2DArgs extends LayerArgs {
  keepdims?: boolean;
  /** Only 'channelsLast', Keras's default. */
  dataFormat?: 'channelsLast' | 'channels_last';
}

abstract class GlobalPooling2D extends Layer {
  readonly keepdims: boolean;
  constructor(input: GlobalPooling2DArgs = {}) {
    const owner = new.target.name;
    const args = layerArgs<GlobalPooling2DArgs>(owner, input, ['keepdims', 'dataFormat']);
    super(args);
    checkDataFormat(owner, args.dataFormat);
    this.keepdims = optionalBoolean(owner, 'keepdims', args.keepdims, false);
  }
  computeOutputShape(inputShape: Shape): Shape {
    expectRank(this, inputShape, 3, 'images [height, width, channels]');
    return this.keepdims ? [1, 1, inputShape[2]] : [inputShape[2]];
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), keepdims: this.keepdims };
  }
}

/** The mean over height and width: [h, w, c] → [c]. */
export class GlobalAveragePooling2D extends GlobalPooling2D {
  call(x: Tensor, _ctx?: CallContext): Tensor {
    return x.mean([2, 3], this.keepdims);
  }
}

/** The maximum over height and width: [h, w, c] → [c]. */
export class GlobalMaxPooling2D extends GlobalPooling2D {
  call(x: Tensor, _ctx?: CallContext): Tensor {
    return x.max([2, 3], this.keepdims);
  }
}
