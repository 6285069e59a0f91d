// Keras 3 `.keras` files both ways, against Keras itself: files Keras wrote
// (scripts/keras-reference/keras_files.py) load and predict as Keras did; files torchlet writes
// open in keras.saving.load_model (scripts/keras-predict.py, one Python run for all) and predict as
// torchlet does; and damaged or unsupported files are clear errors naming the file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import h5wasm from 'h5wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { readKerasArchive } from '../../lib/io/keras-archive.js';
import { DENSE_KERNEL, KERAS_LAYERS } from '../../lib/model/keras-layers.js';
import { expectClose, loadKerasReference, refData, refTensor, type RefValue } from '../helpers/reference.js';

const ROOT = join(import.meta.dirname, '..', '..');
const KERAS_PYTHON = process.env.TORCHLET_KERAS_PYTHON ?? join(ROOT, '.venv-keras', 'bin', 'python');
const { layers } = tl;

const ref = loadKerasReference('keras_files') as unknown as Record<string, { file: RefValue; x?: RefValue; y?: RefValue }>;
// Keras's functional models: a list of inputs and of outputs each.
const functionalRef = ref as unknown as Record<string, { file: RefValue; x: RefValue[]; y: RefValue[] }>;
const dir = mkdtempSync(join(tmpdir(), 'torchlet-keras-file-'));
const fileBytes = (name: string): Uint8Array => refData(ref[name].file) as Uint8Array;
// A fixture's .keras file on disk, as Keras wrote it (or changed by `edit`).
function kerasFile(name: string, bytes: Uint8Array = fileBytes(name), as = name): string {
  const path = join(dir, `${as}.keras`);
  writeFileSync(path, bytes);
  return path;
}
const valuesOf = (t: tl.Tensor): number[] => Array.from(t.data());

describe('loading .keras files that Keras wrote', () => {
  for (const name of ['reference_cnn', 'image_layers', 'global_average', 'sequence_layers', 'recurrent_layers', 'transposed']) {
    it(`${name} predicts as Keras did`, async () => {
      const model = await tl.loadModel(kerasFile(name));
      expect(model.compiled).toBe(false);
      expectClose(await model.predict(refTensor(ref[name].x!)), ref[name].y!, { atol: 1e-5, rtol: 1e-4 });
      model.dispose();
    });
  }

  for (const name of ['two_in_two_out', 'resnet20']) {
    it(`functional ${name} predicts as Keras did`, async () => {
      const model = await tl.loadModel<tl.Tensor[]>(kerasFile(name));
      expect(model).toBeInstanceOf(tl.Functional);
      const xs = functionalRef[name].x.map((x) => refTensor(x));
      const got = await model.predict(xs.length === 1 ? xs[0] : xs);
      const outputs = Array.isArray(got) ? got : [got];
      expect(outputs.length).toBe(functionalRef[name].y.length);
      outputs.forEach((output, k) => expectClose(output, functionalRef[name].y[k], { atol: 1e-5, rtol: 1e-4 }));
      model.dispose();
    });
  }

  it("keeps Keras's layer names and classes (the reference CNN: 361,034 parameters)", async () => {
    const model = await tl.loadModel(kerasFile('reference_cnn'));
    expect(model.layers.map((l) => l.className)).toEqual(tl.referenceCnn().layers.map((l) => l.className));
    expect(model.layers.map((l) => l.name)).toContain('conv2d_2');
    expect(model.countParams()).toBe(361_034);
    const images = await tl.loadModel(kerasFile('image_layers'));
    expect(images.layers.map((l) => l.name)).toContain('first_conv');
    expect(images.layers.map((l) => l.name)).toContain('sep');
  });

  it("skips a compiled Keras model's compile settings and optimizer state: it loads uncompiled", async () => {
    const files = unzipSync(fileBytes('reference_cnn'));
    expect(JSON.parse(strFromU8(files['config.json'])).compile_config.optimizer.class_name).toBe('Adam');
    const model = await tl.loadModel(kerasFile('reference_cnn'));
    expect(model.compiled).toBe(false);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const logs = await model.trainOnBatch(refTensor(ref.reference_cnn.x!), tl.tensor(new BigInt64Array([0n, 1n, 2n, 3n])));
    expect(Number.isFinite(logs.loss)).toBe(true);
  });
});

// Models built in torchlet, with random weights (batch norm's statistics too) and a batch each (one per input).
function torchletModels(): Record<string, { model: tl.Model<tl.Tensor | tl.Tensor[]>; x: tl.Tensor | tl.Tensor[] }> {
  tl.manualSeed(3);
  const images = tl.sequential([
    layers.rescaling({ scale: 1 / 127.5, offset: -1, inputShape: [10, 9, 3] }),
    layers.zeroPadding2d({ padding: 1 }),
    layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: [1, 2], padding: 'same', activation: 'relu' }),
    layers.batchNormalization({ momentum: 0.9 }),
    layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 3, activation: 'tanh' }),
    layers.separableConv2d({ filters: 6, kernelSize: 2, depthMultiplier: 2, padding: 'same' }),
    layers.reLU({ maxValue: 1.5, negativeSlope: 0.1 }),
    layers.layerNormalization({ axis: [1, 2], epsilon: 1e-5 }),
    layers.upSampling2d({ size: 2, interpolation: 'bilinear' }),
    layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
    layers.maxPooling2d({ poolSize: 2, strides: 1 }),
    layers.conv2d({ filters: 6, kernelSize: 1, groups: 2, useBias: false, activation: 'gelu' }),
    layers.permute({ dims: [2, 1, 3] }),
    layers.dropout({ rate: 0.5 }),
    layers.globalAveragePooling2d({ keepdims: true }),
    layers.flatten(),
    layers.dense({ units: 4, activation: 'leakyRelu' }),
    layers.activation({ activation: 'sigmoid' }),
    layers.dense({ units: 3 }),
    layers.softmax(),
  ]);
  const pooled = tl.sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, activation: 'elu', inputShape: [6, 6, 2] }),
    layers.globalMaxPooling2d(),
    layers.batchNormalization({ center: false }),
    layers.reshape({ targetShape: [3, 1] }),
    layers.dense({ units: 2, activation: 'softplus' }),
  ]);
  const sequences = tl.sequential([
    layers.embedding({ inputDim: 11, outputDim: 4, inputShape: [8] }),
    layers.conv1d({ filters: 6, kernelSize: 3, padding: 'causal', dilationRate: 2, groups: 2, activation: 'selu' }),
    layers.conv1d({ filters: 3, kernelSize: 2, strides: 2 }),
    layers.layerNormalization({ scale: false }),
    layers.flatten(),
    layers.dense({ units: 2, activation: 'logSoftmax' }),
  ]);
  const image = tl.input({ shape: [6, 6, 2], name: 'image' });
  const side = tl.input({ shape: [3], name: 'side' });
  const shared = layers.dense({ units: 3, activation: 'tanh' });
  const pooledImage = layers.globalMaxPooling2d().apply(layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(image));
  const joined = layers.concatenate([shared.apply(pooledImage), shared.apply(side)]);
  const twoHeads = tl.model({
    inputs: [image, side],
    outputs: [
      layers.dense({ units: 2, activation: 'softmax', name: 'label' }).apply(joined),
      layers
        .dense({ units: 1, name: 'score' })
        .apply(layers.maximum([shared.apply(side), layers.multiply([shared.apply(pooledImage), shared.apply(side)])])),
    ],
  });
  const recurrent = tl.sequential([
    layers.lstm({ units: 4, returnSequences: true, inputShape: [6, 3] }),
    layers.gru({ units: 3, goBackwards: true }),
    layers.dense({ units: 2 }),
  ]);
  const transposed = tl.sequential([
    layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [4, 4, 2] }),
    layers.flatten(),
    layers.dense({ units: 2 }),
  ]);
  const models = {
    reference_cnn: tl.referenceCnn(),
    images,
    pooled,
    sequences,
    resnet20: tl.resnet20(),
    two_heads: twoHeads,
    recurrent,
    transposed,
  };
  for (const model of Object.values(models)) {
    model.build();
    for (const [name, w] of model.namedWeights()) {
      const random = tl.randn(w.shape).mul(0.4);
      w.assign(name.endsWith('moving_variance') ? random.abs().add(0.5) : random);
    }
  }
  return {
    reference_cnn: { model: models.reference_cnn, x: tl.rand([3, 32, 32, 3]) },
    images: { model: images, x: tl.rand([3, 10, 9, 3]).mul(255) },
    pooled: { model: pooled, x: tl.randn([3, 6, 6, 2]) },
    sequences: { model: sequences, x: tl.randint(0, 11, [3, 8]).to('float32') },
    resnet20: { model: models.resnet20, x: tl.rand([3, 32, 32, 3]) },
    two_heads: { model: twoHeads, x: [tl.randn([3, 6, 6, 2]), tl.randn([3, 3])] },
    recurrent: { model: recurrent, x: tl.randn([3, 6, 3]) },
    transposed: { model: transposed, x: tl.randn([3, 4, 4, 2]) },
  };
}

describe('saving .keras files that Keras loads', () => {
  const cases = torchletModels();
  const keras: Record<string, { y?: RefValue | RefValue[]; layers?: string[]; error: string | null }> = {};

  beforeAll(async () => {
    const models: { path: string; x: RefValue | RefValue[] }[] = [];
    const encode = (t: tl.Tensor): RefValue => {
      const data = t.contiguous().data();
      return { dtype: 'float32', shape: t.shape, base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
    };
    for (const [name, { model, x }] of Object.entries(cases)) {
      const path = join(dir, 'saved', `${name}.keras`);
      await model.save(path);
      models.push({ path, x: Array.isArray(x) ? x.map(encode) : encode(x) });
    }
    const job = join(dir, 'job.json');
    const out = join(dir, 'keras-predictions.json');
    writeFileSync(job, JSON.stringify({ models }));
    // Keras runs without the sanitizer runtimes that test:sanitize preloads for the addon.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS'].includes(key)),
    );
    execFileSync(KERAS_PYTHON, [join(ROOT, 'scripts', 'keras-predict.py'), job, out], { stdio: ['ignore', 'ignore', 'inherit'], env });
    const { predictions } = JSON.parse(readFileSync(out, 'utf8')) as { predictions: (typeof keras)[string][] };
    Object.keys(cases).forEach((name, k) => (keras[name] = predictions[k]));
  }, 300_000);

  for (const name of ['reference_cnn', 'images', 'pooled', 'sequences', 'resnet20', 'two_heads', 'recurrent', 'transposed']) {
    it(`${name}: Keras opens it and predicts as torchlet does`, async () => {
      const { model, x } = cases[name];
      expect(keras[name].error).toBeNull();
      expect(keras[name].layers).toEqual(model.layers.map((l) => l.className));
      const got = await model.predict(x);
      const want = keras[name].y!;
      if (Array.isArray(got)) got.forEach((output, k) => expectClose(output, (want as RefValue[])[k], { atol: 1e-5, rtol: 1e-4 }));
      else expectClose(got, want, { atol: 1e-5, rtol: 1e-4 });
    });

    it(`${name}: loads back into torchlet with the same weights and predictions`, async () => {
      const { model, x } = cases[name];
      const loaded = await tl.loadModel(join(dir, 'saved', `${name}.keras`));
      expect(loaded.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
      const original = model.namedWeights();
      loaded.namedWeights().forEach(([wname, w], k) => {
        expect(wname).toBe(original[k][0]);
        expect(valuesOf(w)).toEqual(valuesOf(original[k][1].contiguous()));
      });
      const [before, after] = [await model.predict(x), await loaded.predict(x)];
      const list = (y: tl.Tensor | tl.Tensor[]) => (Array.isArray(y) ? y : [y]);
      expect(list(after).map(valuesOf)).toEqual(list(before).map(valuesOf));
      loaded.dispose();
    });
  }

  it('writes a zip of metadata.json, config.json and model.weights.h5, with no compile settings', () => {
    const files = unzipSync(readFileSync(join(dir, 'saved', 'reference_cnn.keras')));
    expect(Object.keys(files).sort()).toEqual(['config.json', 'metadata.json', 'model.weights.h5']);
    const config = JSON.parse(strFromU8(files['config.json']));
    expect(config.class_name).toBe('Sequential');
    expect(config.compile_config).toBeUndefined();
    expect(config.config.layers[0]).toMatchObject({ class_name: 'InputLayer', config: { batch_shape: [null, 32, 32, 3] } });
  });
});

// The parts of config.json the tests below change.
interface KerasConfig {
  class_name: string;
  build_config?: unknown;
  config: { layers: { class_name: string; config: Record<string, unknown> }[]; build_input_shape?: unknown };
}

describe('.keras files torchlet cannot load are clear errors naming the file', () => {
  const parts = (): Record<string, Uint8Array> => unzipSync(fileBytes('reference_cnn'));
  const withConfig = (edit: (config: KerasConfig) => void): Uint8Array => {
    const files = parts();
    const config = JSON.parse(strFromU8(files['config.json'])) as KerasConfig;
    edit(config);
    files['config.json'] = strToU8(JSON.stringify(config));
    return zipSync(files, { level: 0 });
  };

  it('names an unsupported layer by class and name', async () => {
    const path = kerasFile('unsupported');
    await expect(tl.loadModel(path)).rejects.toThrow(new RegExp(`${path}.*'cropping2d'.*Cropping2D.*not supported`));
  });

  it('names an unsupported model class or option', async () => {
    const functional = kerasFile(
      'x',
      withConfig((c) => (c.class_name = 'MyModel')),
      'subclassed',
    );
    await expect(tl.loadModel(functional)).rejects.toThrow(new RegExp(`${functional}.*'MyModel' is not supported`));
    const regularized = kerasFile(
      'x',
      withConfig((c) => (c.config.layers[1].config.kernel_regularizer = { class_name: 'L2' })),
      'l2',
    );
    await expect(tl.loadModel(regularized)).rejects.toThrow(/'conv2d' \(Conv2D\): option 'kernel_regularizer' must be null/);
    const channelsFirst = kerasFile(
      'x',
      withConfig((c) => (c.config.layers[1].config.data_format = 'channels_first')),
      'nchw',
    );
    await expect(tl.loadModel(channelsFirst)).rejects.toThrow(/option 'data_format' must be "channels_last"/);
    const twice = kerasFile(
      'x',
      withConfig((c) => (c.config.layers[2].config.name = 'conv2d')),
      'twice',
    );
    await expect(tl.loadModel(twice)).rejects.toThrow(new RegExp(`${twice}: .*already has a layer named 'conv2d'`));
    const activation = kerasFile(
      'x',
      withConfig((c) => (c.config.layers[1].config.activation = 'hard_sigmoid')),
      'act',
    );
    await expect(tl.loadModel(activation)).rejects.toThrow(/act\.keras: layer 1 'conv2d' \(Conv2D\): .*unknown activation "hard_sigmoid"/);
  });

  it('takes the input shape from build_input_shape when there is no InputLayer, and names the file when there is neither', async () => {
    const noInput = kerasFile(
      'x',
      withConfig((c) => {
        c.config.layers.shift();
        c.config.build_input_shape = [null, 32, 32, 3];
        delete c.build_config;
      }),
      'noinput',
    );
    const model = await tl.loadModel(noInput);
    expect(model.inputShape).toEqual([32, 32, 3]);
    expectClose(await model.predict(refTensor(ref.reference_cnn.x!)), ref.reference_cnn.y!, { atol: 1e-5, rtol: 1e-4 });
    const noShape = kerasFile(
      'x',
      withConfig((c) => {
        c.config.layers.shift();
        delete c.config.build_input_shape;
        delete c.build_config;
      }),
      'noshape',
    );
    await expect(tl.loadModel(noShape)).rejects.toThrow(new RegExp(`${noShape}: the input shape is unknown`));
  });

  it('names the file when the weights do not fit the config', async () => {
    const wider = kerasFile(
      'x',
      withConfig((c) => (c.config.layers.at(-1)!.config.units = 11)),
      'wider',
    );
    await expect(tl.loadModel(wider)).rejects.toThrow(
      new RegExp(`${wider}: .*layers/dense_1/vars/0 \\(dense_1's kernel\\) has shape \\[512,10\\], expected \\[512,11\\]`),
    );
    const longer = kerasFile(
      'x',
      withConfig((c) => c.config.layers.push({ class_name: 'Dense', config: { units: 2 } })),
      'longer',
    );
    await expect(tl.loadModel(longer)).rejects.toThrow(new RegExp(`${longer}: .*missing layers/dense_2/vars/0`));
    const noBias = kerasFile(
      'x',
      withConfig((c) => (c.config.layers.at(-1)!.config.use_bias = false)),
      'nobias',
    );
    await expect(tl.loadModel(noBias)).rejects.toThrow(new RegExp(`${noBias}: .*the file more: layers/dense_1/vars/1`));
  });

  it('names the file when it is not a .keras archive', async () => {
    const text = kerasFile('x', strToU8('not a zip at all'), 'text');
    await expect(tl.loadModel(text)).rejects.toThrow(new RegExp(`${text} is not a readable .keras file: not a zip archive`));
    const files = parts();
    delete files['config.json'];
    const noConfig = kerasFile('x', zipSync(files), 'noconfig');
    await expect(tl.loadModel(noConfig)).rejects.toThrow(new RegExp(`${noConfig} .*has no config.json`));
    const badWeights = parts();
    badWeights['model.weights.h5'] = strToU8('not hdf5');
    const notH5 = kerasFile('x', zipSync(badWeights), 'noth5');
    await expect(tl.loadModel(notH5)).rejects.toThrow(new RegExp(`${notH5} .*model.weights.h5 is not a readable HDF5 file`));
    await expect(tl.loadModel(join(dir, 'missing.keras'))).rejects.toThrow(/cannot read .*missing\.keras \(ENOENT\)/);
  });

  it('survives truncated files and flipped bytes: each loads or is an Error naming the file', async () => {
    const bytes = fileBytes('reference_cnn');
    const outcomes = new Set<string>();
    for (const cut of [10, 100, 1000, bytes.length / 2, bytes.length - 100, bytes.length - 1]) {
      const path = kerasFile('x', bytes.slice(0, Math.floor(cut)), 'truncated');
      await expect(tl.loadModel(path)).rejects.toThrow(path);
    }
    // The weights file is stored uncompressed: flips land in HDF5's headers as well as in the weights.
    const h5Start = bytes.length - parts()['model.weights.h5'].length;
    let seed = 1;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 40; trial++) {
      const damaged = bytes.slice();
      const start = trial < 30 ? h5Start + Math.floor(random() * 4096) : Math.floor(random() * bytes.length);
      for (let k = 0; k < 8; k++) damaged[Math.min(start + k * 3, damaged.length - 1)] ^= 1 + Math.floor(random() * 255);
      const path = kerasFile('x', damaged, `flipped-${trial}`);
      try {
        (await tl.loadModel(path)).dispose();
        outcomes.add('loaded');
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toContain(path);
        outcomes.add('error');
      }
    }
    expect(outcomes.has('error')).toBe(true);
    // And still reads a good file after all that.
    const model = await tl.loadModel(kerasFile('reference_cnn'));
    expectClose(await model.predict(refTensor(ref.reference_cnn.x!)), ref.reference_cnn.y!, { atol: 1e-5, rtol: 1e-4 });
  });

  it("leaves nothing in h5wasm's in-memory file system", async () => {
    const m = await h5wasm.ready;
    expect(m.FS.readdir('/').filter((name: string) => name.startsWith('torchlet-'))).toEqual([]);
  });

  it('saves into a folder that does not exist yet, replacing an earlier file whole', async () => {
    const model = tl.sequential([layers.dense({ units: 2, inputShape: [3] })]);
    const path = join(dir, 'new', 'deeper', 'model.keras');
    await model.save(path);
    const first = readFileSync(path);
    model.namedWeights()[0][1].assign(tl.zeros([2, 3]));
    await model.save(path);
    expect(readFileSync(path).equals(first)).toBe(false);
    expect(valuesOf((await tl.loadModel(path)).namedWeights()[0][1])).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('refuses to save a layer that has no Keras form, naming it', async () => {
    class Doubling extends tl.Layer {
      computeOutputShape(shape: number[]): number[] {
        return shape;
      }
      call(x: tl.Tensor): tl.Tensor {
        return x.mul(2);
      }
    }
    const model = tl.sequential([new Doubling({ name: 'twice', inputShape: [3] })]);
    await expect(model.save(join(dir, 'custom.keras'))).rejects.toThrow(/custom\.keras: layer 'twice' \(Doubling\) has no Keras form/);
  });
});

describe('the per-layer table takes a new layer as one entry', () => {
  // A layer with a weight whose layout differs, kept (as Keras keeps a recurrent layer's) under cell/vars.
  class Projection extends tl.Layer {
    computeOutputShape(_shape: number[]): number[] {
      return [2];
    }
    protected override createWeights(shape: number[], device: tl.Device): void {
      this.addWeight('kernel', tl.randn([2, shape[0]], { device }), true);
    }
    call(x: tl.Tensor): tl.Tensor {
      return x.matmul(this.weights[0].tensor.transpose(0, 1));
    }
  }

  it('saves and loads it, its variables where the entry says, in its Keras layout', async () => {
    KERAS_LAYERS.Projection = {
      create: (args) => new Projection(args),
      keys: {},
      layouts: { kernel: DENSE_KERNEL },
      variables: 'cell/vars',
    };
    try {
      const model = tl.sequential([new Projection({ inputShape: [3] }), layers.dense({ units: 1 })]);
      const path = join(dir, 'projection.keras');
      await model.save(path);
      const { arrays, groups } = await readKerasArchive('test', path);
      expect(arrays.get('layers/projection/cell/vars/0')?.shape).toEqual([3, 2]);
      expect(groups.get('layers/projection/vars')).toEqual({ name: 'projection' });
      expect(arrays.get('layers/dense/vars/0')?.shape).toEqual([2, 1]);
      const loaded = await tl.loadModel(path);
      expect(valuesOf(loaded.namedWeights()[0][1])).toEqual(valuesOf(model.namedWeights()[0][1]));
      const x = tl.randn([4, 3]);
      expect(valuesOf(await loaded.predict(x))).toEqual(valuesOf(await model.predict(x)));
    } finally {
      delete KERAS_LAYERS.Projection;
    }
  });
});
