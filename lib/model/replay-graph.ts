// A functional model rebuilt from a saved graph (model.json's, or a .keras file's converted to it):
// each layer's calls are replayed once the calls they read have been, then the model is made from
// the saved inputs and outputs.
import { describeValue } from '../arguments.js';
import { InputLayer } from '../nn/input-layer.js';
import type { Layer, SymbolicTensor } from '../nn/layer.js';
import { Functional } from './functional.js';

/** A saved graph: each layer's calls (what each reads, as [layer name, call index]), the inputs and outputs. */
export interface SavedGraph {
  name: string;
  layers: { inboundNodes?: unknown }[];
  inputLayers?: unknown;
  outputLayers?: unknown;
}

/**
 * The Functional of `saved`, whose layers are `layers` (made from its configs, in order). A layer
 * shared at several depths may wait for a later one's calls. `fail` makes the error for a problem.
 */
export function replayGraph(saved: SavedGraph, layers: Layer[], fail: (what: string) => Error): Functional {
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  if (byName.size !== layers.length || layers.some((layer) => layer.name === undefined))
    throw fail('every layer of a functional model needs a name of its own');
  const outputs = new Map<string, SymbolicTensor>(); // by `${name}/${call}`
  const key = (ref: unknown): string => {
    if (!Array.isArray(ref) || ref.length !== 2 || typeof ref[0] !== 'string' || !Number.isSafeInteger(ref[1]))
      throw fail(`a call's reference must be [layer name, call index], got ${describeValue(ref)}`);
    if (!byName.has(ref[0])) throw fail(`a call reads the layer '${ref[0]}', which the model does not have`);
    return `${ref[0]}/${ref[1]}`;
  };
  const pending: { layer: Layer; inputs: string[] }[] = [];
  saved.layers.forEach((entry, k) => {
    const layer = layers[k];
    if (layer instanceof InputLayer) {
      outputs.set(`${layer.name}/0`, layer.output());
      return;
    }
    const calls: unknown = entry.inboundNodes;
    if (!Array.isArray(calls)) throw fail(`layer '${layer.name}' has no list of calls (inboundNodes)`);
    for (const call of calls as unknown[]) {
      if (!Array.isArray(call) || call.length === 0) throw fail(`layer '${layer.name}' has a call that reads nothing`);
      if (!layer.takesList && call.length !== 1)
        throw fail(`layer '${layer.name}' (${layer.className}) takes one input, but a call reads ${call.length}`);
      pending.push({ layer, inputs: (call as unknown[]).map(key) });
    }
  });
  while (pending.length > 0) {
    // A layer's calls in their saved order, so that each gets its saved index.
    const ready = pending.findIndex(
      (call) => call.inputs.every((name) => outputs.has(name)) && pending.find(({ layer }) => layer === call.layer) === call,
    );
    if (ready < 0) throw fail(`the calls of ${pending.map(({ layer }) => `'${layer.name}'`).join(', ')} read outputs that no call makes`);
    const [{ layer, inputs }] = pending.splice(ready, 1);
    const args = inputs.map((name) => outputs.get(name)!);
    outputs.set(`${layer.name}/${layer.nodes.length}`, layer.apply(layer.takesList ? args : args[0]));
  }
  // One [layer name, call index] (a model given one tensor), or a non-empty list of them.
  const refs = (list: unknown, what: string): SymbolicTensor | SymbolicTensor[] => {
    if (!Array.isArray(list) || list.length === 0) throw fail(`${what} must be [layer name, call index] or a non-empty list of them`);
    const one = typeof list[0] === 'string';
    const found = (one ? [list] : (list as unknown[])).map((ref) => {
      const tensor = outputs.get(key(ref));
      if (!tensor) throw fail(`${what} names ${describeValue(ref)}, which no call makes`);
      return tensor;
    });
    return one ? found[0] : found;
  };
  return new Functional({
    name: saved.name,
    inputs: refs(saved.inputLayers, 'inputLayers'),
    outputs: refs(saved.outputLayers, 'outputLayers'),
  });
}
