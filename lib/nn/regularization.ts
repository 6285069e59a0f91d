// Dropout.
import * as ops from '../ops.js';
import type { Tensor } from '../tensor.js';
import { Layer, layerArgs, type CallContext, type LayerArgs, type Shape } from './layer.js';
import { describeValue } from '../arguments.js';

/** Arguments of {@link Dropout}: the fraction of inputs to drop while training, in [0, 1). */
export interface DropoutArgs extends LayerArgs {
  rate: number;
}

/** Zeroes a random fraction `rate` of its inputs while training (scaling the rest by 1 / (1 - rate)); the identity otherwise. */
export class Dropout extends Layer {
  readonly rate: number;
  constructor(input: DropoutArgs) {
    const args = layerArgs<DropoutArgs>('Dropout', input, ['rate']);
    super(args);
    const rate = args.rate;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1))
      throw new RangeError(`Dropout: rate must be in [0, 1), got ${describeValue(rate)}`);
    this.rate = rate;
  }
  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  call(x: Tensor, ctx: CallContext): Tensor {
    return ctx.training && this.rate > 0 ? ops.dropout(x, this.rate, true) : x;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate };
  }
}
