import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

const { layers, ops } = tl;

describe('Conv2D', () => {
  it('has Keras defaults', () => {
    const c = layers.conv2d({ filters: 4, kernelSize: 3 });
    expect(c.getConfig()).toMatchObject({
      filters: 4,
      kernelSize: [3, 3],
      strides: [1, 1],
      padding: 'valid',
      dilationRate: [1, 1],
      groups: 1,
      activation: 'linear',
      useBias: true,
      kernelInitializer: 'glorotUniform',
      biasInitializer: 'zeros',
    });
  });

  it('validates its arguments when constructed', () => {
    expect(() => layers.conv2d({ filters: 0, kernelSize: 3 })).toThrowError(/^Conv2D: filters must be a positive integer, got 0$/);
    expect(() => layers.conv2d({ filters: 2, kernelSize: [3] as unknown as number })).toThrowError(
      /Conv2D: kernelSize must be a positive integer or a pair of them, got \[3\]/,
    );
    expect(() => layers.conv2d({ filters: 2, kernelSize: 3, padding: 'full' as 'same' })).toThrowError(
      /Conv2D: padding must be 'valid' or 'same', got "full"/,
    );
    expect(() => layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu6' as 'relu' })).toThrowError(
      /^Conv2D: unknown activation "relu6" \(expected one of linear, relu/,
    );
    expect(() => layers.conv2d({ filters: 2, kernelSize: 3, kernelInitializer: 'identity' as 'zeros' })).toThrowError(
      /unknown kernelInitializer "identity"/,
    );
    expect(() => layers.conv2d({ filters: 6, kernelSize: 3, groups: 4 })).toThrowError(
      /groups must be a positive integer dividing filters \(6\)/,
    );
    expect(() => layers.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channels_first' as 'channelsLast' })).toThrowError(
      /only dataFormat 'channelsLast'/,
    );
    expect(() => layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [32, -1, 3] })).toThrowError(
      /inputShape must be an array of positive integers/,
    );
  });

  it('computes Keras output shapes', () => {
    expect(layers.conv2d({ filters: 8, kernelSize: 3 }).computeOutputShape([32, 32, 3])).toEqual([30, 30, 8]);
    expect(layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same' }).computeOutputShape([32, 31, 3])).toEqual([32, 31, 8]);
    expect(layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same' }).computeOutputShape([9, 8, 3])).toEqual([5, 4, 8]);
    expect(layers.conv2d({ filters: 8, kernelSize: [2, 3], strides: [2, 1] }).computeOutputShape([9, 8, 3])).toEqual([4, 6, 8]);
    expect(layers.conv2d({ filters: 8, kernelSize: 3, dilationRate: 2 }).computeOutputShape([9, 9, 3])).toEqual([5, 5, 8]);
    const named = layers.conv2d({ filters: 8, kernelSize: 5, name: 'c' });
    expect(() => named.computeOutputShape([3, 3, 1])).toThrowError(
      /^c: the 5x5 kernel does not fit the input shape \[3,3,1\] with padding 'valid'$/,
    );
    expect(() => named.computeOutputShape([3, 3])).toThrowError(
      /c: expects images \[height, width, channels\] \(rank 3 per example\), got input shape \[3,3\]/,
    );
  });

  it('builds a channels-last [filters, in, kh, kw] kernel with glorot-uniform values and a zero bias', () => {
    const c = layers.conv2d({ filters: 64, kernelSize: 3 });
    c.build([16, 16, 32], 'cpu');
    const [kernel, bias] = c.weights;
    expect(kernel.name).toBe('kernel');
    expect(kernel.tensor.shape).toEqual([64, 32, 3, 3]);
    expect(kernel.tensor.isContiguous('channelsLast')).toBe(true);
    expect(kernel.tensor.requiresGrad).toBe(true);
    const limit = Math.sqrt(6 / (9 * 32 + 9 * 64));
    expect(kernel.tensor.abs().max().item()).toBeLessThanOrEqual(limit);
    // A uniform on [-limit, limit] has standard deviation limit / sqrt(3).
    const std = Math.sqrt(kernel.tensor.pow(2).mean().item() as number);
    expect(std).toBeCloseTo(limit / Math.sqrt(3), 3);
    expect(bias.tensor.abs().max().item()).toBe(0);
    expect(c.countParams()).toBe(64 * 32 * 9 + 64);
  });

  it('computes ops.conv2d plus the activation on NCHW batches', () => {
    const c = layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', biasInitializer: 'ones' });
    c.build([9, 9, 3], 'cpu');
    const x = tl.randn([2, 3, 9, 9]);
    const [kernel, bias] = c.weights.map((w) => w.tensor);
    const expected = ops.relu(ops.conv2d(x, kernel, bias, { stride: 2, padding: 'same' }));
    expect(c.call(x, { training: false }).data()).toEqual(expected.data());
  });

  it('recreates itself from its config', () => {
    const c = layers.conv2d({ filters: 4, kernelSize: [2, 3], strides: 2, activation: 'gelu', name: 'mine' });
    expect(new tl.Conv2D(c.getConfig() as never).getConfig()).toEqual(c.getConfig());
  });
});
