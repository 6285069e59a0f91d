// Preprocessing layers: Rescaling, with Keras's arguments.
import { describeValue } from '../arguments.js';
import type { Tensor } from '../tensor.js';
import { Layer, layerArgs, type CallContext, type LayerArgs, type Shape } from './layer.js';

/** Arguments of {@link Rescaling}. */
export interface RescalingArgs extends LayerArgs {
  /** The factor (1 / 255 maps bytes to [0, 1]). */
  scale: number;
  /** Added after scaling (default 0). */
  offset?: number;
}

/** `x · scale + offset`, elementwise. */
export class Rescaling extends Layer {
  readonly scale: number;
  readonly offset: number;
  constructor(input: RescalingArgs) {
    const args = layerArgs<RescalingArgs>('Rescaling', input, ['scale', 'offset']);
    super(args);
    this.scale = finite('scale', args.scale);
    this.offset = finite('offset', args.offset ?? 0);
  }
  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  call(x: Tensor, _ctx?: CallContext): Tensor {
    return x.mul(this.scale).add(this.offset);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}

function finite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new RangeError(`Rescaling: ${name} must be a finite number, got ${describeValue(value)}`);
  return value;
}
