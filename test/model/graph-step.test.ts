// compile({ cudaGraph: true }) on CUDA: the captured step must train exactly as the eager step
// does (up to cuDNN's float rounding), through partial batches, learning-rate changes, dropout
// and bf16. Skipped without CUDA (test/model/step.test.ts covers the CPU's behaviour).
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

const { layers } = tl;
const cuda = tl.cuda.isAvailable();

function convNet(dropout = 0): tl.Sequential {
  return tl.sequential([
    layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [12, 12, 3] }),
    layers.maxPooling2d(),
    layers.batchNormalization(),
    layers.flatten(),
    ...(dropout > 0 ? [layers.dropout({ rate: dropout })] : []),
    layers.dense({ units: 5, activation: 'softmax' }),
  ]);
}

async function train(options: { cudaGraph: boolean; lrSchedule?: boolean; precision?: 'bf16'; dropout?: number }) {
  tl.manualSeed(7);
  const x = tl.rand([72, 12, 12, 3]); // 72 = 4 batches of 16 and a partial batch of 8
  const y = tl.randint(0, 5, [72]);
  const model = convNet(options.dropout).to('cuda');
  model.compile({
    optimizer: new tl.optim.SGD({ learningRate: 0.05, momentum: 0.9 }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
    cudaGraph: options.cudaGraph,
    mixedPrecision: options.precision ?? null,
    cudnnBenchmark: false,
  });
  const schedule = { onEpochBegin: (epoch: number) => void (epoch === 2 && (model.optimizer!.learningRate = 0.01)) };
  const history = await model.fit(x, y, {
    epochs: 4,
    batchSize: 16,
    shuffle: false,
    verbose: 0,
    callbacks: options.lrSchedule ? [schedule] : [],
  });
  return { history: history.history, weights: model.getWeights().map((w) => w.data()) };
}

function expectSameTraining(a: Awaited<ReturnType<typeof train>>, b: Awaited<ReturnType<typeof train>>): void {
  for (const key of ['loss', 'accuracy']) a.history[key].forEach((v, k) => expect(v).toBeCloseTo(b.history[key][k], 4));
  a.weights.forEach((w, k) =>
    w.forEach((v, i) => expect(Math.abs(v - b.weights[k][i])).toBeLessThan(1e-3 + 1e-3 * Math.abs(b.weights[k][i]))),
  );
}

describe.skipIf(!cuda)('training with a CUDA graph', () => {
  it('trains as the eager step does, including the partial last batch', async () => {
    expectSameTraining(await train({ cudaGraph: true }), await train({ cudaGraph: false }));
  });

  it('recaptures when the learning rate changes', async () => {
    expectSameTraining(await train({ cudaGraph: true, lrSchedule: true }), await train({ cudaGraph: false, lrSchedule: true }));
  });

  it('trains with dropout (graph-safe random numbers) and in bf16', async () => {
    for (const run of [await train({ cudaGraph: true, dropout: 0.3 }), await train({ cudaGraph: true, precision: 'bf16' })]) {
      expect(run.history.loss.every(Number.isFinite)).toBe(true);
      expect(run.history.loss[3]).toBeLessThan(run.history.loss[0]);
    }
  });

  it('leaves no tensors behind: the live count does not grow with more fits and steps', async () => {
    // One model throughout: its weights and optimizer state are made by the first fit, so any
    // tensor a later fit, capture or replay leaves alive (or to the GC) changes the count.
    const x = tl.rand([72, 12, 12, 3]);
    const y = tl.randint(0, 5, [72]);
    const model = convNet().to('cuda');
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'], cudaGraph: true });
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    const after1 = tl.memory().tensors;
    await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
    expect(tl.memory().tensors).toBe(after1);
  });

  it('exports the optimizer step counts that live on the device', async () => {
    const model = convNet().to('cuda');
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', cudaGraph: true });
    await model.fit(tl.rand([80, 12, 12, 3]), tl.randint(0, 5, [80]), { epochs: 1, batchSize: 16, verbose: 0 });
    expect(model.optimizer!.getState().steps.every((s) => s === 5)).toBe(true);
  });
});
