// Functional: a model from a graph of layer calls, Keras's `keras.Model(inputs, outputs)`. The
// graph is what `tl.input()` and `layer.apply()` recorded (lib/nn/symbolic.ts); this file orders
// its calls, builds the layers, runs the forward pass, and describes the graph for summary and
// save. The rest of the model API is the Model base's (model.ts).
import { tidy } from '../memory.js';
import { InputLayer } from '../nn/input-layer.js';
import { isSymbolic, type CallContext, type GraphNode, type Layer, type Shape, type SymbolicTensor } from '../nn/layer.js';
import type { Tensor } from '../tensor.js';
import { describeValue, expectString, readOptions } from '../arguments.js';
import { Model, activationOf, callBeforeActivation, nameLayer, type Architecture } from './model.js';
import type { OutputHead } from './compiled.js';
import type { SummaryRow } from './summary.js';

/** Arguments of {@link model}. */
export interface FunctionalArgs {
  /** The model's inputs, from `tl.input()`: one, or an array. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** Its outputs, from `layer.apply()`: one, or an array. */
  outputs: SymbolicTensor | SymbolicTensor[];
  /** Default 'functional'. */
  name?: string;
}

/** A layer call's place in a saved graph: [layer name, call index] (Keras's keras_history, less the tensor index). */
export type NodeRef = [string, number];

/** A model built from a graph of layer calls: several inputs and outputs, shared layers, merges. */
export class Functional<Output extends Tensor | Tensor[] = Tensor | Tensor[]> extends Model<Output> {
  readonly #inputs: SymbolicTensor[];
  readonly #outputs: SymbolicTensor[];
  /** Every call, inputs first, each after the calls it reads. */
  readonly #nodes: GraphNode[];
  /** How many calls read each call's output, the model's outputs counting as one read each. */
  readonly #readers = new Map<GraphNode, number>();
  readonly #layers: Layer[];
  // Whether inputs and outputs were given as arrays: predict then gives an array, as Keras does.
  readonly #lists: { inputs: boolean; outputs: boolean };
  /** Each call's per-example output shape, once built. */
  #shapes: Map<GraphNode, Shape> | null = null;

  constructor(args: FunctionalArgs) {
    const given = readOptions<FunctionalArgs>('model', args, ['inputs', 'outputs', 'name'], 'arguments');
    super(expectString('model', 'name', given.name ?? 'functional'));
    this.#inputs = symbols('inputs', given.inputs);
    this.#outputs = symbols('outputs', given.outputs);
    this.#lists = { inputs: Array.isArray(given.inputs), outputs: Array.isArray(given.outputs) };
    this.#inputs.forEach((x, k) => {
      if (!(x.node.layer instanceof InputLayer)) throw new TypeError(`model: inputs[${k}] is not a model input: make it with tl.input()`);
      if (this.#inputs.indexOf(x) !== k) throw new RangeError(`model: inputs[${k}] is given twice`);
    });
    ({ nodes: this.#nodes, layers: this.#layers } = mapGraph(this.#inputs, this.#outputs));
    const reads = [...this.#nodes.flatMap((node) => node.inputs), ...this.#outputs];
    for (const x of reads) this.#readers.set(x.node, (this.#readers.get(x.node) ?? 0) + 1);
    // Named layers keep their names (which must differ); the others are numbered past them in the
    // order they were made, as Keras names them.
    const taken = new Set<string | undefined>();
    for (const layer of this.#layers.filter((l) => l.name !== undefined)) nameLayer('model', layer, taken);
    const unnamed = this.#layers.filter((l) => l.name === undefined).sort((a, b) => a.serial - b.serial);
    for (const layer of unnamed) nameLayer('model', layer, taken);
  }

  /** The model's inputs, as given. */
  get inputs(): readonly SymbolicTensor[] {
    return this.#inputs;
  }

  /** The model's outputs, as given. */
  get outputs(): readonly SymbolicTensor[] {
    return this.#outputs;
  }

  get layers(): readonly Layer[] {
    return this.#layers;
  }

  /** The per-example input shape (of a model with one input; undefined with several). */
  get inputShape(): Shape | undefined {
    return this.#inputs.length === 1 ? this.#inputs[0].shape : undefined;
  }

  /** Each input's per-example shape. */
  get inputShapes(): Shape[] {
    return this.#inputs.map((x) => x.shape);
  }

  /** The per-example output shape (of a model with one output; see outputShapes). */
  get outputShape(): Shape {
    if (this.#outputs.length !== 1)
      throw new RangeError(`${this.name}.outputShape: the model has ${this.#outputs.length} outputs; read outputShapes`);
    return this.#outputs[0].shape;
  }

  /** Each output's per-example shape. */
  get outputShapes(): Shape[] {
    return this.#outputs.map((x) => x.shape);
  }

  /** @internal */
  get takesInputList(): boolean {
    return this.#lists.inputs;
  }

  /** @internal */
  get givesOutputList(): boolean {
    return this.#lists.outputs;
  }

  get built(): boolean {
    return this.#shapes !== null;
  }

  /** Builds every layer; a shape, if given, must be the input's. */
  build(shape?: Shape): void {
    this.requireLive('build');
    if (shape !== undefined && (this.#inputs.length !== 1 || shape.join() !== this.#inputs[0].shape.join()))
      throw new RangeError(`${this.name}: expected input shape ${this.describeInputs()}, got [None, ${describeValue(shape)}]`);
    if (this.#shapes) return;
    const shapes = new Map<GraphNode, Shape>();
    for (const node of this.#nodes) {
      const inputShapes = node.inputs.map((x) => shapes.get(x.node)!);
      if (node.inputs.length === 0) shapes.set(node, node.layer.outputShapeOf([(node.layer as InputLayer).shape]));
      else {
        node.layer.buildOn(inputShapes, this.device);
        shapes.set(node, node.layer.outputShapeOf(inputShapes));
      }
    }
    this.#shapes = shapes;
    this.rebindOptimizer();
  }

  /**
   * @internal The forward pass on one batch per input, in the internal layout; its outputs in the
   * order of the model's. Each call's output is freed once the last call that reads it has run.
   */
  forwardAll(inputs: Tensor[], ctx: CallContext, preActivation: boolean[] = []): Tensor[] {
    const readers = this.#readers;
    // Reads left per tensor (an output's read never comes), as a call may return its input (Dropout in inference) and two calls then share one.
    const pending = new Map<Tensor, number>();
    const values = new Map<GraphNode, Tensor>();
    const store = (node: GraphNode, value: Tensor) => {
      values.set(node, value);
      pending.set(value, (pending.get(value) ?? 0) + (readers.get(node) ?? 0));
    };
    this.#inputs.forEach((x, k) => store(x.node, inputs[k]));
    // The output calls that stop before their activation, for the fused softmax + cross-entropy.
    // (An output read by another call too, or given twice, is not a loss's alone: it keeps its activation.)
    const early = new Set(this.#outputs.filter((x, k) => preActivation[k] && readers.get(x.node) === 1).map((x) => x.node));
    for (const node of this.#nodes) {
      if (node.inputs.length === 0) continue;
      const args = node.inputs.map((x) => values.get(x.node)!);
      const before = early.has(node);
      // As in Sequential.forward: each call's temporaries go as soon as it returns.
      store(
        node,
        tidy(() => (before ? callBeforeActivation(node.layer, args[0]) : node.layer.callOn(args, ctx))),
      );
      for (const value of args) {
        const left = pending.get(value)! - 1;
        pending.set(value, left);
        if (left === 0 && !inputs.includes(value)) value.dispose();
      }
    }
    return this.#outputs.map((x) => values.get(x.node)!);
  }

  outputHeads(): OutputHead[] {
    return this.#outputs.map((x) => ({ name: x.node.layer.name!, activation: activationOf(x.node.layer) }));
  }

  protected summaryRows(): SummaryRow[] {
    const shapes = this.#shapes!;
    return this.#layers.map((layer) => {
      const nodes = this.#callsOf(layer);
      return {
        layer,
        outputShape: shapes.get(nodes[0])!,
        connectedTo: nodes.flatMap((node) => node.inputs.map((x) => `${x.node.layer.name}[${x.node.index}][0]`)),
      };
    });
  }

  protected architecture(): Architecture {
    // Call indices count this model's calls of a layer only (a layer may be called in other models too).
    const ref = (x: SymbolicTensor): NodeRef => [x.node.layer.name!, this.#callsOf(x.node.layer).indexOf(x.node)];
    return {
      className: 'Functional',
      layers: this.#layers.map((layer) => ({
        className: layer.className,
        config: layer.getConfig(),
        inboundNodes: this.#callsOf(layer)
          .filter((node) => node.inputs.length > 0)
          .map((node) => node.inputs.map(ref)),
      })),
      // As Keras writes them: one reference for a model given one tensor, else a list.
      inputLayers: this.#lists.inputs ? this.#inputs.map(ref) : ref(this.#inputs[0]),
      outputLayers: this.#lists.outputs ? this.#outputs.map(ref) : ref(this.#outputs[0]),
    };
  }

  /** @internal Each call's per-example output shape, by `${layer name}/${call index}` as architecture() numbers calls. */
  override callShapes(): Map<string, Shape> {
    this.ensureBuilt();
    const shapes = new Map<string, Shape>();
    for (const layer of this.#layers) this.#callsOf(layer).forEach((node, k) => shapes.set(`${layer.name}/${k}`, this.#shapes!.get(node)!));
    return shapes;
  }

  // This model's calls of `layer`, in call order (a layer may be called in other models too).
  #callsOf(layer: Layer): GraphNode[] {
    return layer.nodes.filter((node) => this.#nodes.includes(node));
  }

  protected forgetShapes(): void {
    this.#shapes = null;
  }

  private describeInputs(): string {
    return this.#inputs.map((x) => `[None, ${x.shape}]`).join(', ');
  }
}

// One symbolic tensor or a non-empty array of them, copied.
function symbols(what: string, value: unknown): SymbolicTensor[] {
  const list: unknown[] = Array.isArray(value) ? [...(value as unknown[])] : [value];
  if (list.length === 0 || !list.every(isSymbolic)) {
    throw new TypeError(
      `model: ${what} must be a symbolic tensor (from tl.input() or layer.apply()) or an array of them, got ${describeValue(value)}`,
    );
  }
  return list;
}

// The calls that the outputs depend on, each after the calls it reads, and the layers in Keras's
// order (map_graph in keras/src/ops/function.py): a depth-first walk from the outputs numbers the
// layers as it meets them; a call's depth is its longest path to an output, a layer's the
// greatest of its calls'; layers go deepest first, then by that number. Every call must lead
// back to the model's inputs; an input no output uses is kept, as Keras keeps it.
function mapGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): { nodes: GraphNode[]; layers: Layer[] } {
  const nodes: GraphNode[] = [];
  const finished = new Set<GraphNode>();
  const met = new Map<Layer, number>();
  const visit = (node: GraphNode): void => {
    if (finished.has(node)) return;
    if (node.inputs.length === 0 && !inputs.some((x) => x.node === node)) {
      throw new RangeError(
        `model: the outputs depend on the input '${node.layer.name ?? '(unnamed)'}' of shape [None, ${(node.layer as InputLayer).shape}], which is not among the model's inputs`,
      );
    }
    if (!met.has(node.layer)) met.set(node.layer, met.size);
    // Recursion: graphs are as deep as their layer calls, hundreds at most.
    for (const x of node.inputs) visit(x.node);
    finished.add(node);
    nodes.push(node);
  };
  for (const x of outputs) visit(x.node);
  const nodeDepth = new Map<GraphNode, number>();
  const layerDepth = new Map<Layer, number>();
  for (const node of [...nodes].reverse()) {
    const depth = Math.max(nodeDepth.get(node) ?? 0, layerDepth.get(node.layer) ?? 0);
    layerDepth.set(node.layer, depth);
    nodeDepth.set(node, depth);
    for (const x of node.inputs) nodeDepth.set(x.node, Math.max(depth + 1, nodeDepth.get(x.node) ?? 0));
  }
  for (const x of inputs) {
    if (layerDepth.has(x.node.layer)) continue;
    layerDepth.set(x.node.layer, 0);
    met.set(x.node.layer, -1);
    nodes.unshift(x.node);
  }
  const layers = [...layerDepth.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || met.get(a)! - met.get(b)!);
  return { nodes, layers };
}

/**
 * Creates a {@link Functional} model: `tl.model({ inputs, outputs })`, as Keras's
 * `keras.Model(inputs, outputs)`. Given an array of outputs, it predicts an array.
 */
export function model(args: FunctionalArgs & { outputs: SymbolicTensor }): Functional<Tensor>;
export function model(args: FunctionalArgs & { outputs: SymbolicTensor[] }): Functional<Tensor[]>;
export function model(args: FunctionalArgs): Functional;
export function model(args: FunctionalArgs): Functional {
  return new Functional(args);
}
