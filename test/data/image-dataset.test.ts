import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

// Image k holds the value k + 10 * channel everywhere, so batches show which images they hold.
function labelled(n: number): { images: tl.Tensor; labels: tl.Tensor } {
  const data = new Uint8Array(n * 4 * 4 * 3);
  for (let k = 0; k < n; k++) for (let p = 0; p < 16; p++) for (let c = 0; c < 3; c++) data[(k * 16 + p) * 3 + c] = k + 10 * c;
  return { images: tl.tensor(data, [n, 4, 4, 3]), labels: tl.arange(n) };
}

describe('ImageDataset', () => {
  it('yields float NCHW batches with channels-last strides, scaled by 1/255', () => {
    const { images, labels } = labelled(5);
    const d = new tl.ImageDataset(images, labels);
    expect(d.inputShape).toEqual([4, 4, 3]);
    const [first, second] = [...d.batches({ batchSize: 3, shuffle: false, device: 'cpu' })];
    expect(first.x.shape).toEqual([3, 3, 4, 4]);
    expect(first.x.dtype).toBe('float32');
    expect(first.x.isContiguous('channelsLast')).toBe(true);
    expect(first.x.narrow(0, 1, 1).narrow(1, 2, 1).mean().item()).toBeCloseTo((1 + 20) / 255, 6);
    expect(second.y.toArray()).toEqual([3, 4]);
  });

  it('shuffles on the device, keeping images and labels paired', () => {
    const { images, labels } = labelled(20);
    const d = new tl.ImageDataset(images, labels);
    tl.manualSeed(4);
    const [batch] = [...d.batches({ batchSize: 20, shuffle: true, device: 'cpu' })];
    const ys = batch.y.toArray() as number[];
    expect([...ys].sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(ys).not.toEqual([...Array(20).keys()]);
    const firstPixel = batch.x.mul(255).narrow(1, 0, 1).narrow(2, 0, 1).narrow(3, 0, 1).flatten().toArray() as number[];
    firstPixel.forEach((v, i) => expect(v).toBeCloseTo(ys[i], 3));
  });

  it('normalises per channel with a mean and std', () => {
    const { images, labels } = labelled(2);
    const d = new tl.ImageDataset(images, labels, { normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 1] } });
    const [batch] = [...d.batches({ batchSize: 2, shuffle: false, device: 'cpu' })];
    const blue = batch.x.narrow(0, 1, 1).narrow(1, 2, 1).mean().item() as number;
    expect(blue).toBeCloseTo((21 / 255 - 0.5) / 1, 5);
    const red = batch.x.narrow(0, 1, 1).narrow(1, 0, 1).mean().item() as number;
    expect(red).toBeCloseTo((1 / 255 - 0.5) / 0.25, 5);
  });

  it('augments with flips and padded crops that keep each image and its label together', () => {
    const n = 64;
    const data = new Uint8Array(n * 8 * 8 * 3).fill(200);
    for (let k = 0; k < n; k++) data[((k * 8 + 0) * 8 + 0) * 3] = 255; // a marker in the top-left corner of channel 0
    const d = new tl.ImageDataset(tl.tensor(data, [n, 8, 8, 3]), tl.arange(n), { augment: { flip: true, cropPadding: 2 } });
    tl.manualSeed(0);
    const [batch] = [...d.batches({ batchSize: n, shuffle: false, device: 'cpu' })];
    expect(batch.x.shape).toEqual([n, 3, 8, 8]);
    const pixels = batch.x.mul(255);
    // Crops bring in zero padding for some images and flips move the marker to the right half.
    const zeros = pixels.eq(0).sum([1, 2, 3]).gt(0).sum().item() as number;
    expect(zeros).toBeGreaterThan(n / 4);
    const markerColumn = pixels.narrow(1, 0, 1).squeeze(1).gt(250).to('int64').sum(1).argmax(1).toArray() as number[];
    expect(markerColumn.some((c) => c >= 4)).toBe(true);
    expect(markerColumn.some((c) => c < 4)).toBe(true);
    // Without augmentation the images come back exactly.
    const [plain] = [...d.withOptions({}).batches({ batchSize: n, shuffle: false, device: 'cpu' })];
    expect(plain.x.mul(255).sub(200).abs().max().item()).toBeCloseTo(55, 3);
  });

  it('take() keeps the first images and the options', () => {
    const { images, labels } = labelled(10);
    const d = new tl.ImageDataset(images, labels).take(4);
    expect(d.size).toBe(4);
    expect(d.labels.toArray()).toEqual([0, 1, 2, 3]);
  });

  it('validates its inputs', () => {
    expect(() => new tl.ImageDataset(tl.zeros([2, 4, 4, 3]), tl.arange(2))).toThrowError(
      /images must be uint8 \[N, height, width, channels\], got float32/,
    );
    expect(() => new tl.ImageDataset(tl.zeros([2, 4, 4, 3], { dtype: 'uint8' }), tl.arange(3))).toThrowError(
      /expected 2 labels, got shape \[3\]/,
    );
    expect(
      () => new tl.ImageDataset(tl.zeros([2, 4, 4, 3], { dtype: 'uint8' }), tl.arange(2), { normalize: { mean: [0.5], std: [1] } }),
    ).toThrowError(/normalize must be 'scale' or \{ mean, std \} with 3 values each/);
  });

  it('checks its options, naming the call and the option', () => {
    const { images, labels } = labelled(2);
    const make = (options: unknown) => () => new tl.ImageDataset(images, labels, options as tl.ImageDatasetOptions);
    expect(make({ augmnet: true })).toThrowError(/^ImageDataset: unknown option 'augmnet' \(did you mean 'augment'\?\)$/);
    expect(make({ augment: { crop_padding: 2 } })).toThrowError(
      /^ImageDataset: unknown option 'crop_padding' \(options are camelCase here: did you mean 'cropPadding'\?\)$/,
    );
    expect(make('scale')).toThrowError(TypeError);
    expect(make('scale')).toThrowError(/^ImageDataset: options must be a plain object, got "scale"$/);
    expect(make({ augment: 'yes' })).toThrowError(/^ImageDataset: augment must be a plain object, got "yes"$/);
    expect(make({ augment: { flip: 1 } })).toThrowError(/^ImageDataset: augment\.flip must be a boolean, got 1$/);
    expect(make({ augment: { cropPadding: -1 } })).toThrowError(
      /^ImageDataset: augment\.cropPadding must be a non-negative integer, got -1$/,
    );
    expect(make({ normalize: 'standard' })).toThrowError(
      /^ImageDataset: normalize must be 'scale' or \{ mean, std \} with 3 values each \(std > 0\), got "standard"$/,
    );
    expect(make({ normalize: { mean: ['0.5', '0.5', '0.5'], std: [1, 1, 1] } })).toThrowError(RangeError);
    expect(make({ normalize: { mean: [0.5, 0.5, 0.5], stdev: [1, 1, 1] } })).toThrowError(
      /^ImageDataset: unknown option 'stdev' \(did you mean 'std'\?\)$/,
    );
    const d = new tl.ImageDataset(images, labels);
    expect(() => d.withOptions({ augment: { flip: 'yes' as unknown as boolean } })).toThrowError(
      /^ImageDataset\.withOptions: augment\.flip must be a boolean, got "yes"$/,
    );
    expect(() => d.take('2' as unknown as number)).toThrowError(/^ImageDataset\.take: count must be a positive integer, got "2"$/);
    expect(() => d.batches({ batchSize: 0, shuffle: false, device: 'cpu' })).toThrowError(
      /^ImageDataset\.batches: batchSize must be a positive integer, got 0$/,
    );
  });

  it('rejects images and labels that are not live tensors', () => {
    const { images, labels } = labelled(2);
    const disposed = tl.arange(2);
    disposed.dispose();
    for (const bad of ['images', null, {}, Object.create(tl.Tensor.prototype)]) {
      expect(() => new tl.ImageDataset(bad as tl.Tensor, labels)).toThrowError(/^ImageDataset: images must be a Tensor, got /);
      expect(() => new tl.ImageDataset(images, bad as tl.Tensor)).toThrowError(/^ImageDataset: labels must be a Tensor, got /);
    }
    expect(() => new tl.ImageDataset(images, disposed)).toThrowError(/^ImageDataset: labels is a disposed tensor/);
  });

  it('trains a model through fit', async () => {
    const { images, labels } = labelled(32);
    const model = tl.sequential([tl.layers.flatten({ inputShape: [4, 4, 3] }), tl.layers.dense({ units: 32, activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit(new tl.ImageDataset(images, labels), { epochs: 2, batchSize: 8, verbose: 0 });
    expect(h.history.loss).toHaveLength(2);
  });
});

describe('randomFlip and randomCrop', () => {
  it('flip and crop [N, H, W, C] batches, keeping their shape', () => {
    const images = tl.zeros([2, 4, 4, 3], { dtype: 'uint8' });
    expect(tl.randomFlip(images).shape).toEqual([2, 4, 4, 3]);
    expect(tl.randomCrop(images, 1).shape).toEqual([2, 4, 4, 3]);
  });

  it('reject what is not a live 4-D tensor, naming the call', () => {
    const disposed = tl.zeros([1, 2, 2, 1]);
    disposed.dispose();
    const cases: [unknown, string][] = [
      ['images', 'images must be a Tensor, got "images"$'],
      [null, 'images must be a Tensor, got null$'],
      [{}, 'images must be a Tensor, got \\{\\}$'],
      [Object.create(tl.Tensor.prototype), 'images must be a Tensor, got a Tensor$'],
      [disposed, 'images is a disposed tensor'],
      [tl.zeros([2, 2, 2]), 'images must be a 4-D \\[N, height, width, channels\\] batch, got shape \\[2,2,2\\]$'],
    ];
    for (const [images, message] of cases) {
      expect(() => tl.randomFlip(images as tl.Tensor)).toThrowError(new RegExp(`^randomFlip: ${message}`));
      expect(() => tl.randomCrop(images as tl.Tensor, 1)).toThrowError(new RegExp(`^randomCrop: ${message}`));
    }
  });

  it('randomCrop takes a non-negative integer padding', () => {
    const images = tl.zeros([1, 2, 2, 1]);
    expect(() => tl.randomCrop(images, -1)).toThrowError(/^randomCrop: padding must be a non-negative integer, got -1$/);
    expect(() => tl.randomCrop(images, 1.5)).toThrowError(RangeError);
    expect(() => tl.randomCrop(images, '2' as unknown as number)).toThrowError(TypeError);
    expect(() => tl.randomCrop(images, undefined as unknown as number)).toThrowError(
      /^randomCrop: padding must be a non-negative integer, got undefined$/,
    );
    // A window padded by the image's size or more could hold no pixel of the image.
    expect(tl.randomCrop(tl.zeros([1, 3, 2, 1]), 1).shape).toEqual([1, 3, 2, 1]);
    expect(() => tl.randomCrop(tl.zeros([1, 3, 2, 1]), 2)).toThrowError(
      /^randomCrop: padding must be less than the image's height and width \(3 x 2\), got 2$/,
    );
    expect(() => tl.randomCrop(images, 2 ** 32)).toThrowError(/^randomCrop: padding must be less than/);
    expect(
      () =>
        new tl.ImageDataset(tl.zeros([1, 4, 4, 3], { dtype: 'uint8' }), tl.zeros([1], { dtype: 'int64' }), { augment: { cropPadding: 4 } }),
    ).toThrowError(/^ImageDataset: augment.cropPadding must be less than the image's height and width \(4 x 4\), got 4$/);
  });
});

describe.skipIf(!tl.cuda.isAvailable())('ImageDataset on CUDA', () => {
  it('uploads once and prepares every batch on the GPU', () => {
    const { images, labels } = labelled(12);
    const d = new tl.ImageDataset(images, labels, { augment: true });
    const batches = [...d.batches({ batchSize: 5, shuffle: true, device: 'cuda' })];
    expect(d.images.device).toBe('cuda:0');
    for (const b of batches) {
      expect(b.x.device).toBe('cuda:0');
      expect(b.y.device).toBe('cuda:0');
      expect(b.x.isContiguous('channelsLast')).toBe(true);
    }
    expect(batches.map((b) => b.y.shape[0])).toEqual([5, 5, 2]);
  });
});
