import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

const { layers, ops } = tl;
const x = tl.tensor([[-2, -0.5, 0, 0.5, 3]]);

describe('activations', () => {
  it('accept camelCase and snake_case names', () => {
    const snake = layers.activation({ activation: 'leaky_relu' });
    const camel = layers.activation({ activation: 'leakyRelu' });
    expect(snake.call(x).data()).toEqual(camel.call(x).data());
    expect(snake.call(x).data()).toEqual(ops.leakyRelu(x, 0.2).data());
    expect(layers.activation({ activation: 'log_softmax' }).call(x).data()).toEqual(ops.logSoftmax(x).data());
  });

  it('map each Keras name to its op', () => {
    const cases: [tl.ActivationName, tl.Tensor][] = [
      ['linear', x],
      ['relu', ops.relu(x)],
      ['sigmoid', ops.sigmoid(x)],
      ['tanh', ops.tanh(x)],
      ['softmax', ops.softmax(x)],
      ['gelu', ops.gelu(x)],
      ['elu', ops.elu(x)],
      ['selu', ops.selu(x)],
      ['swish', ops.silu(x)],
      ['silu', ops.silu(x)],
      ['softplus', ops.softplus(x)],
    ];
    for (const [name, expected] of cases) expect(layers.activation({ activation: name }).call(x).data()).toEqual(expected.data());
  });

  it('softmax works over the channel axis of image batches', () => {
    const images = tl.randn([2, 4, 3, 3]); // NCHW inside the model
    const y = layers.activation({ activation: 'softmax' }).call(images);
    const sums = y.sum(1).data();
    sums.forEach((s) => expect(s).toBeCloseTo(1, 5));
  });

  it('rejects unknown names', () => {
    expect(() => layers.activation({ activation: 'mish' as 'relu' })).toThrowError(RangeError);
    expect(() => layers.activation({} as tl.ActivationArgs)).not.toThrowError(); // undefined means linear, as Keras
  });
});

describe('ReLU', () => {
  it('caps at maxValue and leaks with negativeSlope', () => {
    expect(Array.from(layers.reLU({ maxValue: 1 }).call(x).data())).toEqual([0, 0, 0, 0.5, 1]);
    expect(Array.from(layers.reLU({ negativeSlope: 0.5 }).call(x).data())).toEqual([-1, -0.25, 0, 0.5, 3]);
    expect(() => layers.reLU({ maxValue: -1 })).toThrowError(/ReLU: maxValue must be >= 0, got -1/);
  });
});
