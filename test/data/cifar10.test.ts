import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

const { cifar10 } = tl.datasets;
const NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

// A record whose label is `label` and whose byte for (channel, row, col) is (label + 7 * channel + row + col) % 256.
function record(label: number): Buffer {
  const r = Buffer.alloc(3073);
  r[0] = label;
  for (let ch = 0; ch < 3; ch++)
    for (let row = 0; row < 32; row++)
      for (let col = 0; col < 32; col++) r[1 + ch * 1024 + row * 32 + col] = (label + 7 * ch + row + col) % 256;
  return r;
}

// A hand-made release: batch k holds `perFile` records with labels (k + i) % 10.
function release(perFile = 3): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'cifar-')), 'cifar-10-batches-bin');
  mkdirSync(dir);
  const batch = (k: number) => Buffer.concat(Array.from({ length: perFile }, (_, i) => record((k + i) % 10)));
  for (let k = 1; k <= 5; k++) writeFileSync(join(dir, `data_batch_${k}.bin`), batch(k));
  writeFileSync(join(dir, 'test_batch.bin'), batch(0));
  writeFileSync(join(dir, 'batches.meta.txt'), NAMES.join('\n') + '\n\n');
  return dir;
}

describe('CIFAR-10 loader', () => {
  it('reads the binary release: images NHWC uint8, labels int64, class names', async () => {
    const dir = release();
    const data = await cifar10.load({ dir });
    expect(data.classNames).toEqual(NAMES);
    expect(data.train.size).toBe(15);
    expect(data.test.size).toBe(3);
    expect(data.train.images.dtype).toBe('uint8');
    expect(data.train.images.shape).toEqual([15, 32, 32, 3]);
    expect(data.train.labels.toArray()).toEqual([1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6, 5, 6, 7]);
    // Record 4 (label 3): channel 2 at row 5, col 9 was byte (3 + 14 + 5 + 9).
    const pixel = data.train.images.narrow(0, 4, 1).narrow(1, 5, 1).narrow(2, 9, 1).flatten().toArray();
    expect(pixel).toEqual([3 + 5 + 9, 3 + 7 + 5 + 9, 3 + 14 + 5 + 9]);
  });

  it('accepts the folder that holds cifar-10-batches-bin', async () => {
    const dir = release();
    const data = await cifar10.load({ dir: join(dir, '..') });
    expect(data.test.size).toBe(3);
  });

  it('names the file of a truncated batch', async () => {
    const dir = release();
    truncateSync(join(dir, 'data_batch_3.bin'), 3073 * 2 + 100);
    await expect(cifar10.load({ dir })).rejects.toThrowError(
      /^CIFAR-10: .*data_batch_3\.bin is truncated or not a CIFAR-10 batch: 6246 bytes is not a whole number of 3073-byte records$/,
    );
  });

  it('names the file, record and value of a bad label', async () => {
    const dir = release();
    writeFileSync(join(dir, 'data_batch_2.bin'), Buffer.concat([record(1), record(11), record(2)]));
    await expect(cifar10.load({ dir })).rejects.toThrowError(
      /^CIFAR-10: .*data_batch_2\.bin has a bad label 11 in record 1 \(labels are 0\.\.9\)$/,
    );
  });

  it('names missing files', async () => {
    const dir = release();
    rmSync(join(dir, 'test_batch.bin'));
    await expect(cifar10.load({ dir })).rejects.toThrowError(
      /^CIFAR-10: missing file .*cifar-10-batches-bin\/test_batch\.bin\. Point dir at the cifar-10-batches-bin folder/,
    );
  });

  it('without a dir, points at download and the cache', async () => {
    const home = mkdtempSync(join(tmpdir(), 'torchlet-home-'));
    const saved = process.env.TORCHLET_HOME;
    process.env.TORCHLET_HOME = home;
    try {
      await expect(cifar10.load()).rejects.toThrowError(
        new RegExp(`missing files ${join(home, 'cifar-10-batches-bin')}/data_batch_1\\.bin.*Pass download: true \\(or --download\\)`),
      );
    } finally {
      if (saved === undefined) delete process.env.TORCHLET_HOME;
      else process.env.TORCHLET_HOME = saved;
    }
  });

  it('checks batches.meta.txt names 10 classes', async () => {
    const dir = release();
    writeFileSync(join(dir, 'batches.meta.txt'), 'a\nb\n');
    await expect(cifar10.load({ dir })).rejects.toThrowError(/batches\.meta\.txt should name 10 classes, one per line; it has 2/);
  });

  it('applies augmentation to the training set only', async () => {
    const data = await cifar10.load({ dir: release(), augment: true });
    tl.manualSeed(1);
    const [testBatch] = [...data.test.batches({ batchSize: 3, shuffle: false, device: 'cpu' })];
    // Unaugmented test images come back exactly: record 0 of the test file has label 0.
    expect(testBatch.x.narrow(0, 0, 1).narrow(1, 0, 1).narrow(2, 0, 1).narrow(3, 5, 1).item()).toBeCloseTo(5 / 255, 6);
  });
});

describe('CIFAR-10 options', () => {
  it('load() rejects unknown options, suggesting the known one', async () => {
    await expect(cifar10.load({ dri: release() } as never)).rejects.toThrowError(
      /^cifar10\.load: unknown option 'dri' \(did you mean 'dir'\?\)$/,
    );
    await expect(cifar10.load({ data_dir: release() } as never)).rejects.toThrowError(RangeError);
  });

  it('load() checks the type and range of each option before reading files', async () => {
    await expect(cifar10.load('dir' as never)).rejects.toThrowError(TypeError);
    await expect(cifar10.load('dir' as never)).rejects.toThrowError(/^cifar10\.load: options must be a plain object, got "dir"$/);
    await expect(cifar10.load(null as never)).rejects.toThrowError(/^cifar10\.load: options must be a plain object, got null$/);
    await expect(cifar10.load({ dir: 5 as never })).rejects.toThrowError(/^cifar10\.load: dir must be a string, got 5$/);
    await expect(cifar10.load({ dir: '' })).rejects.toThrowError(/^cifar10\.load: dir must not be empty$/);
    await expect(cifar10.load({ download: 'yes' as never })).rejects.toThrowError(/^cifar10\.load: download must be a boolean, got "yes"$/);
    await expect(cifar10.load({ dir: release(), augment: { cropPadding: -2 } })).rejects.toThrowError(
      /^cifar10\.load: augment\.cropPadding must be a non-negative integer, got -2$/,
    );
    await expect(cifar10.load({ dir: release(), normalize: { mean: [0.5], std: [1] } })).rejects.toThrowError(
      /^cifar10\.load: normalize must be 'scale' or \{ mean, std \} with 3 values each/,
    );
    await expect(cifar10.readBatchFile(null as never)).rejects.toThrowError(/^cifar10\.readBatchFile: path must be a string, got null$/);
  });

  it('synthetic() checks its options', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'synthetic-')), 'set');
    await expect(cifar10.synthetic({ dir, train: 10, test: 10, sed: 1 } as never)).rejects.toThrowError(
      /^cifar10\.synthetic: unknown option 'sed' \(did you mean 'seed'\?\)$/,
    );
    await expect(cifar10.synthetic(42 as never)).rejects.toThrowError(/^cifar10\.synthetic: options must be a plain object, got 42$/);
    await expect(cifar10.synthetic({ dir: 5 as never })).rejects.toThrowError(/^cifar10\.synthetic: dir must be a string, got 5$/);
    await expect(cifar10.synthetic({ dir, train: -5 })).rejects.toThrowError(/^cifar10\.synthetic: train must be an integer ≥ 5, got -5$/);
    await expect(cifar10.synthetic({ dir, seed: 'x' as never })).rejects.toThrowError(TypeError);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('synthetic CIFAR-10', () => {
  it('is read by the same loader, and the reference model learns it far above chance within 2 epochs', async () => {
    const dir = await cifar10.synthetic({ dir: join(mkdtempSync(join(tmpdir(), 'synthetic-')), 'set'), train: 12000, test: 1000, seed: 7 });
    const data = await cifar10.load({ dir });
    expect(data.train.size).toBe(12000);
    expect(data.test.size).toBe(1000);
    expect(data.classNames).toHaveLength(10);
    tl.manualSeed(0);
    const model = tl.referenceCnn();
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    await model.fit(data.train, { epochs: 2, verbose: 0 });
    const { accuracy } = await model.evaluate(data.test);
    expect(accuracy).toBeGreaterThan(0.35); // chance is 0.1 (on all 50,000 images, 2 epochs reach ~0.75)
  });
});
