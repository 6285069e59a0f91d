// Merge layers, which take several inputs (the functional API): Add, Subtract, Multiply, Average,
// Maximum, Minimum and Concatenate, with Keras's arguments. Shapes and axes are Keras's; inside
// the model a 4-D batch is NCHW (channels-last strides), so Concatenate maps its axis onto that.
import { describeValue } from '../arguments.js';
import type { Device, Tensor } from '../tensor.js';
import { cat } from '../tensor.js';
import { Layer, layerArgs, type CallContext, type LayerArgs, type Shape } from './layer.js';

/** Base of the merge layers: `apply([a, b, ...])` in a functional model. */
export abstract class Merge extends Layer {
  override get takesList(): boolean {
    return true;
  }
  computeOutputShape(_inputShape: Shape): Shape {
    throw new TypeError(`${this.name ?? this.className}: a merge layer takes several inputs; use it in a functional model (tl.model)`);
  }
  call(_x: Tensor, _ctx?: CallContext): Tensor {
    throw new TypeError(`${this.name ?? this.className}: a merge layer takes several inputs; use it in a functional model (tl.model)`);
  }
  override buildOn(shapes: Shape[], _device: Device): void {
    this.outputShapeOf(shapes);
  }
  override outputShapeOf(shapes: Shape[]): Shape {
    if (shapes.length < 2) throw new RangeError(`${this.name ?? this.className}: merges two or more inputs, got ${shapes.length}`);
    return this.mergedShape(shapes);
  }
  /** The output shape for two or more input shapes. */
  protected abstract mergedShape(shapes: Shape[]): Shape;
}

// The shapes of an element-wise merge, as Keras broadcasts them: equal ranks, and in each dim
// equal sizes or 1.
function broadcastShape(layer: Layer, shapes: Shape[]): Shape {
  const fail = () =>
    new RangeError(
      `${layer.name ?? layer.className}: inputs must have equal shapes, or sizes 1 that broadcast; got ${shapes.map((s) => `[${s}]`).join(', ')}`,
    );
  if (!shapes.every((s) => s.length === shapes[0].length)) throw fail();
  return shapes[0].map((_, d) => {
    const sizes = new Set(shapes.map((s) => s[d]).filter((n) => n !== 1));
    if (sizes.size > 1) throw fail();
    return sizes.size === 0 ? 1 : [...sizes][0];
  });
}

/** An element-wise merge: `combine` folds the inputs, left to right. */
abstract class ElementwiseMerge extends Merge {
  protected mergedShape(shapes: Shape[]): Shape {
    return broadcastShape(this, shapes);
  }
  override callOn(inputs: Tensor[], _ctx: CallContext): Tensor {
    return this.finish(
      inputs.slice(1).reduce((acc, x) => this.combine(acc, x), inputs[0]),
      inputs.length,
    );
  }
  protected abstract combine(a: Tensor, b: Tensor): Tensor;
  protected finish(sum: Tensor, _count: number): Tensor {
    return sum;
  }
}

/** The sum of its inputs. */
export class Add extends ElementwiseMerge {
  constructor(args: LayerArgs = {}) {
    super(layerArgs('Add', args));
  }
  protected combine(a: Tensor, b: Tensor): Tensor {
    return a.add(b);
  }
}

/** The first of two inputs minus the second. */
export class Subtract extends ElementwiseMerge {
  constructor(args: LayerArgs = {}) {
    super(layerArgs('Subtract', args));
  }
  protected override mergedShape(shapes: Shape[]): Shape {
    if (shapes.length !== 2) throw new RangeError(`${this.name ?? 'Subtract'}: takes exactly two inputs, got ${shapes.length}`);
    return super.mergedShape(shapes);
  }
  protected combine(a: Tensor, b: Tensor): Tensor {
    return a.sub(b);
  }
}

/** The element-wise product of its inputs. */
export class Multiply extends ElementwiseMerge {
  constructor(args: LayerArgs = {}) {
    super(layerArgs('Multiply', args));
  }
  protected combine(a: Tensor, b: Tensor): Tensor {
    return a.mul(b);
  }
}

/** The mean of its inputs. */
export class Average extends ElementwiseMerge {
  constructor(args: LayerArgs = {}) {
    super(layerArgs('Average', args));
  }
  protected combine(a: Tensor, b: Tensor): Tensor {
    return a.add(b);
  }
  protected override finish(sum: Tensor, count: number): Tensor {
    return sum.div(count);
  }
}

/** The element-wise maximum of its inputs (a tie's gradient goes to the earlier input, as TensorFlow's). */
export class Maximum extends ElementwiseMerge {
  constructor(args: LayerArgs = {}) {
    super(layerArgs('Maximum', args));
  }
  protected combine(a: Tensor, b: Tensor): Tensor {
    return a.where(a.ge(b), b);
  }
}

/** The element-wise minimum of its inputs (a tie's gradient goes to the earlier input, as TensorFlow's). */
export class Minimum extends ElementwiseMerge {
  constructor(args: LayerArgs = {}) {
    super(layerArgs('Minimum', args));
  }
  protected combine(a: Tensor, b: Tensor): Tensor {
    return a.where(a.le(b), b);
  }
}

/** Arguments of {@link Concatenate}. */
export interface ConcatenateArgs extends LayerArgs {
  /** The axis to join along, counting the batch dim as Keras does (default -1: channels, or features). */
  axis?: number;
}

/** Joins its inputs along one axis; the others must agree. */
export class Concatenate extends Merge {
  readonly axis: number;
  constructor(input: ConcatenateArgs = {}) {
    const args = layerArgs<ConcatenateArgs>('Concatenate', input, ['axis']);
    super(args);
    const axis: unknown = args.axis ?? -1;
    if (!Number.isSafeInteger(axis)) throw new RangeError(`Concatenate: axis must be an integer, got ${describeValue(axis)}`);
    this.axis = axis as number;
  }
  // The axis as a per-example dim (0-based), checked against the inputs' rank.
  private exampleAxis(rank: number): number {
    const axis = this.axis < 0 ? this.axis + rank + 1 : this.axis;
    if (axis < 1 || axis > rank)
      throw new RangeError(
        `${this.name ?? 'Concatenate'}: axis ${this.axis} is not an axis of inputs of rank ${rank} per example (the batch axis 0 cannot be joined)`,
      );
    return axis - 1;
  }
  protected mergedShape(shapes: Shape[]): Shape {
    const rank = shapes[0].length;
    const axis = this.exampleAxis(rank);
    const agree = shapes.every((s) => s.length === rank && s.every((n, d) => d === axis || n === shapes[0][d]));
    if (!agree) {
      throw new RangeError(
        `${this.name ?? 'Concatenate'}: inputs must agree in every dim but axis ${this.axis}; got ${shapes.map((s) => `[${s}]`).join(', ')}`,
      );
    }
    return shapes[0].map((n, d) => (d === axis ? shapes.reduce((sum, s) => sum + s[d], 0) : n));
  }
  override callOn(inputs: Tensor[], _ctx: CallContext): Tensor {
    const rank = inputs[0].rank - 1;
    const axis = this.exampleAxis(rank);
    // Images are NCHW inside the model: Keras's [h, w, c] axes 0, 1, 2 are dims 2, 3, 1.
    const dim = rank === 3 ? [2, 3, 1][axis] : axis + 1;
    return cat(inputs, dim);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}
