// The functional API's graph: symbolic tensors (a per-example shape and the call that made it),
// as Keras's KerasTensor. `input()` (input-layer.ts) starts a graph, `layer.apply(x)` extends it,
// and a Functional model (lib/model/functional.ts) runs it. Nothing is computed here.
import type { Layer, Shape } from './layer.js';

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
