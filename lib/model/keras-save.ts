// Model.save for `.keras` files (keras-file.ts): Keras's Sequential config (an InputLayer, then
// each layer's config from the per-layer table, keras-layers.ts) or Functional config (every layer
// with its calls, as Keras's inbound_nodes), and the weights in Keras's layouts, written as one
// zip, atomically. No compile settings are written.
import { dirname } from 'node:path';
import { writeKerasArchive, type KerasArray } from '../io/keras-archive.js';
import { makeDirectory } from '../io/make-directory.js';
import { tidy } from '../memory.js';
import { ownEntry } from '../arguments.js';
import { LAYER_CLASSES } from '../nn/index.js';
import type { Layer, Shape } from '../nn/layer.js';
import { Merge } from '../nn/merge.js';
import { KERAS_FORMAT_VERSION, weightGroups } from './keras-file.js';
import { configToKeras, kerasLayerEntry, weightLayout, type KerasLayerEntry } from './keras-layers.js';
import { expectPath, type ModelSnapshot, type SavedModel } from './model-file.js';

type Architecture = ModelSnapshot['architecture'];
type Ref = [string, number];

/**
 * Writes `snapshot` as a Keras 3 `.keras` file at `path`, atomically (no compile settings). A
 * functional model's snapshot comes with `callShapes`, each call's output shape by `${layer}/${call}`.
 */
export async function saveKerasFile(path: string, snapshot: ModelSnapshot, callShapes?: Map<string, Shape>): Promise<void> {
  expectPath('save', 'path', path);
  const { architecture, weights } = snapshot;
  // Every layer but a functional model's inputs goes through the table.
  const entries = architecture.layers.map(({ className, config }) => {
    if (className === 'InputLayer') return null;
    const entry = kerasLayerEntry(className);
    if (!entry) throw new Error(`save: ${path}: layer '${String(config.name)}' (${className}) has no Keras form in a .keras file`);
    return entry;
  });
  const config =
    architecture.className === 'Functional'
      ? functionalConfig(architecture, entries, callShapes ?? new Map<string, Shape>())
      : sequentialConfig(architecture, entries as KerasLayerEntry[]);
  const { groups, arrays } = kerasWeights(architecture, entries, weights);
  const metadata = { keras_version: KERAS_FORMAT_VERSION, date_saved: new Date().toISOString(), saved_by: 'torchlet' };
  await makeDirectory(dirname(path), 'save');
  await writeKerasArchive('save', path, { metadata, config, groups, arrays });
}

// A layer of Keras's config, from the table.
function layerConfig(className: string, config: Record<string, unknown>, entry: KerasLayerEntry | null): Record<string, unknown> {
  return {
    module: 'keras.layers',
    class_name: className,
    config: entry ? configToKeras(entry, config) : inputLayerConfig(String(config.name), config.shape as Shape),
    registered_name: null,
  };
}

function inputLayerConfig(name: string, shape: Shape): Record<string, unknown> {
  return { batch_shape: [null, ...shape], dtype: 'float32', sparse: false, ragged: false, name, optional: false };
}

function sequentialConfig(architecture: Architecture, entries: KerasLayerEntry[]): Record<string, unknown> {
  const names = new Set(architecture.layers.map(({ config }) => config.name));
  let inputName = 'input_layer';
  for (let k = 1; names.has(inputName); k++) inputName = `input_layer_${k}`;
  const batchShape = [null, ...architecture.inputShape!];
  const layers = [
    {
      module: 'keras.layers',
      class_name: 'InputLayer',
      config: inputLayerConfig(inputName, architecture.inputShape!),
      registered_name: null,
    },
    ...architecture.layers.map(({ className, config }, k) => layerConfig(className, config, entries[k])),
  ];
  return {
    module: 'keras',
    class_name: 'Sequential',
    config: { name: architecture.name, trainable: true, dtype: 'float32', layers, build_input_shape: batchShape },
    registered_name: null,
    build_config: { input_shape: batchShape },
  };
}

// Keras's Functional config: each layer with its name and calls (inbound_nodes: a merge layer's
// call takes a list of tensors, any other's one), and the inputs and outputs as keras_history triples.
function functionalConfig(
  architecture: Architecture,
  entries: (KerasLayerEntry | null)[],
  callShapes: Map<string, Shape>,
): Record<string, unknown> {
  const tensor = ([name, call]: Ref) => ({
    class_name: '__keras_tensor__',
    config: { shape: [null, ...(callShapes.get(`${name}/${call}`) ?? [])], dtype: 'float32', keras_history: [name, call, 0] },
  });
  const layers = architecture.layers.map(({ className, config, inboundNodes }, k) => ({
    ...layerConfig(className, config, entries[k]),
    name: config.name,
    inbound_nodes: (inboundNodes ?? []).map((refs) => ({
      args: [isMerge(className) ? refs.map(tensor) : tensor(refs[0])],
      kwargs: {},
    })),
  }));
  const triples = (refs: SavedModel['inputLayers']) => {
    const one = typeof refs![0] === 'string';
    const list = (one ? [refs] : refs) as Ref[];
    const out = list.map(([name, call]) => [name, call, 0]);
    return one ? out[0] : out;
  };
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: architecture.name,
      trainable: true,
      layers,
      input_layers: triples(architecture.inputLayers),
      output_layers: triples(architecture.outputLayers),
    },
    registered_name: 'Functional',
    build_config: { input_shape: null },
  };
}

// Keras's merge layers take their inputs as one list: torchlet's Merge subclasses.
function isMerge(className: string): boolean {
  return ownEntry<new (args: never) => Layer>(LAYER_CLASSES, className)?.prototype instanceof Merge;
}

// The weights file's groups (with their attributes) and arrays: layers/<class, numbered>/vars/<k>,
// in Keras's layouts.
function kerasWeights(
  architecture: Architecture,
  entries: (KerasLayerEntry | null)[],
  weights: ModelSnapshot['weights'],
): { groups: [string, Record<string, string>][]; arrays: [string, KerasArray][] } {
  const groups = weightGroups(architecture.layers.map(({ className }) => className));
  // Groups in creation order (parents first), with their attributes.
  const h5Groups = new Map<string, Record<string, string>>([['layers', {}]]);
  const arrays: [string, KerasArray][] = [];
  architecture.layers.forEach(({ config: layerConfig }, k) => {
    const layerName = String(layerConfig.name);
    const entry = entries[k];
    // The layer's own group and its 'vars', as Keras writes them, and the groups down to where the entry keeps its variables.
    const variables = `${groups[k]}/${entry?.variables ?? 'vars'}`;
    h5Groups.set(groups[k], {}).set(`${groups[k]}/vars`, { name: layerName });
    const parts = variables.split('/');
    for (let depth = 3; depth <= parts.length; depth++) {
      const group = parts.slice(0, depth).join('/');
      if (!h5Groups.has(group)) h5Groups.set(group, {});
    }
    if (!entry) return;
    weights
      .filter(([name]) => name.startsWith(`${layerName}/`))
      .forEach(([name, weight], i) => {
        const layout = weightLayout(entry, name.slice(layerName.length + 1));
        // Read now, before the write awaits: a later training step must not change what is saved.
        const keras = tidy(() => {
          const t = layout.toKeras(weight.detach(), layerConfig).contiguous();
          return { values: Float32Array.from(t.data()), shape: t.shape };
        });
        arrays.push([`${variables}/${i}`, keras]);
      });
  });
  h5Groups.set('vars', { name: architecture.name });
  return { groups: [...h5Groups], arrays };
}
