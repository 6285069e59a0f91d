// The Keras layer base: arguments checked at construction, weights built lazily from the first
// input shape, a forward call on the internal layout, a JSON config for saving, and calls on the
// functional API's symbolic tensors (apply), which record the graph a Functional model runs.
import { normalizeDevice } from '../device.js';
import { keep, tidy } from '../memory.js';
import { native } from '../native.js';
import type { Device, Tensor } from '../tensor.js';
import { describeValue, optionalBoolean, readOptions } from '../arguments.js';

/**
 * A per-example shape, without the batch dim, as Keras writes it: images are [height, width,
 * channels]. Inside the model, 4-D tensors are NCHW with channels-last strides.
 */
export type Shape = number[];

/** What a forward call needs to know. */
export interface CallContext {
  /** Dropout active and batch norm on batch statistics (fit), or not (evaluate, predict). */
  training: boolean;
}

/** Arguments every layer takes. */
export interface LayerArgs {
  /** Unique within a model; default: the snake_case class name, numbered (conv2d, conv2d_1, ...). */
  name?: string;
  /** The per-example input shape, for the first layer of a model (e.g. [32, 32, 3]). */
  inputShape?: Shape;
  /** Whether the optimizer updates the layer's weights (default true). */
  trainable?: boolean;
}

const LAYER_KEYS = ['name', 'inputShape', 'trainable'] as const;

/**
 * A layer's arguments, checked: a plain object (or undefined) whose keys are those every layer
 * takes plus `keys`; an unknown key is a RangeError suggesting the closest one. Returns a copy,
 * each key read once. Each built-in layer reads its arguments through this before `super`; a
 * user's subclass may pass its own object to `super` unchecked.
 */
export function layerArgs<T extends LayerArgs>(className: string, args: unknown, keys: readonly (keyof T & string)[] = []): Partial<T> {
  return readOptions<T>(className, args, [...LAYER_KEYS, ...keys], 'arguments');
}

/** A named weight of a layer. */
export interface Weight {
  name: string;
  tensor: Tensor;
  /** Updated by the optimizer (kernels, biases) or by the layer itself (batch norm statistics). */
  trainable: boolean;
}

// Layers made so far: a functional model names its unnamed layers in the order they were made, as
// Keras names them as they are made.
let layersMade = 0;

/** Base of all layers. */
export abstract class Layer {
  name: string | undefined;
  /** @internal The layer's place among all layers made (for naming). */
  readonly serial = layersMade++;
  readonly inputShape: Shape | undefined;
  trainable: boolean;
  #weights: Weight[] = [];
  #builtFor: Shape | null = null;
  #nodes: GraphNode[] = [];

  constructor(args: LayerArgs = {}) {
    const given: unknown = args; // from JS, anything
    if (typeof given !== 'object' || given === null)
      throw new TypeError(`${this.className}: arguments must be an object, got ${describeValue(args)}`);
    if (args.name !== undefined && (typeof args.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(args.name))) {
      throw new TypeError(
        `${this.className}: name must be a non-empty string of letters, digits, '_', '.' and '-', got ${describeValue(args.name)}`,
      );
    }
    this.name = args.name;
    if (args.inputShape !== undefined) this.inputShape = checkShape(this.className, 'inputShape', args.inputShape);
    this.trainable = optionalBoolean(this.className, 'trainable', args.trainable, true);
  }

  /** The Keras class name, e.g. 'Conv2D': the name of the layer's class. */
  get className(): string {
    return this.constructor.name;
  }

  /** The per-example output shape for a per-example input shape; throws a RangeError naming both if the input does not fit. */
  abstract computeOutputShape(inputShape: Shape): Shape;

  /** The forward pass on a batch in the internal layout (NCHW for images). */
  abstract call(x: Tensor, ctx: CallContext): Tensor;

  /**
   * Calls the layer on symbolic tensors (from `tl.input()` or another layer's `apply`), as Keras's
   * `layer(x)`: checks the shapes and returns the symbolic output, for `tl.model({ inputs, outputs })`.
   * A merge layer takes an array. A layer applied more than once shares its weights between calls.
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
    const owner = `${this.name ?? this.className}.apply`;
    const given: unknown = inputs; // from JS, anything
    const list: unknown[] = Array.isArray(given) ? [...(given as unknown[])] : [given];
    if (list.length === 0 || !list.every((x) => x instanceof SymbolicTensor)) {
      throw new TypeError(
        `${owner}: expected ${this.takesList ? 'an array of symbolic tensors' : 'a symbolic tensor'} (from tl.input() or another layer's apply), got ${describeValue(given)}`,
      );
    }
    if (Array.isArray(given) !== this.takesList)
      throw new TypeError(
        `${owner}: ${this.className} takes ${this.takesList ? 'an array of symbolic tensors' : 'one symbolic tensor, not an array'}`,
      );
    const symbols = list;
    const shapes = symbols.map((x) => x.shape);
    const first = this.#nodes[0] as GraphNode | undefined;
    if (first && first.inputs.map((x) => `[${x.shape}]`).join() !== shapes.map((s) => `[${s}]`).join()) {
      throw new RangeError(
        `${owner}: a shared layer takes the shapes of its first call, ${first.inputs.map((x) => `[${x.shape}]`).join(', ')}; got ${shapes.map((s) => `[${s}]`).join(', ')}`,
      );
    }
    return this.recordCall(symbols, this.outputShapeOf(shapes));
  }

  /** Records a call on `inputs` whose output has per-example shape `shape`, and returns that output. */
  protected recordCall(inputs: SymbolicTensor[], shape: Shape): SymbolicTensor {
    const node: GraphNode = { layer: this, inputs, index: this.#nodes.length };
    this.#nodes.push(node);
    return new SymbolicTensor(shape, node);
  }

  /** @internal The calls of this layer on symbolic tensors, in order. */
  get nodes(): readonly GraphNode[] {
    return this.#nodes;
  }

  /** @internal True for a layer that takes several inputs (a merge layer). */
  get takesList(): boolean {
    return false;
  }

  /** @internal The per-example output shape for the shapes of the inputs (one, unless the layer takes a list). */
  outputShapeOf(shapes: Shape[]): Shape {
    return this.computeOutputShape(shapes[0]);
  }

  /** @internal Builds the layer for the shapes of its inputs (one, unless the layer takes a list). */
  buildOn(shapes: Shape[], device: Device): void {
    this.build(shapes[0], device);
  }

  /** @internal The forward pass on its inputs (one, unless the layer takes a list). */
  callOn(inputs: Tensor[], ctx: CallContext): Tensor {
    return this.call(inputs[0], ctx);
  }

  /** The constructor arguments that recreate this layer (JSON-safe). */
  getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { name: this.name, trainable: this.trainable };
    if (this.inputShape) config.inputShape = this.inputShape;
    return config;
  }

  /** True once the weights exist. */
  get built(): boolean {
    return this.#builtFor !== null;
  }

  /** Creates the weights for `inputShape` on `device` (once; later calls check the shape). */
  build(inputShape: Shape, device: Device): void {
    if (this.#builtFor) {
      if (this.#builtFor.join() !== inputShape.join()) {
        throw new RangeError(`${this.name}: built for input shape [${this.#builtFor}], called with [${inputShape}]`);
      }
      return;
    }
    this.computeOutputShape(inputShape);
    // The initializers' temporaries go with the scope; addWeight keeps the weights.
    tidy(() => this.createWeights(inputShape, device));
    this.#builtFor = [...inputShape];
  }

  /** Subclasses with weights create them here, through {@link Layer.addWeight}. */
  protected createWeights(_inputShape: Shape, _device: Device): void {}

  /** Registers a weight; trainable ones require grad. The tensor is kept out of every tidy(). */
  protected addWeight(name: string, tensor: Tensor, trainable: boolean): Tensor {
    const t = keep(trainable && this.trainable ? tensor.setRequiresGrad() : tensor);
    this.#weights.push({ name, tensor: t, trainable });
    return t;
  }

  /** The weight called `name`. */
  protected weight(name: string): Tensor {
    const w = this.#weights.find((w) => w.name === name);
    if (!w) throw new Error(`${this.name}: has no weight '${name}' (is it built?)`);
    return w.tensor;
  }

  /** The layer's weights, in creation order. */
  get weights(): readonly Weight[] {
    return this.#weights;
  }

  /** Weights the optimizer updates. */
  get trainableWeights(): Tensor[] {
    return this.trainable ? this.#weights.filter((w) => w.trainable).map((w) => w.tensor) : [];
  }

  /** The number of weight elements. */
  countParams(): number {
    return this.#weights.reduce((n, w) => n + w.tensor.numel, 0);
  }

  /** Moves every weight to `device` (new tensors; the old ones are freed). */
  moveTo(device: Device): void {
    this.#weights = this.#weights.map((w) => {
      if (w.tensor.device === normalizeDevice(device)) return w;
      const moved = keep(w.tensor.detach().to(device));
      if (w.tensor.requiresGrad) moved.setRequiresGrad();
      w.tensor.dispose();
      return { ...w, tensor: moved };
    });
  }

  /** Frees the weights. */
  dispose(): void {
    for (const w of this.#weights) w.tensor.dispose();
    this.#weights = [];
    this.#builtFor = null;
  }
}

// The functional API's graph: symbolic tensors (a per-example shape and the call that made it),
// as Keras's KerasTensor. `input()` (input-layer.ts) starts a graph, `layer.apply(x)` extends it,
// and a Functional model (lib/model/functional.ts) runs it. Nothing is computed here.

/** One call of a layer on symbolic tensors (Keras's Node); a model input's has no inputs. */
export interface GraphNode {
  readonly layer: Layer;
  /** The symbolic tensors it was called on (one, or several for a merge layer). */
  readonly inputs: readonly SymbolicTensor[];
  /** Which call of `layer` this is (0 for its first; a shared layer has several). */
  readonly index: number;
}

/** A tensor of the functional API: a per-example shape, and the call that produces it. */
export class SymbolicTensor {
  /** The per-example shape, without the batch dim, as Keras writes it ([height, width, channels]). */
  readonly shape: Shape;
  /** The call that produced it. */
  readonly node: GraphNode;

  /** @internal Made by `input()` and {@link Layer.apply}. */
  constructor(shape: Shape, node: GraphNode) {
    this.shape = [...shape];
    this.node = node;
  }

  toString(): string {
    return `SymbolicTensor(shape=(None, ${this.shape.join(', ')}), from ${this.node.layer.name ?? this.node.layer.className})`;
  }
}

/** True for a symbolic tensor. */
export function isSymbolic(x: unknown): x is SymbolicTensor {
  return x instanceof SymbolicTensor;
}

/** Checks a count argument (filters, units): a positive integer. */
export function positiveInteger(owner: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new RangeError(`${owner}: ${what} must be a positive integer, got ${describeValue(value)}`);
  return value;
}

/** Checks dataFormat: inputs are [height, width, channels], Keras's default and the only layout. */
export function checkDataFormat(owner: string, value: unknown): void {
  if (value !== undefined && value !== 'channelsLast' && value !== 'channels_last') {
    throw new RangeError(
      `${owner}: only dataFormat 'channelsLast' is supported (inputs are [height, width, channels]), got ${describeValue(value)}`,
    );
  }
}

/** Checks a shape argument: positive integers. */
export function checkShape(owner: string, what: string, shape: unknown): Shape {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new RangeError(`${owner}: ${what} must be an array of positive integers, got ${describeValue(shape)}`);
  }
  return [...(shape as number[])];
}

/** Reads a Keras size argument: one positive integer, or a [height, width] pair. */
export function size2(owner: string, what: string, value: unknown): [number, number] {
  const pair = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new RangeError(`${owner}: ${what} must be a positive integer or a pair of them, got ${describeValue(value)}`);
  }
  return [pair[0] as number, pair[1] as number];
}

/** Throws unless `inputShape` has `rank` dims (per example). */
export function expectRank(layer: Layer, inputShape: Shape, rank: number, what: string): void {
  if (inputShape.length !== rank) {
    throw new RangeError(`${layer.name ?? layer.className}: expects ${what} (rank ${rank} per example), got input shape [${inputShape}]`);
  }
}

/** The options a Keras padding argument may take. */
export type Padding = 'valid' | 'same';

export function checkPadding(owner: string, padding: unknown): Padding {
  if (padding !== 'valid' && padding !== 'same') {
    throw new RangeError(`${owner}: padding must be 'valid' or 'same', got ${describeValue(padding)}`);
  }
  return padding;
}

/** Output length along one dim for 'valid' or 'same' padding, as Keras computes it (native/window.cc, beside the ops' own padding). */
export function convOutputLength(length: number, window: number, stride: number, padding: Padding, dilation = 1): number {
  return native.convOutputLength(length, window, stride, padding, dilation);
}
