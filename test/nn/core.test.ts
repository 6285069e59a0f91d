import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

const { layers } = tl;

describe('Dense', () => {
  it('validates its arguments and has Keras defaults', () => {
    expect(() => layers.dense({ units: 1.5 })).toThrowError(/^Dense: units must be a positive integer, got 1.5$/);
    expect(() => layers.dense({ units: 2, activation: 'sofmax' as 'softmax' })).toThrowError(/Dense: unknown activation "sofmax"/);
    expect(layers.dense({ units: 3 }).getConfig()).toMatchObject({
      units: 3,
      activation: 'linear',
      useBias: true,
      kernelInitializer: 'glorotUniform',
      biasInitializer: 'zeros',
    });
  });

  it('maps the last axis: [..., in] → [..., units], kernel stored [units, in]', () => {
    const d = layers.dense({ units: 3, biasInitializer: 'ones', activation: 'tanh' });
    expect(d.computeOutputShape([5, 7])).toEqual([5, 3]);
    d.build([7], 'cpu');
    const [kernel, bias] = d.weights.map((w) => w.tensor);
    expect(kernel.shape).toEqual([3, 7]);
    const x = tl.randn([4, 7]);
    const expected = tl.ops.tanh(x.matmul(kernel.transpose(0, 1)).add(bias));
    const got = d.call(x, { training: false }).data();
    expected.data().forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
  });

  it('rejects an input whose feature count differs from the one it was built for', () => {
    const d = layers.dense({ units: 3, name: 'd' });
    d.build([7], 'cpu');
    expect(() => d.build([8], 'cpu')).toThrowError(/^d: built for input shape \[7\], called with \[8\]$/);
  });
});

describe('Flatten', () => {
  it("flattens NCHW batches in Keras's height-width-channel order", () => {
    const nhwc = tl.arange(2 * 3 * 4 * 5, { dtype: 'float32' }).reshape([2, 3, 4, 5]);
    const internal = nhwc.permute([0, 3, 1, 2]); // what the model hands its layers
    const flat = layers.flatten().call(internal, { training: false });
    expect(flat.shape).toEqual([2, 60]);
    expect(flat.data()).toEqual(nhwc.reshape([2, 60]).data());
    expect(layers.flatten().computeOutputShape([3, 4, 5])).toEqual([60]);
  });
});
