import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNTHETIC_CLASS_NAMES, writeSyntheticCifar10 } from '../../lib/data/synthetic-cifar10.js';

const RECORD = 3073;
const PIXELS = 3072;
const TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const ALL_FILES = ['batches.meta.txt', ...TRAIN_FILES, 'test_batch.bin'];

const readAll = async (dir: string) =>
  Object.fromEntries(await Promise.all(ALL_FILES.map(async (f) => [f, await readFile(join(dir, f))] as const)));
const trainBytes = async (dir: string) => Buffer.concat(await Promise.all(TRAIN_FILES.map((f) => readFile(join(dir, f)))));
const labelsOf = (bytes: Buffer) => Array.from({ length: bytes.length / RECORD }, (_, i) => bytes[i * RECORD]);

/** Accuracy on `test` of the classifier that picks the class whose mean `train` image is nearest. */
function nearestClassMeanAccuracy(train: Buffer, test: Buffer): number {
  const sums = new Float64Array(10 * PIXELS);
  const counts = new Array<number>(10).fill(0);
  for (let o = 0; o < train.length; o += RECORD) {
    const label = train[o];
    counts[label]++;
    for (let p = 0; p < PIXELS; p++) sums[label * PIXELS + p] += train[o + 1 + p];
  }
  for (let k = 0; k < 10; k++) for (let p = 0; p < PIXELS; p++) sums[k * PIXELS + p] /= counts[k];
  let correct = 0;
  for (let o = 0; o < test.length; o += RECORD) {
    let best = -1;
    let bestDistance = Infinity;
    for (let k = 0; k < 10; k++) {
      let distance = 0;
      for (let p = 0; p < PIXELS; p++) distance += (test[o + 1 + p] - sums[k * PIXELS + p]) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [k, distance];
    }
    if (best === test[o]) correct++;
  }
  return correct / (test.length / RECORD);
}

describe('writeSyntheticCifar10', () => {
  let root: string;
  let dir: string;
  const options = { train: 5003, test: 2000, seed: 1 };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'synthetic-cifar10-'));
    dir = join(root, 'nested', 'cifar');
    expect(await writeSyntheticCifar10(dir, options)).toBe(dir);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('writes the CIFAR-10 files, the train images in 5 near-equal parts', async () => {
    expect((await readdir(dir)).sort()).toEqual(ALL_FILES);
    const sizes = await Promise.all(ALL_FILES.slice(1).map(async (f) => (await stat(join(dir, f))).size));
    expect(sizes).toEqual([1001, 1001, 1001, 1000, 1000, 2000].map((n) => n * RECORD));
    expect(await readFile(join(dir, 'batches.meta.txt'), 'utf8')).toBe(
      'circle\nring\nsquare\nsquare-outline\ntriangle\nplus\nhorizontal-stripes\nvertical-stripes\ncheckerboard\ndiagonal-stripes\n',
    );
    expect(SYNTHETIC_CLASS_NAMES).toHaveLength(10);
  });

  it('puts at least one image in every train part (the loader rejects empty batch files)', async () => {
    const small = join(root, 'small');
    await writeSyntheticCifar10(small, { train: 7, test: 1 });
    const sizes = await Promise.all([...TRAIN_FILES, 'test_batch.bin'].map(async (f) => (await stat(join(small, f))).size));
    expect(sizes).toEqual([2, 2, 1, 1, 1, 1].map((n) => n * RECORD));
    await expect(writeSyntheticCifar10(join(root, 'tiny'), { train: 4 })).rejects.toThrow(
      /^writeSyntheticCifar10: train must be an integer ≥ 5, got 4$/,
    );
  });

  it('draws labels 0..9, every class present and roughly balanced', async () => {
    const labels = [...labelsOf(await trainBytes(dir)), ...labelsOf(await readFile(join(dir, 'test_batch.bin')))];
    expect(labels).toHaveLength(7003);
    expect(Math.max(...labels)).toBe(9);
    expect(Math.min(...labels)).toBe(0);
    const counts = new Array<number>(10).fill(0);
    for (const label of labels) counts[label]++;
    // 700 expected per class; the binomial standard deviation is about 25.
    for (const count of counts) {
      expect(count).toBeGreaterThan(600);
      expect(count).toBeLessThan(800);
    }
  });

  it('gives byte-identical files for a seed, other files for another seed, and splits of their own', async () => {
    const again = await readAll(await writeSyntheticCifar10(join(root, 'again'), options));
    const other = await readAll(await writeSyntheticCifar10(join(root, 'other'), { ...options, seed: 2 }));
    const first = await readAll(dir);
    for (const f of ALL_FILES) expect(again[f].equals(first[f]), f).toBe(true);
    for (const f of ALL_FILES.slice(1)) expect(other[f].equals(first[f]), f).toBe(false);
    const train = await trainBytes(dir);
    expect(first['test_batch.bin'].subarray(0, train.length).equals(train)).toBe(false);
    expect(first['test_batch.bin'].subarray(0, RECORD).equals(train.subarray(0, RECORD))).toBe(false);
  });

  it('draws images that class means alone cannot separate, over much of the 0..255 range', async () => {
    const train = await trainBytes(dir);
    const test = await readFile(join(dir, 'test_batch.bin'));
    const accuracy = nearestClassMeanAccuracy(train, test);
    // Chance is 0.10 ± 0.007 on 2000 images: the class is in the shapes, not in colour or place,
    // so per-class mean images barely beat chance (a CNN learns the set: test/data/cifar10.test.ts).
    expect(accuracy).toBeLessThan(0.2);

    const histogram = new Array<number>(256).fill(0);
    for (let o = 0; o < test.length; o += RECORD) for (let p = 1; p <= PIXELS; p++) histogram[test[o + p]]++;
    const total = (test.length / RECORD) * PIXELS;
    const below = (v: number) => histogram.slice(0, v).reduce((a, b) => a + b) / total;
    expect(histogram.filter((n) => n > 0).length).toBe(256);
    expect(below(40)).toBeGreaterThan(0.05);
    expect(1 - below(216)).toBeGreaterThan(0.05);
  });

  it('replaces an existing folder and leaves no temporary folders', async () => {
    const target = join(root, 'replace');
    await mkdir(target);
    await writeFile(join(target, 'stale.txt'), 'old');
    await writeSyntheticCifar10(target, { train: 10, test: 10 });
    expect((await readdir(target)).sort()).toEqual(ALL_FILES);
    expect((await readdir(root)).sort()).toEqual(['again', 'nested', 'other', 'replace', 'small']);
    expect(await readdir(join(root, 'nested'))).toEqual(['cifar']);
  });

  it('rejects bad arguments with RangeErrors naming them, writing nothing', async () => {
    const target = join(root, 'bad');
    await expect(writeSyntheticCifar10(target, { train: 0 })).rejects.toThrow(RangeError);
    await expect(writeSyntheticCifar10(target, { train: 0 })).rejects.toThrow(/train/);
    await expect(writeSyntheticCifar10(target, { train: 2.5 })).rejects.toThrow(/train/);
    await expect(writeSyntheticCifar10(target, { test: 0 })).rejects.toThrow(/test/);
    await expect(writeSyntheticCifar10(target, { test: Number.NaN })).rejects.toThrow(/test/);
    await expect(writeSyntheticCifar10(target, { seed: -1 })).rejects.toThrow(/seed/);
    await expect(writeSyntheticCifar10(target, { seed: 0.5 })).rejects.toThrow(RangeError);
    await expect(writeSyntheticCifar10(target, { train: '10' as never })).rejects.toThrow(TypeError);
    await expect(writeSyntheticCifar10(target, { train: '10' as never })).rejects.toThrow(
      /^writeSyntheticCifar10: train must be an integer ≥ 5, got "10"$/,
    );
    await expect(writeSyntheticCifar10(target, { seeds: 1 } as never)).rejects.toThrow(
      /^writeSyntheticCifar10: unknown option 'seeds' \(did you mean 'seed'\?\)$/,
    );
    await expect(writeSyntheticCifar10(target, { train_size: 10 } as never)).rejects.toThrow(RangeError);
    await expect(writeSyntheticCifar10(target, 'small' as never)).rejects.toThrow(
      /^writeSyntheticCifar10: options must be a plain object, got "small"$/,
    );
    await expect(writeSyntheticCifar10(null as never)).rejects.toThrow(/^writeSyntheticCifar10: dir must be a string, got null$/);
    await expect(stat(target)).rejects.toThrow(/ENOENT/);
  });
});
