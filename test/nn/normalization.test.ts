import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

const { layers } = tl;

describe('BatchNormalization', () => {
  it('has Keras defaults and builds gamma, beta and the moving statistics', () => {
    const bn = layers.batchNormalization();
    expect(bn.getConfig()).toMatchObject({ momentum: 0.99, epsilon: 1e-3, center: true, scale: true });
    bn.build([4, 4, 3], 'cpu');
    expect(bn.weights.map((w) => [w.name, w.trainable])).toEqual([
      ['gamma', true],
      ['beta', true],
      ['moving_mean', false],
      ['moving_variance', false],
    ]);
    expect(bn.trainableWeights.length).toBe(2);
  });

  it('normalises with batch statistics while training and updates the moving ones with Keras momentum', () => {
    const bn = layers.batchNormalization();
    bn.build([3], 'cpu');
    const x = tl.tensor([
      [1, 2, 3],
      [3, 6, 9],
    ]);
    const y = bn.call(x, { training: true });
    // Each column has mean m and biased std s: outputs are ±s / sqrt(s² + 1e-3).
    const s = [1, 2, 3];
    expect(y.toArray()).toEqual(
      [s.map((v) => Math.fround(-v / Math.sqrt(v * v + 1e-3))), s.map((v) => Math.fround(v / Math.sqrt(v * v + 1e-3)))].map((r) =>
        r.map((v) => expect.closeTo(v, 5)),
      ),
    );
    const [, , mean, variance] = bn.weights.map((w) => w.tensor);
    // moving = 0.99 * moving + 0.01 * batch (unbiased variance, as PyTorch): mean 2,4,6; variance 2,8,18
    [2, 4, 6].forEach((m, k) => expect(mean.data()[k]).toBeCloseTo(0.01 * m, 6));
    [2, 8, 18].forEach((v, k) => expect(variance.data()[k]).toBeCloseTo(0.99 + 0.01 * v, 6));
  });

  it('uses the moving statistics in eval mode', () => {
    const bn = layers.batchNormalization({ epsilon: 0.5 });
    bn.build([2], 'cpu');
    const y = bn.call(tl.tensor([[1, 2]]), { training: false });
    [1, 2].forEach((v, k) => expect(y.data()[k]).toBeCloseTo(v / Math.sqrt(1.5), 6));
  });

  it('rejects unsupported axes and inputs', () => {
    expect(() => layers.batchNormalization({ axis: 1 })).toThrowError(/only axis -1/);
    expect(() => layers.batchNormalization({ momentum: 2 })).toThrowError(/momentum must be in \[0, 1\]/);
    expect(() => layers.batchNormalization({ name: 'bn' }).computeOutputShape([3, 4])).toThrowError(
      /^bn: expects \[features\] or \[height, width, channels\] inputs, got input shape \[3,4\]$/,
    );
  });
});

describe('Dropout', () => {
  it('drops a fraction rate and rescales while training; is the identity otherwise', () => {
    const d = layers.dropout({ rate: 0.25 });
    const x = tl.ones([100000]);
    expect(d.call(x, { training: false })).toBe(x);
    const y = d.call(x, { training: true });
    const zeros = y.eq(0).sum().item() as number;
    expect(zeros / 100000).toBeCloseTo(0.25, 1);
    expect(y.max().item()).toBeCloseTo(1 / 0.75, 5);
  });

  it('validates its rate', () => {
    expect(() => layers.dropout({ rate: 1 })).toThrowError(/^Dropout: rate must be in \[0, 1\), got 1$/);
  });
});
