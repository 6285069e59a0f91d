import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

const { layers } = tl;

describe('pooling layers', () => {
  it('default to a 2x2 window with strides equal to the window', () => {
    const p = layers.maxPooling2d();
    expect(p.getConfig()).toMatchObject({ poolSize: [2, 2], strides: [2, 2], padding: 'valid' });
    expect(layers.averagePooling2d({ poolSize: 3 }).getConfig()).toMatchObject({ poolSize: [3, 3], strides: [3, 3] });
  });

  it('compute Keras output shapes', () => {
    expect(layers.maxPooling2d().computeOutputShape([15, 15, 8])).toEqual([7, 7, 8]);
    expect(layers.maxPooling2d({ padding: 'same' }).computeOutputShape([15, 15, 8])).toEqual([8, 8, 8]);
    expect(layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }).computeOutputShape([5, 4, 2])).toEqual([5, 4, 2]);
    expect(layers.globalAveragePooling2d().computeOutputShape([5, 4, 2])).toEqual([2]);
    expect(layers.globalAveragePooling2d({ keepdims: true }).computeOutputShape([5, 4, 2])).toEqual([1, 1, 2]);
    expect(() => layers.maxPooling2d({ poolSize: 4, name: 'p' }).computeOutputShape([3, 8, 1])).toThrowError(
      /^p: the 4x4 pool does not fit the input shape \[3,8,1\] with padding 'valid'$/,
    );
  });

  it('validate their arguments', () => {
    expect(() => layers.maxPooling2d({ poolSize: 0 })).toThrowError(
      /MaxPooling2D: poolSize must be a positive integer or a pair of them, got 0/,
    );
    expect(() => layers.averagePooling2d({ padding: 'full' as 'same' })).toThrowError(
      /AveragePooling2D: padding must be 'valid' or 'same'/,
    );
  });

  it("'same' max pooling never picks the padding", () => {
    const x = tl.full([1, 1, 5, 5], -3);
    const y = layers.maxPooling2d({ poolSize: 2, padding: 'same' }).call(x, { training: false });
    expect(y.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(y.data())).toEqual(new Array(9).fill(-3));
  });

  it("'same' average pooling leaves the padding out of each mean, as Keras", () => {
    const x = tl.full([1, 2, 5, 5], 7);
    const y = layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).call(x, { training: false });
    expect(y.shape).toEqual([1, 2, 3, 3]);
    // Windows at the edge hold 6 or 4 real values, not 9: their mean is still 7 (up to float rounding).
    y.data().forEach((v) => expect(v).toBeCloseTo(7, 5));
  });

  it("ops.maxPool2d / avgPool2d take 'same' too, on 4-D and 3-D inputs alike", () => {
    const x = tl.randn([2, 3, 5, 4]);
    for (const pool of [tl.ops.maxPool2d, tl.ops.avgPool2d]) {
      const batched = pool(x, 3, { stride: 2, padding: 'same' });
      expect(batched.shape).toEqual([2, 3, 3, 2]);
      expect(pool(x.narrow(0, 1, 1).squeeze(0), 3, { stride: 2, padding: 'same' }).data()).toEqual(
        batched.narrow(0, 1, 1).squeeze(0).data(),
      );
    }
    expect(() => tl.ops.maxPool2d(x, 2, { padding: 'same', ceilMode: true })).toThrowError(/ceilMode must be false/);
    expect(() => tl.ops.avgPool2d(x, 2, { padding: 'full' as 'same' })).toThrowError(/^avgPool2d: unknown padding 'full'/);
  });

  it('output shapes come from the same arithmetic as the ops, even for windows far larger than any input', () => {
    expect(() => layers.conv2d({ filters: 1, kernelSize: 2 ** 40, dilationRate: 2 ** 40 }).computeOutputShape([8, 8, 1])).toThrowError(
      /does not fit the input shape/,
    );
    expect(layers.maxPooling2d({ poolSize: 7, strides: 3, padding: 'same' }).computeOutputShape([10, 11, 2])).toEqual([4, 4, 2]);
    expect(layers.maxPooling2d({ poolSize: 7, strides: 3 }).computeOutputShape([10, 11, 2])).toEqual([2, 2, 2]);
  });

  it('global average pooling is the mean over height and width', () => {
    const x = tl.randn([2, 3, 4, 5]);
    const y = layers.globalAveragePooling2d().call(x, { training: false });
    expect(y.shape).toEqual([2, 3]);
    expect(y.data()).toEqual(x.mean([2, 3]).data());
  });
});
