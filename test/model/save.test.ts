import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { oraclePython } from '../helpers/reference.js';

const { layers } = tl;

function smallModel(): tl.Sequential {
  return tl.sequential([
    layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 3] }),
    layers.batchNormalization(),
    layers.maxPooling2d(),
    layers.flatten(),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'torchlet-save-'));
const valuesOf = (t: tl.Tensor): number[] => Array.from(t.data());

describe('saving and loading a trained model', () => {
  tl.manualSeed(7);
  const x = tl.rand([6, 8, 8, 3]);
  const y = tl.tensor(new BigInt64Array([0n, 1n, 2n, 3n, 1n, 2n]));
  const model = smallModel();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  let dir: string;
  let expected: number[];

  beforeAll(async () => {
    await model.trainOnBatch(x, y);
    dir = tempDir();
    await model.save(dir);
    expected = valuesOf(await model.predict(x));
  });

  it('has moved the batch-norm statistics, so that they are worth saving', () => {
    const weights = new Map(model.namedWeights());
    expect(valuesOf(weights.get('batch_normalization/moving_mean')!).some((v) => v !== 0)).toBe(true);
    expect(valuesOf(weights.get('batch_normalization/moving_variance')!).some((v) => v !== 1)).toBe(true);
  });

  it('writes model.json and the weights it names, and nothing else', async () => {
    expect(modelFiles(dir)).toEqual(['model-<id>.safetensors', 'model.json']);
    const first = weightsFile(dir);
    // Saving again over the same folder replaces the files and leaves no temporary ones.
    await model.save(dir);
    expect(modelFiles(dir)).toEqual(['model-<id>.safetensors', 'model.json']);
    expect(weightsFile(dir)).not.toBe(first); // each save its own weights file, named last by model.json
    // Concurrent saves to one folder must not share a temporary file, nor remove each other's weights.
    await Promise.all([model.save(dir), model.save(dir), model.save(dir)]);
    expect(modelFiles(dir)).toEqual(['model-<id>.safetensors', 'model.json']);
    const saved = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(saved.format).toBe('torchlet.Sequential');
    expect(saved.inputShape).toEqual([8, 8, 3]);
    expect(saved.layers.map((l: { className: string }) => l.className)).toEqual([
      'Conv2D',
      'BatchNormalization',
      'MaxPooling2D',
      'Flatten',
      'Dense',
    ]);
    expect(saved.compile).toEqual({
      optimizer: {
        name: 'Adam',
        config: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, amsgrad: false, formula: 'keras' },
      },
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
      cudaGraph: false,
      mixedPrecision: null,
    });
  });

  it('loadModel restores identical predictions, names and compile settings, and the result can fit', async () => {
    const loaded = await tl.loadModel(dir);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(loaded.namedWeights().map(([n, t]) => [n, t.shape])).toEqual(model.namedWeights().map(([n, t]) => [n, t.shape]));
    expect(valuesOf(await loaded.predict(x))).toEqual(expected);
    expect(loaded.compiled).toBe(true);
    expect(loaded.optimizer!.name).toBe('Adam');
    const before = valuesOf(loaded.namedWeights()[0][1]);
    const history = await loaded.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0 });
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss']);
    expect(Number.isFinite(history.history.loss[0])).toBe(true);
    expect(valuesOf(loaded.namedWeights()[0][1])).not.toEqual(before);
  });

  it('saveWeights / loadWeights carry the weights into a fresh model of the same architecture', async () => {
    const file = join(tempDir(), 'weights.safetensors');
    await model.saveWeights(file);
    const fresh = smallModel();
    fresh.build();
    expect(valuesOf(await fresh.predict(x))).not.toEqual(expected);
    await fresh.loadWeights(file);
    expect(valuesOf(await fresh.predict(x))).toEqual(expected);
  });

  it('loadWeights also takes the model folder', async () => {
    const fresh = smallModel();
    fresh.build();
    await fresh.loadWeights(dir);
    expect(valuesOf(await fresh.predict(x))).toEqual(expected);
  });

  it('Python reads the weights with numpy alone: the same names, shapes and values', () => {
    const script = `
import json, struct, sys
import numpy as np
data = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', data[:8])
assert (8 + n) % 8 == 0
header = json.loads(data[8:8 + n])
meta = header.pop('__metadata__', {})
kinds = {'F32': '<f4', 'F64': '<f8', 'I64': '<i8'}
out = {}
for name, info in header.items():
    begin, end = info['data_offsets']
    a = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=kinds[info['dtype']]).reshape(info['shape'])
    out[name] = [list(a.shape), float(a.astype(np.float64).sum()), a.flatten().tolist()]
print(json.dumps({'metadata': meta, 'tensors': out}))
`;
    const read = JSON.parse(execFileSync(oraclePython(), ['-c', script, weightsFile(dir)], { encoding: 'utf8' })) as {
      metadata: Record<string, string>;
      tensors: Record<string, [number[], number, number[]]>;
    };
    expect(read.metadata).toEqual({ format: 'torchlet', model: 'sequential' });
    const named = model.namedWeights();
    expect(Object.keys(read.tensors).sort()).toEqual(named.map(([n]) => n).sort());
    for (const [name, weight] of named) {
      const [shape, sum, values] = read.tensors[name];
      expect(shape, name).toEqual(weight.shape);
      const ours = weight.sum().item() as number;
      expect(Math.abs(sum - ours), name).toBeLessThanOrEqual(1e-4 * Math.max(Math.abs(ours), 1e-3));
      expect(values, name).toEqual(valuesOf(weight));
    }
  });
});

// The files of a model folder, with each save's weights file name made generic.
const modelFiles = (dir: string) =>
  readdirSync(dir)
    .map((n) => n.replace(/^model-[0-9a-z-]+\.safetensors$/, 'model-<id>.safetensors'))
    .sort();
// The weights file that the folder's model.json names.
const weightsFile = (dir: string) => join(dir, (JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weights: string }).weights);

describe('clear errors when loading', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    const model = smallModel();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await model.save(dir);
  });

  it('weights of another architecture: the extra, missing and mismatched weights, with shapes', async () => {
    // No batch norm and no pooling: the dense kernel sees 256 inputs, not 64.
    const other = tl.sequential([
      layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 3] }),
      layers.flatten(),
      layers.dense({ units: 4, activation: 'softmax' }),
      layers.dense({ units: 2, name: 'extra' }),
    ]);
    const attempt = other.loadWeights(dir);
    await expect(attempt).rejects.toThrowError(/^loadWeights: .*model-[0-9a-z-]+\.safetensors does not match the model 'sequential': /);
    await expect(other.loadWeights(dir)).rejects.toThrowError(/'dense\/kernel' has shape \[4,64\] in the file, \[4,256\] in the model/);
    await expect(other.loadWeights(dir)).rejects.toThrowError(
      /missing 'extra\/kernel' \(shape \[2,4\] in the model\); missing 'extra\/bias' \(shape \[2\] in the model\)/,
    );
    await expect(other.loadWeights(dir)).rejects.toThrowError(
      /the file has weights the model lacks: 'batch_normalization\/gamma', 'batch_normalization\/beta', 'batch_normalization\/moving_mean', 'batch_normalization\/moving_variance'$/,
    );
  });

  it('a truncated weights file', async () => {
    const broken = tempDir();
    await smallModel().save(broken);
    const file = weightsFile(broken);
    truncateSync(file, readFileSync(file).length - 10);
    await expect(tl.loadModel(broken)).rejects.toThrowError(
      /model-[0-9a-z-]+\.safetensors: not a valid safetensors file: truncated: 'dense\/bias' ends at/,
    );
    await expect(smallModel().loadWeights(file)).rejects.toThrowError(/truncated/);
  });

  it('a folder without model.json', async () => {
    const empty = tempDir();
    await expect(tl.loadModel(empty)).rejects.toThrowError(
      new RegExp(`^loadModel: cannot read ${join(empty, 'model.json')} \\(ENOENT\\)$`),
    );
  });

  it('a model.json that is not JSON, or of another format', async () => {
    const other = tempDir();
    writeFileSync(join(other, 'model.json'), '{ not json');
    await expect(tl.loadModel(other)).rejects.toThrowError(/^loadModel: .*model\.json is not JSON$/);
    writeFileSync(join(other, 'model.json'), JSON.stringify({ class_name: 'Sequential', config: { layers: [] }, keras_version: '3.0' }));
    await expect(tl.loadModel(other)).rejects.toThrowError(
      /^loadModel: .*model\.json is not a torchlet model \(format 'undefined', version undefined\)$/,
    );
    writeFileSync(join(other, 'model.json'), JSON.stringify({ format: 'torchlet.Sequential', version: 2, layers: [] }));
    await expect(tl.loadModel(other)).rejects.toThrowError(/is not a torchlet model \(format 'torchlet.Sequential', version 2\)$/);
  });

  it('an unknown layer class, a malformed layer entry, or a bad layer config', async () => {
    const saved = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const broken = tempDir();
    const write = (change: (layers: unknown[]) => void): void => {
      const copy = structuredClone(saved);
      change(copy.layers);
      writeFileSync(join(broken, 'model.json'), JSON.stringify(copy));
    };
    write((l) => ((l[1] as { className: string }).className = 'Conv3D'));
    await expect(tl.loadModel(broken)).rejects.toThrowError(
      /^loadModel: .*model\.json: layer 1 has unknown class "Conv3D" \(known: Conv2D, MaxPooling2D, /,
    );
    // Names that only Object.prototype knows are unknown classes too.
    write((l) => ((l[1] as { className: string }).className = 'constructor'));
    await expect(tl.loadModel(broken)).rejects.toThrowError(/layer 1 has unknown class "constructor"/);
    write((l) => (l[2] = null));
    await expect(tl.loadModel(broken)).rejects.toThrowError(/layer 2 has unknown class undefined/);
    write((l) => ((l[4] as { config: { units: number } }).config.units = -1));
    await expect(tl.loadModel(broken)).rejects.toThrowError(RangeError);
    await expect(tl.loadModel(broken)).rejects.toThrowError(
      /^loadModel: .*model\.json: layer 4 \(Dense\): Dense: units must be a positive integer, got -1$/,
    );
  });
});

describe('save keeps the optimizer settings', () => {
  it('restores a compiled optimizer with its hyper-parameters and formula', async () => {
    const optimizers = [
      new tl.optim.SGD({ learningRate: 0.2, momentum: 0.5, nesterov: true }),
      new tl.optim.Adam({ learningRate: 0.02, amsgrad: true, formula: 'pytorch' }),
      new tl.optim.Nadam({ beta1: 0.8 }),
      new tl.optim.Lion({ learningRate: 3e-4, weightDecay: 0.1 }),
    ];
    for (const optimizer of optimizers) {
      const m = tl.sequential([tl.layers.dense({ units: 2, inputShape: [3] })]);
      m.compile({ optimizer, loss: 'mse' });
      const dir = mkdtempSync(join(tmpdir(), 'torchlet-opt-'));
      await m.save(dir);
      const loaded = await tl.loadModel(dir);
      expect(loaded.optimizer?.name).toBe(optimizer.name);
      expect(loaded.optimizer?.options).toEqual(optimizer.options);
    }
    expect(optimizers[0].options).toEqual({
      learningRate: 0.2,
      momentum: 0.5,
      dampening: 0,
      nesterov: true,
      weightDecay: 0,
      formula: 'keras',
    });
  });

  it('saveWeights creates the parent folder', async () => {
    const m = tl.sequential([tl.layers.dense({ units: 2, inputShape: [3] })]);
    const path = join(mkdtempSync(join(tmpdir(), 'torchlet-w-')), 'nested', 'deeper', 'w.safetensors');
    await m.saveWeights(path);
    await m.loadWeights(path);
  });
});
