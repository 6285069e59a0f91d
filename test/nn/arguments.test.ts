// Every layer argument check at its boundary, with its message, and the layer behaviours that
// follow from the arguments (weights made or not, fan sizes with groups, configs). Written against
// the survivors of mutation testing (npm run mutate).
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

const { layers } = tl;

function maxAbs(t: tl.Tensor): number {
  return Math.max(...Array.from(t.data(), (v) => Math.abs(Number(v))));
}

describe('layer names and the base config', () => {
  it('a name is letters, digits, _, . and -, all of it', () => {
    expect(layers.dense({ units: 1, name: 'dense_1.a-B' }).name).toBe('dense_1.a-B');
    for (const bad of ['a b', ' a', 'a ', 'a/b', '']) {
      expect(() => layers.dense({ units: 1, name: bad })).toThrowError(
        `Dense: name must be a non-empty string of letters, digits, '_', '.' and '-', got ${JSON.stringify(bad)}`,
      );
    }
    expect(() => layers.dense({ units: 1, name: 3 as unknown as string })).toThrowError(TypeError);
  });

  it('the config has the name and trainability, and the input shape only when one was given', () => {
    expect(layers.flatten({ name: 'f' }).getConfig()).toStrictEqual({ name: 'f', trainable: true });
    expect(layers.flatten({ name: 'f', inputShape: [2, 3] }).getConfig()).toEqual({ name: 'f', trainable: true, inputShape: [2, 3] });
  });

  it('builds once: another input shape later is an error naming both', () => {
    const dense = layers.dense({ units: 2, name: 'd' });
    expect(dense.built).toBe(false);
    dense.build([3], 'cpu');
    expect(dense.built).toBe(true);
    dense.build([3], 'cpu');
    expect(() => dense.build([4], 'cpu')).toThrowError('d: built for input shape [3], called with [4]');
    dense.dispose();
    expect(dense.built).toBe(false);
    expect(dense.weights).toEqual([]);
  });

  it('a layer called before it is built says so', () => {
    expect(() => layers.dense({ units: 1, name: 'early' }).call(tl.ones([1, 2]), { training: false })).toThrowError(
      "early: has no weight 'kernel' (is it built?)",
    );
  });

  it('moveTo keeps weights on their device and their requiresGrad', () => {
    const dense = layers.dense({ units: 2 });
    dense.build([3], 'cpu');
    const [kernel] = dense.weights;
    dense.moveTo('cpu');
    expect(dense.weights[0].tensor).toBe(kernel.tensor); // already there: the same tensor
    expect(dense.trainableWeights.every((w) => w.requiresGrad)).toBe(true);
  });

  it('a layer that is not trainable offers no weights to train', () => {
    const dense = layers.dense({ units: 2, trainable: false });
    dense.build([3], 'cpu');
    expect(dense.weights).toHaveLength(2);
    expect(dense.trainableWeights).toEqual([]);
  });
});

describe('shape and count arguments', () => {
  it('counts are positive integers', () => {
    expect(layers.dense({ units: 1 }).units).toBe(1);
    for (const [units, shown] of [
      [0, '0'],
      [-1, '-1'],
      [1.5, '1.5'],
      [NaN, 'NaN'],
      ['2', '"2"'],
    ] as const) {
      expect(() => layers.dense({ units: units as number })).toThrowError(`Dense: units must be a positive integer, got ${shown}`);
    }
    expect(() => new tl.Dense(undefined as never)).toThrowError('Dense: units must be a positive integer, got undefined');
    expect(() => new tl.Conv2D(undefined as never)).toThrowError('Conv2D: filters must be a positive integer, got undefined');
  });

  it('input shapes are non-empty arrays of positive integers', () => {
    for (const inputShape of [[], [0], [2, 0], 'x', [1.5]]) {
      expect(() => layers.flatten({ inputShape: inputShape as number[] })).toThrowError(
        /Flatten: inputShape must be an array of positive integers/,
      );
    }
  });

  it('sizes are a positive integer or a pair of them', () => {
    expect(layers.maxPooling2d({ poolSize: [2, 3] }).poolSize).toEqual([2, 3]);
    for (const poolSize of [[2, 0], [0, 2], [2, 2, 2], 0, [1.5, 2]]) {
      expect(() => layers.maxPooling2d({ poolSize: poolSize as number })).toThrowError(
        /MaxPooling2D: poolSize must be a positive integer or a pair of them/,
      );
    }
    expect(() => layers.conv2d({ filters: 1, kernelSize: 3, strides: 0 })).toThrowError(/^Conv2D: strides must be/);
    expect(() => layers.conv2d({ filters: 1, kernelSize: 3, dilationRate: [1, 0] })).toThrowError(/^Conv2D: dilationRate must be/);
    expect(() => layers.averagePooling2d({ strides: 0 })).toThrowError(/^AveragePooling2D: strides must be/);
  });

  it("dataFormat may be given as Keras's channels-last, in either spelling, and nothing else", () => {
    expect(() => layers.conv2d({ filters: 1, kernelSize: 1, dataFormat: 'channels_last' })).not.toThrow();
    expect(() => layers.maxPooling2d({ dataFormat: 'channelsLast' })).not.toThrow();
    expect(() => layers.maxPooling2d({ dataFormat: 'channels_last' as 'channelsLast' })).not.toThrow();
    expect(() => layers.maxPooling2d({ dataFormat: 'channelsFirst' as 'channelsLast' })).toThrowError(
      `MaxPooling2D: only dataFormat 'channelsLast' is supported (inputs are [height, width, channels]), got "channelsFirst"`,
    );
  });
});

describe('Conv2D groups', () => {
  it('must be a positive integer dividing filters, and input channels', () => {
    for (const groups of [0, 1.5, 3]) {
      expect(() => layers.conv2d({ filters: 4, kernelSize: 1, groups })).toThrowError(
        `Conv2D: groups must be a positive integer dividing filters (4), got ${groups}`,
      );
    }
    const conv = layers.conv2d({ filters: 4, kernelSize: 1, groups: 2, name: 'g' });
    expect(() => conv.computeOutputShape([5, 5, 3])).toThrowError('g: input channels (3) must be divisible by groups (2)');
    expect(conv.computeOutputShape([5, 5, 4])).toEqual([5, 5, 4]);
  });

  it('a kernel exactly the input size gives a 1x1 output; one larger does not fit', () => {
    const conv = layers.conv2d({ filters: 2, kernelSize: 3 });
    expect(conv.computeOutputShape([3, 3, 1])).toEqual([1, 1, 2]);
    expect(() => conv.computeOutputShape([3, 2, 1])).toThrowError(/does not fit the input shape \[3,2,1\]/);
  });

  it('draws glorot-uniform weights with the grouped fans: fanIn = k·k·in/groups, fanOut = k·k·filters/groups', () => {
    tl.manualSeed(3);
    const conv = layers.conv2d({ filters: 4, kernelSize: 3, groups: 2 });
    conv.build([6, 6, 4], 'cpu');
    const kernel = conv.weights[0].tensor;
    expect(kernel.shape).toEqual([4, 2, 3, 3]);
    const limit = Math.sqrt(6 / (9 * 2 + 9 * 2));
    expect(maxAbs(kernel)).toBeLessThanOrEqual(limit);
    // 72 draws from [-limit, limit] come close to it; wrong fans would give a limit of 0.26 or less.
    expect(maxAbs(kernel)).toBeGreaterThan(0.3);
  });
});

describe('Dense and BatchNormalization weights follow their flags', () => {
  it('Dense without bias has a kernel only; a feature axis is required', () => {
    const dense = layers.dense({ units: 2, useBias: false, name: 'nb' });
    dense.build([3], 'cpu');
    expect(dense.weights.map((w) => w.name)).toEqual(['kernel']);
    expect(() => layers.dense({ units: 2, name: 'd0' }).computeOutputShape([])).toThrowError(
      'd0: expects inputs with a feature axis, got input shape []',
    );
  });

  it('BatchNormalization makes gamma and beta only when scaling and centering', () => {
    const names = (args: tl.BatchNormalizationArgs) => {
      const bn = layers.batchNormalization(args);
      bn.build([4, 4, 3], 'cpu');
      return bn.weights.map((w) => w.name);
    };
    expect(names({})).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
    expect(names({ scale: false })).toEqual(['beta', 'moving_mean', 'moving_variance']);
    expect(names({ center: false })).toEqual(['gamma', 'moving_mean', 'moving_variance']);
  });

  it('BatchNormalization takes momentum in [0, 1], epsilon > 0 and the last axis only', () => {
    expect(layers.batchNormalization({ momentum: 0 }).momentum).toBe(0);
    expect(layers.batchNormalization({ momentum: 1 }).momentum).toBe(1);
    for (const momentum of [-0.1, 1.1, NaN]) {
      expect(() => layers.batchNormalization({ momentum })).toThrowError(`BatchNormalization: momentum must be in [0, 1], got ${momentum}`);
    }
    for (const epsilon of [0, -1e-3, NaN]) {
      expect(() => layers.batchNormalization({ epsilon })).toThrowError(`BatchNormalization: epsilon must be > 0, got ${epsilon}`);
    }
    expect(() => layers.batchNormalization({ axis: -1 })).not.toThrow();
    expect(() => layers.batchNormalization({ axis: 1 })).toThrowError(/^BatchNormalization: only axis -1/);
    expect(() => layers.batchNormalization({ gammaInitializer: 'bogus' as 'ones' })).toThrowError(
      /^BatchNormalization: unknown gammaInitializer "bogus"/,
    );
    expect(() => layers.batchNormalization({ betaInitializer: 'bogus' as 'ones' })).toThrowError(
      /^BatchNormalization: unknown betaInitializer "bogus"/,
    );
    expect(() => layers.batchNormalization({ movingMeanInitializer: 'bogus' as 'ones' })).toThrowError(
      /unknown movingMeanInitializer "bogus"/,
    );
  });
});

describe('initializer and activation names', () => {
  it('an initializer that is not a known name is a RangeError listing the known ones', () => {
    for (const bad of [5, 'identity']) {
      expect(() => layers.dense({ units: 1, kernelInitializer: bad as 'zeros' })).toThrowError(
        new RegExp(`^Dense: unknown kernelInitializer ${JSON.stringify(bad)} \\(expected one of zeros, ones, glorotUniform`),
      );
    }
    expect(() => layers.dense({ units: 1, biasInitializer: 'bogus' as 'zeros' })).toThrowError(/^Dense: unknown biasInitializer "bogus"/);
    expect(() => layers.conv2d({ filters: 1, kernelSize: 1, biasInitializer: 'bogus' as 'zeros' })).toThrowError(
      /^Conv2D: unknown biasInitializer "bogus"/,
    );
  });

  it('normal initializers draw past the uniform bound of the same variance; uniform ones never do', () => {
    tl.manualSeed(5);
    const fanIn = 10;
    for (const [name, scale] of [
      ['heNormal', 2],
      ['glorotNormal', 1],
      ['lecunNormal', 1],
    ] as const) {
      const dense = layers.dense({ units: 400, kernelInitializer: name });
      dense.build([fanIn], 'cpu');
      const fan = name === 'glorotNormal' ? (fanIn + 400) / 2 : fanIn;
      expect(maxAbs(dense.weights[0].tensor), name).toBeGreaterThan(Math.sqrt((3 * scale) / fan));
    }
    const uniform = layers.dense({ units: 400, kernelInitializer: 'heUniform' });
    uniform.build([fanIn], 'cpu');
    expect(maxAbs(uniform.weights[0].tensor)).toBeLessThanOrEqual(Math.sqrt(6 / fanIn));
  });

  it('an activation that is not a name is an error; none at all is linear', () => {
    expect(() => layers.dense({ units: 1, activation: 3 as unknown as 'relu' })).toThrowError(
      /^Dense: unknown activation 3 \(expected one of linear/,
    );
    expect(layers.dense({ units: 1, activation: null as unknown as 'relu' }).activation).toBe('linear');
    expect(() => new tl.Activation(undefined as never)).not.toThrow();
    expect(new tl.Activation(undefined as never).activation).toBe('linear');
    expect(() => layers.activation({ activation: 'bogus' as 'relu' })).toThrowError(/^Activation: unknown activation "bogus"/);
    expect(layers.relu()).toBeInstanceOf(tl.ReLU);
    expect(layers.reLU()).toBeInstanceOf(tl.ReLU);
  });
});

describe('Activation, ReLU and Dropout', () => {
  it('softmax over the last axis of a 3-D batch (channels are dim 1 only for images)', () => {
    const x = tl.randn([2, 3, 5]);
    const y = layers.activation({ activation: 'softmax' }).call(x, { training: false });
    y.sum(-1)
      .data()
      .forEach((s) => expect(s).toBeCloseTo(1, 5));
  });

  it('configs recreate the layers', () => {
    expect(layers.activation({ activation: 'tanh', name: 'a' }).getConfig()).toEqual({ name: 'a', trainable: true, activation: 'tanh' });
    expect(layers.reLU({ maxValue: 6, negativeSlope: 0.1, name: 'r' }).getConfig()).toEqual({
      name: 'r',
      trainable: true,
      maxValue: 6,
      negativeSlope: 0.1,
    });
    expect(layers.dropout({ rate: 0.25, name: 'dr' }).getConfig()).toEqual({ name: 'dr', trainable: true, rate: 0.25 });
    expect(layers.reLU().computeOutputShape([4, 5, 3])).toEqual([4, 5, 3]);
  });

  it('ReLU takes maxValue >= 0 (or none) and negativeSlope >= 0', () => {
    expect(() => layers.reLU({ maxValue: 0, negativeSlope: 0 })).not.toThrow();
    expect(() => layers.reLU({ maxValue: -1 })).toThrowError('ReLU: maxValue must be >= 0, got -1');
    expect(() => layers.reLU({ maxValue: NaN })).toThrowError('ReLU: maxValue must be >= 0, got NaN');
    expect(() => layers.reLU({ negativeSlope: -0.5 })).toThrowError('ReLU: negativeSlope must be >= 0, got -0.5');
    expect(() => layers.reLU({ negativeSlope: NaN })).toThrowError('ReLU: negativeSlope must be >= 0, got NaN');
  });

  it('Dropout takes a rate in [0, 1); at rate 0 it hands its input through, even while training', () => {
    const x = tl.randn([4, 3]);
    expect(layers.dropout({ rate: 0 }).call(x, { training: true })).toBe(x);
    expect(layers.dropout({ rate: 0.5 }).call(x, { training: false })).toBe(x);
    for (const rate of [1, -0.1, NaN]) expect(() => layers.dropout({ rate })).toThrowError(`Dropout: rate must be in [0, 1), got ${rate}`);
    expect(() => new tl.Dropout(undefined as never)).toThrowError('Dropout: rate must be in [0, 1), got undefined');
    // A numeric string compares like a number, but is not one.
    expect(() => layers.dropout({ rate: '0.5' as unknown as number })).toThrowError('Dropout: rate must be in [0, 1), got "0.5"');
  });
});

describe("pooling with 'same' padding", () => {
  it('average pooling of ones is one everywhere: the padding is left out of each mean', () => {
    const pool = layers.averagePooling2d({ poolSize: 2, padding: 'same' });
    const y = pool.call(tl.ones([1, 2, 3, 3]), { training: false });
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expect(Array.from(y.data())).toEqual(Array(8).fill(1));
    // Where no padding is needed, the plain pooling runs.
    const exact = pool.call(tl.ones([1, 1, 4, 4]).mul(3), { training: false });
    expect(Array.from(exact.data())).toEqual(Array(4).fill(3));
  });

  it('max pooling of negative values stays negative: the padding is never the maximum', () => {
    const y = layers.maxPooling2d({ poolSize: 2, padding: 'same' }).call(tl.full([1, 1, 3, 3], -5), { training: false });
    expect(Array.from(y.data())).toEqual(Array(4).fill(-5));
  });

  it('pooling takes image inputs only', () => {
    expect(() => layers.maxPooling2d({ name: 'mp' }).computeOutputShape([4, 4])).toThrowError(
      'mp: expects images [height, width, channels] (rank 3 per example), got input shape [4,4]',
    );
  });

  it('Flatten keeps the order of inputs that are not images', () => {
    const x = tl.arange(0, 24).reshape([2, 3, 4]);
    expect(layers.flatten().call(x, { training: false }).data()).toEqual(x.reshape([2, 12]).data());
  });

  it('global average pooling keeps its dims when asked, in its config too', () => {
    const pool = layers.globalAveragePooling2d({ keepdims: true, name: 'gap' });
    expect(pool.getConfig()).toEqual({ name: 'gap', trainable: true, keepdims: true });
    expect(pool.computeOutputShape([4, 4, 3])).toEqual([1, 1, 3]);
    expect(() => pool.computeOutputShape([4, 3])).toThrowError(/gap: expects images \[height, width, channels\]/);
  });
});

describe('optimizers', () => {
  it('are named as in Keras, and list the parameters they were bound to (none before)', () => {
    expect(new tl.optim.SGD().parameters).toEqual([]);
    expect(new tl.optim.AdamW().name).toBe('AdamW');
    expect(new tl.optim.Adam().name).toBe('Adam');
    const p = tl.randn([2]).setRequiresGrad();
    const adam = new tl.optim.Adam([p], { learningRate: 0.5 });
    expect(adam.parameters).toEqual([p]);
    expect(adam.learningRate).toBe(0.5);
    expect(new tl.optim.Adam({ learningRate: 0.25 }).learningRate).toBe(0.25);
  });

  it('keep options set before binding, and take new ones after', () => {
    const adam = new tl.optim.Adam({ learningRate: 0.25 });
    expect(adam.isAttached).toBe(false);
    adam.configure({ beta1: 0.5 });
    expect(adam.options).toMatchObject({ learningRate: 0.25, beta1: 0.5 });
    adam.attach([tl.randn([2]).setRequiresGrad()]);
    expect(adam.isAttached).toBe(true);
    expect(adam.options).toMatchObject({ learningRate: 0.25, beta1: 0.5, beta2: 0.999, epsilon: 1e-7 });
    adam.learningRate = 0.125;
    expect(adam.options).toMatchObject({ learningRate: 0.125, beta1: 0.5 });
    // Options given with the parameters apply as well.
    expect(new tl.optim.Adam([tl.randn([2]).setRequiresGrad()], { beta2: 0.9 }).options.beta2).toBe(0.9);
  });

  it('export no state before a step, and copies of their buffers after one', () => {
    const p = tl.randn([3]).setRequiresGrad();
    const adam = new tl.optim.Adam([p]);
    expect(adam.getState()).toEqual({ steps: [0], buffers: { momentum: [null], velocity: [null] } });
    p.grad = tl.ones([3]);
    adam.step();
    const state = adam.getState();
    expect(state.steps).toEqual([1]);
    expect(state.buffers.momentum[0]!.shape).toEqual([3]);
  });
});
