// Sequential.save for `.keras` files (keras-file.ts): Keras's Sequential config (an InputLayer,
// then each layer's config from the per-layer table, keras-layers.ts) and the weights in Keras's
// layouts, written as one zip, atomically. No compile settings are written.
import { dirname } from 'node:path';
import { writeKerasArchive, type KerasArray } from '../io/keras-archive.js';
import { makeDirectory } from '../io/make-directory.js';
import { tidy } from '../memory.js';
import { KERAS_FORMAT_VERSION, weightGroups } from './keras-file.js';
import { configToKeras, kerasLayerEntry, weightLayout } from './keras-layers.js';
import { expectPath, type ModelSnapshot } from './model-file.js';

/** Writes `snapshot` as a Keras 3 `.keras` file at `path`, atomically (no compile settings). */
export async function saveKerasFile(path: string, snapshot: ModelSnapshot): Promise<void> {
  expectPath('save', 'path', path);
  const { architecture, weights } = snapshot;
  const entries = architecture.layers.map(({ className, config }) => {
    const entry = kerasLayerEntry(className);
    if (!entry) throw new Error(`save: ${path}: layer '${String(config.name)}' (${className}) has no Keras form in a .keras file`);
    return entry;
  });
  const names = new Set(architecture.layers.map(({ config }) => config.name));
  let inputName = 'input_layer';
  for (let k = 1; names.has(inputName); k++) inputName = `input_layer_${k}`;
  const batchShape = [null, ...architecture.inputShape];
  const layers = [
    {
      module: 'keras.layers',
      class_name: 'InputLayer',
      config: { batch_shape: batchShape, dtype: 'float32', sparse: false, ragged: false, name: inputName },
      registered_name: null,
    },
    ...architecture.layers.map(({ className, config }, k) => ({
      module: 'keras.layers',
      class_name: className,
      config: configToKeras(entries[k], config),
      registered_name: null,
    })),
  ];
  const config = {
    module: 'keras',
    class_name: 'Sequential',
    config: { name: architecture.name, trainable: true, dtype: 'float32', layers, build_input_shape: batchShape },
    registered_name: null,
    build_config: { input_shape: batchShape },
  };
  const groups = weightGroups(architecture.layers.map(({ className }) => className));
  // Groups in creation order (parents first), with their attributes.
  const h5Groups = new Map<string, Record<string, string>>([['layers', {}]]);
  const arrays: [string, KerasArray][] = [];
  architecture.layers.forEach(({ config: layerConfig }, k) => {
    const layerName = String(layerConfig.name);
    // The layer's own group and its 'vars', as Keras writes them, and the groups down to where the entry keeps its variables.
    const variables = `${groups[k]}/${entries[k].variables ?? 'vars'}`;
    h5Groups.set(groups[k], {}).set(`${groups[k]}/vars`, { name: layerName });
    const parts = variables.split('/');
    for (let depth = 3; depth <= parts.length; depth++) {
      const group = parts.slice(0, depth).join('/');
      if (!h5Groups.has(group)) h5Groups.set(group, {});
    }
    weights
      .filter(([name]) => name.startsWith(`${layerName}/`))
      .forEach(([name, weight], i) => {
        const layout = weightLayout(entries[k], name.slice(layerName.length + 1));
        // Read now, before the write awaits: a later training step must not change what is saved.
        const keras = tidy(() => {
          const t = layout.toKeras(weight.detach(), layerConfig).contiguous();
          return { values: Float32Array.from(t.data()), shape: t.shape };
        });
        arrays.push([`${variables}/${i}`, keras]);
      });
  });
  h5Groups.set('vars', { name: architecture.name });
  const metadata = { keras_version: KERAS_FORMAT_VERSION, date_saved: new Date().toISOString(), saved_by: 'torchlet' };
  await makeDirectory(dirname(path), 'save');
  await writeKerasArchive('save', path, { metadata, config, groups: [...h5Groups], arrays });
}
