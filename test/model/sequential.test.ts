import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { referenceModel } from '../helpers/images.js';

const { layers } = tl;

describe('Sequential structure', () => {
  it('names layers as Keras does, uniquely', () => {
    const m = tl.sequential([
      layers.dense({ units: 2, inputShape: [3] }),
      layers.reLU(),
      layers.dense({ units: 2 }),
      layers.batchNormalization(),
      layers.dense({ units: 1, name: 'out' }),
    ]);
    expect(m.layers.map((l) => l.name)).toEqual(['dense', 're_lu', 'dense_1', 'batch_normalization', 'out']);
    expect(() => m.add(layers.dense({ units: 1, name: 'out' }))).toThrowError(
      /^Sequential.add: the model already has a layer named 'out'$/,
    );
    expect(() => m.add(layers.dense({ units: 1, inputShape: [2] }))).toThrowError(/only the first layer takes an inputShape/);
    expect(() => m.add({} as tl.Layer)).toThrowError(TypeError);
  });

  it('summary() prints the Keras table with 361,034 parameters for the reference model', () => {
    const lines: string[] = [];
    referenceModel().summary((line) => lines.push(line));
    const text = lines.join('\n');
    expect(text).toContain('Model: "sequential"');
    expect(text).toMatch(/│ conv2d \(Conv2D\)\s+│ \(None, 30, 30, 32\)\s+│\s+896 │/);
    expect(text).toMatch(/│ max_pooling2d_2 \(MaxPooling2D\)\s+│ \(None, 2, 2, 128\)\s+│\s+0 │/);
    expect(text).toMatch(/│ flatten \(Flatten\)\s+│ \(None, 512\)\s+│\s+0 │/);
    expect(text).toMatch(/│ dense \(Dense\)\s+│ \(None, 512\)\s+│\s+262,656 │/);
    expect(text).toContain(' Total params: 361,034 (1.38 MB)');
    expect(text).toContain(' Trainable params: 361,034 (1.38 MB)');
    expect(text).toContain(' Non-trainable params: 0 (0.00 B)');
  });

  it('counts non-trainable batch-norm statistics apart', () => {
    const m = tl.sequential([layers.dense({ units: 4, inputShape: [3] }), layers.batchNormalization()]);
    expect(m.countParams()).toBe(16 + 16);
    expect(m.trainableWeights.length).toBe(4);
    const lines: string[] = [];
    m.summary((l) => lines.push(l));
    expect(lines.join('\n')).toContain('Non-trainable params: 8 (32.00 B)');
  });

  it('builds lazily from the first input when no inputShape is given', () => {
    const m = tl.sequential([layers.dense({ units: 2 })]);
    expect(m.built).toBe(false);
    expect(() => m.summary()).toThrowError(/the input shape is unknown/);
    m.build([5]);
    expect(m.outputShape).toEqual([2]);
    expect(m.namedWeights().map(([n, t]) => [n, t.shape])).toEqual([
      ['dense/kernel', [2, 5]],
      ['dense/bias', [2]],
    ]);
  });

  it('reports shape errors naming both shapes', () => {
    const m = tl.sequential([
      layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [4, 4, 3] }),
      layers.conv2d({ filters: 2, kernelSize: 3 }),
    ]);
    expect(() => m.build()).toThrowError(/^conv2d_1: the 3x3 kernel does not fit the input shape \[2,2,2\] with padding 'valid'$/);
  });

  it('getWeights returns copies and setWeights assigns in place, checking shapes', () => {
    const m = tl.sequential([layers.dense({ units: 2, inputShape: [3] })]);
    const before = m.getWeights();
    m.setWeights([tl.ones([2, 3]), tl.full([2], 5)]);
    expect(Array.from(m.getWeights()[1].data())).toEqual([5, 5]);
    expect(before[1].data()).toEqual(new Float32Array([0, 0]));
    expect(() => m.setWeights([tl.ones([3, 2]), tl.ones([2])])).toThrowError(
      /^setWeights: 'dense\/kernel' is float32 \[2,3\], got float32 \[3,2\]$/,
    );
    expect(() => m.setWeights([tl.ones([3, 2])])).toThrowError(/the model has 2 weights, got 1/);
  });

  it('to() moves the weights; asking for CUDA without it is a clear error', () => {
    const m = tl.sequential([layers.dense({ units: 2, inputShape: [3] })]).to('cpu');
    expect(m.device).toBe('cpu');
    expect(m.trainableWeights.every((w) => w.device === 'cpu' && w.requiresGrad && w.isLeaf)).toBe(true);
    if (!tl.cuda.isAvailable())
      expect(() => m.to('cuda')).toThrowError(/^sequential.to: device 'cuda' requested but CUDA is not available/);
  });
});

describe('compile', () => {
  const model = () => tl.sequential([layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })]);

  it('accepts optimizer and loss names in both spellings, and Optimizer instances', () => {
    for (const loss of [
      'sparseCategoricalCrossentropy',
      'sparse_categorical_crossentropy',
      'categorical_crossentropy',
      'binaryCrossentropy',
      'mean_squared_error',
      'mse',
    ] as tl.LossName[]) {
      const m = model();
      m.compile({ optimizer: 'adam', loss });
      expect(m.compiled).toBe(true);
    }
    const m = model();
    m.compile({ optimizer: 'SGD', loss: 'mse' });
    expect(m.optimizer?.name).toBe('SGD');
    for (const name of ['RMSprop', 'adagrad', 'Adamax', 'nadam', 'lion'] as const) {
      m.compile({ optimizer: name, loss: 'mse' });
      expect(m.optimizer?.name.toLowerCase()).toBe(name.toLowerCase());
      expect(m.optimizer?.formula).toBe('keras');
    }
    const adam = new tl.optim.Adam({ learningRate: 0.1 });
    m.compile({ optimizer: adam, loss: 'mse' });
    expect(m.optimizer).toBe(adam);
    expect(adam.isAttached).toBe(true);
  });

  it('rejects unknown optimizer, loss and metric names', () => {
    expect(() => model().compile({ optimizer: 'ftrl' as 'adam', loss: 'mse' })).toThrowError(
      /^compile: unknown optimizer "ftrl" \(expected one of 'adam', 'adamw', 'sgd', 'rmsprop', 'adagrad', 'adamax', 'nadam', 'lion', or an Optimizer\)$/,
    );
    expect(() => model().compile({ optimizer: 'nadam', loss: 'mse', cudaGraph: true })).toThrowError(
      /^compile: cudaGraph cannot replay Nadam's update: it scales each step by factors of the step count computed on the host/,
    );
    expect(() => model().compile({ optimizer: 'adam', loss: 'hinge' as 'mse' })).toThrowError(
      /^compile: unknown loss "hinge" \(expected one of sparseCategoricalCrossentropy/,
    );
    expect(() => model().compile({ optimizer: 'adam', loss: 'mse', metrics: ['f1Score' as 'accuracy'] })).toThrowError(
      /compile: unknown metric "f1Score" \(expected one of accuracy, topKCategoricalAccuracy, sparseTopKCategoricalAccuracy, precision, recall, auc/,
    );
    expect(() => model().compile({ optimizer: 42 as unknown as 'adam', loss: 'mse' })).toThrowError(TypeError);
  });
});
