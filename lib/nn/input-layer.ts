// A functional model's inputs: `tl.input({ shape })` (Keras's keras.Input) makes an InputLayer and
// returns its symbolic output, which layers are then applied to.
import { describeValue, readOptions } from '../arguments.js';
import type { Tensor } from '../tensor.js';
import { Layer, SymbolicTensor, checkShape, type CallContext, type LayerArgs, type Shape } from './layer.js';

/** Arguments of {@link input}. */
export interface InputArgs {
  /** The per-example shape, without the batch dim (e.g. [32, 32, 3]). */
  shape: Shape;
  /** Unique within a model; default input_layer, input_layer_1, ... */
  name?: string;
}

/** Arguments of {@link InputLayer}, as saved. */
export interface InputLayerArgs extends Omit<LayerArgs, 'inputShape'> {
  shape: Shape;
}

/** A model input: holds its per-example shape, and passes the batch through. */
export class InputLayer extends Layer {
  readonly shape: Shape;
  constructor(input: InputLayerArgs) {
    const args = readOptions<InputLayerArgs>('InputLayer', input, ['name', 'trainable', 'shape'], 'arguments');
    if (args.shape === undefined) throw new TypeError('InputLayer: shape is required (the per-example shape, e.g. [32, 32, 3])');
    super({ name: args.name, trainable: args.trainable });
    this.shape = checkShape('InputLayer', 'shape', args.shape);
  }
  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.join() !== this.shape.join())
      throw new RangeError(`${this.name ?? 'InputLayer'}: expected input of shape [None, ${this.shape}], got [None, ${inputShape}]`);
    return [...inputShape];
  }
  call(x: Tensor, _ctx?: CallContext): Tensor {
    return x;
  }
  override getConfig(): Record<string, unknown> {
    return { name: this.name, shape: this.shape };
  }
  /** @internal The model input this layer stands for (once). */
  output(): SymbolicTensor {
    return this.nodes.length > 0 ? new SymbolicTensor(this.shape, this.nodes[0]) : this.recordCall([], this.shape);
  }
}

/** A model input, Keras's `keras.Input`: `const x = tl.input({ shape: [32, 32, 3] })`. */
export function input(args: InputArgs): SymbolicTensor {
  const given: unknown = args; // from JS, anything
  if (typeof given !== 'object' || given === null) throw new TypeError(`input: expected { shape, name? }, got ${describeValue(given)}`);
  return new InputLayer(args).output();
}
