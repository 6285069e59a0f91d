// Sequential: a stack of layers. This file holds the stack's structure and forward pass; the rest
// of the model API (weights, compile, fit, files) is the Model base's (model.ts).
import { tidy } from '../memory.js';
import { fusedPair } from '../nn/fusion.js';
import { Layer, checkShape, type CallContext, type Shape } from '../nn/layer.js';
import type { Tensor } from '../tensor.js';
import { describeValue, expectString, readOptions } from '../arguments.js';
import { Model, activationOf, callBeforeActivation, nameLayer, type Architecture } from './model.js';
import type { OutputHead } from './compiled.js';
import type { SummaryRow } from './summary.js';

/** A linear stack of layers, Keras's `keras.Sequential`. */
export class Sequential extends Model {
  #layers: Layer[] = [];
  #shapes: Shape[] | null = null;

  constructor(layers: Layer[] = [], options?: { name?: string }) {
    const name = readOptions<{ name: string }>('Sequential', options, ['name']).name ?? 'sequential';
    super(expectString('Sequential', 'name', name));
    if (!Array.isArray(layers)) throw new TypeError(`Sequential: layers must be an array of layers, got ${describeValue(layers)}`);
    for (const layer of [...(layers as unknown[])]) this.add(layer as Layer);
  }

  /** Appends a layer, naming it if it has no name. */
  add(layer: Layer): void {
    this.requireLive('Sequential.add');
    this.requireIdle('Sequential.add');
    const given: unknown = layer; // from JS, anything
    if (!(given instanceof Layer)) throw new TypeError(`Sequential.add: expected a layer, got ${describeValue(given)}`);
    if (this.#layers.includes(layer)) throw new RangeError(`Sequential.add: layer '${layer.name}' is already in the model`);
    if (layer.takesList)
      throw new TypeError(`Sequential.add: ${layer.className} takes several inputs; use it in a functional model (tl.model)`);
    if (this.#layers.length > 0 && layer.inputShape)
      throw new RangeError(`Sequential.add: only the first layer takes an inputShape ('${layer.className}' has one)`);
    nameLayer('Sequential.add', layer, new Set(this.#layers.map((l) => l.name)));
    this.#layers.push(layer);
    this.traces.clear();
    if (this.#shapes) {
      const shape = this.#shapes[this.#shapes.length - 1];
      layer.build(shape, this.device);
      this.#shapes.push(layer.computeOutputShape(shape));
      this.rebindOptimizer();
    }
  }

  get layers(): readonly Layer[] {
    return this.#layers;
  }

  /** The per-example input shape: the first layer's inputShape, or the shape the model was built for. */
  get inputShape(): Shape | undefined {
    return this.#shapes?.[0] ?? this.#layers[0]?.inputShape;
  }

  /** @internal */
  get inputShapes(): Shape[] | undefined {
    const shape = this.inputShape;
    return shape && [shape];
  }

  /** @internal */
  get outputShapes(): Shape[] {
    return [this.outputShape];
  }

  /** @internal */
  get takesInputList(): boolean {
    return false;
  }

  /** @internal */
  get givesOutputList(): boolean {
    return false;
  }

  /** The per-example output shape (the model must be built). */
  get outputShape(): Shape {
    this.ensureBuilt();
    return this.#shapes![this.#layers.length];
  }

  get built(): boolean {
    return this.#shapes !== null;
  }

  /** Builds every layer for `inputShape` (default: the first layer's inputShape). */
  build(shape?: Shape): void {
    this.requireLive('build');
    const inputShape = shape === undefined ? this.inputShape : checkShape('build', 'inputShape', shape);
    if (this.#shapes) {
      if (inputShape && inputShape.join() !== this.#shapes[0].join()) {
        throw new RangeError(`${this.name}: expected input shape [None, ${this.#shapes[0]}], got [None, ${inputShape}]`);
      }
      return;
    }
    if (!inputShape) throw new Error(`${this.name}: the input shape is unknown; give the first layer an inputShape, or call build(shape)`);
    if (this.#layers.length === 0) throw new Error(`${this.name}: the model has no layers`);
    const shapes = [[...inputShape]];
    for (const layer of this.#layers) {
      const shape = shapes[shapes.length - 1];
      layer.build(shape, this.device);
      shapes.push(layer.computeOutputShape(shape));
    }
    this.#shapes = shapes;
    this.rebindOptimizer();
  }

  forwardAll(inputs: Tensor[], ctx: CallContext, preActivation: boolean[] = []): Tensor[] {
    return [this.forward(inputs[0], ctx, preActivation[0])];
  }

  /** @internal The forward pass on a batch in the internal layout; `preActivation` stops the last layer before its activation. */
  forward(input: Tensor, ctx: CallContext, preActivation = false): Tensor {
    const layers = this.#layers;
    const last = layers.length - 1;
    let x = input;
    for (let k = 0; k <= last; k++) {
      const layer = layers[k];
      // A ReLU convolution and the max pooling after it run as one op (fusedPair).
      const pair = k < last && !(k + 1 === last && preActivation) ? fusedPair(layer, layers[k + 1]) : null;
      // Each layer's temporaries, and the activation it consumed, are freed as soon as it returns
      // (autograd keeps what backward needs), as Python's reference counting does for PyTorch:
      // peak memory stays at what the graph needs, not every intermediate of the step.
      const y = tidy(() => (pair ? pair(x) : k === last && preActivation ? callBeforeActivation(layer, x) : layer.call(x, ctx)));
      if (pair) k++;
      if (x !== input && x !== y) x.dispose();
      x = y;
    }
    return x;
  }

  outputHeads(): OutputHead[] {
    const last = this.#layers[this.#layers.length - 1] as Layer | undefined;
    return [{ name: last?.name ?? this.name, activation: activationOf(last) }];
  }

  protected summaryRows(): SummaryRow[] {
    return this.#layers.map((layer, k) => ({ layer, outputShape: this.#shapes![k + 1] }));
  }

  protected architecture(): Architecture {
    return {
      inputShape: this.inputShape!,
      layers: this.#layers.map((layer) => ({ className: layer.className, config: layer.getConfig() })),
    };
  }

  protected forgetShapes(): void {
    this.#shapes = null;
  }
}

/** Creates a {@link Sequential} model: `sequential([layers.dense({ units: 10 })])`. */
export function sequential(layers: Layer[] = [], options?: { name?: string }): Sequential {
  return new Sequential(layers, options);
}
