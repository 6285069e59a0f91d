// Steps off the JS thread (lib/model/traced-step.ts, native/step-trace.cc, native/compute-thread.cc):
// the same numbers as eager steps, an event loop that turns while a step runs, one call at a time
// per model, the eager fallback for a step that reads tensor values.
import { describe, expect, it, vi } from 'vitest';
import * as tl from '../../lib/index.js';
import { Layer, type Shape } from '../../lib/nn/index.js';
import { native } from '../../lib/native.js';
import { wrap, type Tensor } from '../../lib/tensor.js';

const { layers } = tl;

function model(runEagerly: boolean, extra: Layer[] = []) {
  tl.manualSeed(7);
  const m = tl.sequential([
    layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 3] }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.batchNormalization(),
    layers.flatten(),
    ...extra,
    layers.dense({ units: 3, activation: 'softmax' }),
  ]);
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], runEagerly });
  return m;
}

// Eager steps run on the JS thread, which has one intra-op thread; with the compute thread on one
// too, both sum in the same order and the results are bit for bit the same.
async function onOneThread<T>(fn: () => Promise<T>): Promise<T> {
  const threads = tl.getNumThreads();
  tl.setNumThreads(1);
  try {
    return await fn();
  } finally {
    tl.setNumThreads(threads);
  }
}

const x = tl.rand([40, 8, 8, 3]);
const y = tl.randint(0, 3, [40]);

describe('steps off the JS thread', () => {
  it('give the same history, evaluation, predictions and weights as eager steps (batch norm, a partial last batch)', async () => {
    const runs: unknown[] = [];
    for (const runEagerly of [false, true])
      await onOneThread(async () => {
        const m = model(runEagerly);
        const history = await m.fit(x, y, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0, validationData: [x, y] });
        const logs = await m.trainOnBatch(x, y);
        runs.push({
          history: history.history,
          logs,
          evaluation: await m.evaluate(x, y, { batchSize: 16 }),
          predictions: Array.from((await m.predict(x, { batchSize: 16 })).data()),
          onBatch: Array.from((await m.predictOnBatch(x)).data()),
          weights: m.getWeights().map((w) => Array.from(w.data())),
        });
        m.dispose();
      });
    expect(runs[0]).toEqual(runs[1]);
  });

  it('prepare ImageDataset batches in the step (uint8 in), with the numbers of eager steps, and no trace shared between normalisations', async () => {
    tl.manualSeed(5);
    const images = tl.randint(0, 256, [40, 8, 8, 3], { dtype: 'uint8' });
    const normalize = { mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3] };
    const datasets = () => [new tl.ImageDataset(images, y), new tl.ImageDataset(images, y, { normalize })];
    const runs: unknown[] = [];
    for (const runEagerly of [false, true])
      await onOneThread(async () => {
        const m = model(runEagerly);
        const run: unknown[] = [];
        for (const d of datasets()) {
          const history = await m.fit(d, { epochs: 2, batchSize: 16, verbose: 0, validationData: d });
          run.push(history.history, await m.evaluate(d, { batchSize: 16 }), Array.from((await m.predict(d, { batchSize: 16 })).data()));
        }
        // The uint8 batch is what the steps take: one trace per normalisation, batch size and kind.
        if (!runEagerly) expect(m.traces.size).toBe(2 * 2 * 3);
        runs.push(run);
        m.dispose();
      });
    expect(runs[0]).toEqual(runs[1]);
    // And predictions from the dataset are those from its float batches.
    const m = model(false);
    const [, normalized] = datasets();
    const floats = tl.cat(
      [...normalized.batches({ batchSize: 40, shuffle: false, device: 'cpu' })].map((b) => b.x.permute([0, 2, 3, 1])),
      0,
    );
    expect(Array.from((await m.predict(normalized)).data())).toEqual(Array.from((await m.predict(floats)).data()));
    m.dispose();
  });

  it('let the event loop turn while a step runs (and an eager step does not)', async () => {
    const big = tl.rand([512, 32, 32, 3]);
    const labels = tl.randint(0, 10, [512]);
    const fires: Record<string, number> = {};
    for (const runEagerly of [false, true]) {
      const m = tl.referenceCnn();
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', runEagerly });
      await m.trainOnBatch(big, labels); // traced here: the forward pass runs on the JS thread once
      let count = 0;
      const timer = setInterval(() => count++, 1);
      await m.trainOnBatch(big, labels);
      clearInterval(timer);
      fires[runEagerly ? 'eager' : 'offThread'] = count;
      m.dispose();
    }
    expect(fires.eager).toBe(0);
    expect(fires.offThread).toBeGreaterThan(0);
  });

  it('refuse a second call on a busy model, naming both, but allow calls from its callbacks', async () => {
    const m = model(false);
    let fromCallback: number[] = [];
    const fitting = m.fit(x, y, {
      epochs: 2,
      verbose: 0,
      callbacks: {
        onEpochEnd: async () => {
          fromCallback = (await m.predict(x)).shape;
          await m.save(`${process.env.TMPDIR ?? '/tmp'}/off-thread-${process.pid}`);
        },
      },
    });
    await expect(m.predict(x)).rejects.toThrowError(/^predict: the model 'sequential' is busy with fit\(\); await it first/);
    await expect(m.fit(x, y)).rejects.toThrowError(/^fit: the model 'sequential' is busy with fit\(\)/);
    await expect(m.save('/nonexistent')).rejects.toThrowError(/^save: the model 'sequential' is busy with fit\(\)/);
    expect(() => m.dispose()).toThrowError(/^dispose: the model 'sequential' is busy with fit\(\)/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse' })).toThrowError(/^compile: the model 'sequential' is busy/);
    await fitting;
    expect(fromCallback).toEqual([40, 3]);
    expect((await m.predict(x)).shape).toEqual([40, 3]); // idle again
    m.dispose();
  });

  it('run a step that reads tensor values on the host eagerly, with one warning, and train all the same', async () => {
    class ScaleByMean extends Layer {
      computeOutputShape(inputShape: Shape): Shape {
        return inputShape;
      }
      call(input: Tensor): Tensor {
        return input.mul((input.mean().item() as number) > -1 ? 1 : 0); // a branch on a value
      }
    }
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => {
      if (w.code === 'TORCHLET_EAGER_STEP') warnings.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      const histories = [];
      for (const runEagerly of [false, true]) {
        const m = model(runEagerly, [new ScaleByMean()]);
        const history = (await onOneThread(() => m.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 }))).history;
        // Batches of 4: one job of ten steps, all but the traced first run eagerly, in order.
        const evaluation = await onOneThread(() => m.evaluate(x, y, { batchSize: 4 }));
        const predictions = Array.from((await onOneThread(() => m.predict(x, { batchSize: 4 }))).data());
        histories.push({ history, evaluation, predictions });
        m.dispose();
      }
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(histories[0]).toEqual(histories[1]);
      expect(warnings).toEqual(
        ['fit', 'evaluate', 'predict'].map(
          (label) =>
            `${label}: this model's step runs eagerly on the JS thread, because it cannot be traced: it reads tensor values on the host (1 read(s) by item() or data())`,
        ),
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('predict the batches in order while the next one is drawn during a step, and hand out ordinary tensors', async () => {
    const m = model(false);
    const whole = await m.predict(x, { batchSize: 3 }); // 14 batches, the last of 1
    const one = async (k: number) => m.predictOnBatch(x.narrow(0, k, Math.min(3, 40 - k)));
    const parts = [];
    for (let k = 0; k < 40; k += 3) parts.push(await one(k));
    expect(Array.from(whole.data())).toEqual(Array.from(tl.cat(parts, 0).data()));
    // Traced predictions run in inference mode; what predict and predictOnBatch return takes in-place ops.
    expect(Array.from(whole.add_(1).data())).toEqual(Array.from(tl.cat(parts, 0).add(1).data()));
    expect(Array.from(parts[0].add_(2).data())).toEqual(Array.from((await one(0)).add(2).data()));
    m.dispose();
  });

  it('run evaluate and predict in jobs of several steps, in order, with the numbers of eager steps', async () => {
    // Batches of 1: 16 steps a job (batchesPerJob), so 40 examples take three jobs, the last of 8.
    const runs: unknown[] = [];
    for (const runEagerly of [false, true])
      await onOneThread(async () => {
        const m = model(runEagerly);
        runs.push({
          evaluation: await m.evaluate(x, y, { batchSize: 1 }),
          predictions: Array.from((await m.predict(x, { batchSize: 1 })).data()),
          partial: Array.from((await m.predict(x.narrow(0, 0, 35), { batchSize: 2 })).data()), // a job of 18 batches, the last of 1
        });
        m.dispose();
      });
    expect(runs[0]).toEqual(runs[1]);
  });

  it('train in jobs of several steps when no callback needs every batch, with the numbers of eager steps', async () => {
    // Batches of 2: 20 a pass, a job of 16 and one of 4 from the second epoch on (the first records the step).
    const runs: unknown[] = [];
    const stepsSeen: number[][] = [];
    const jobCounts: number[] = [];
    for (const [runEagerly, hooked] of [
      [false, false],
      [false, true],
      [true, false],
    ])
      await onOneThread(async () => {
        const m = model(runEagerly);
        const seen: number[] = [];
        const callbacks = hooked ? [{ onBatchEnd: (batch: number) => void seen.push(batch) }] : [];
        const jobs = vi.spyOn(native, 'runSteps');
        const history = await m.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0, callbacks });
        jobCounts.push(jobs.mock.calls.length);
        jobs.mockRestore();
        runs.push({ history: history.history, weights: m.getWeights().map((w) => Array.from(w.data())) });
        stepsSeen.push(seen);
        m.dispose();
      });
    expect(runs[0]).toEqual(runs[2]);
    expect(runs[1]).toEqual(runs[2]);
    expect(jobCounts).toEqual([5, 0, 0]); // the first epoch's 16 steps one by one (the first records the step), then jobs
    expect(stepsSeen[1]).toEqual([0, 1, 2].flatMap(() => Array.from({ length: 20 }, (_, k) => k))); // every batch, each epoch
  });

  it('tell the progress bar of each job of steps, and draw the whole epoch', async () => {
    let text = '';
    const output = { isTTY: true, write: (chunk: string) => void (text += chunk) };
    const m = model(false);
    await m.fit(x, y, { epochs: 2, batchSize: 1, shuffle: false, verbose: 1, output });
    expect(text).toMatch(/Epoch 2\/2\n/);
    expect(text.endsWith('\u001b[K\n')).toBe(true);
    expect(text).toMatch(/\r40\/40 \S+ \d+s \S+ - accuracy: [\d.]+ - loss: [\d.]+\S+\n$/);
    m.dispose();
  });

  it('refuse runSteps inputs that are not a whole number of steps, and a bad optimizer, naming them', async () => {
    const input = tl.rand([2, 3]);
    const { trace } = native.traceStep(() => [input.mul(2).handle], [input.handle]);
    const outputs = await native.runSteps(trace, [input.handle, input.add(1).handle], null, 'predict');
    expect(outputs.map((h) => Array.from(wrap(h).data()))).toEqual([input.mul(2), input.add(1).mul(2)].map((t) => Array.from(t.data())));
    expect(() => native.runSteps(trace, [], null, 'predict')).toThrowError(
      /the trace takes 1 inputs a step, got 0 \(must be a positive multiple\)/,
    );
    const { trace: twoInputs } = native.traceStep(() => [input.handle], [input.handle, input.handle]);
    expect(() => native.runSteps(twoInputs, [input.handle], null, 'predict')).toThrowError(/takes 2 inputs a step, got 1/);
    expect(() => native.runSteps({} as never, [input.handle], null, 'predict')).toThrowError(
      /argument 'trace' must be a trace from traceStep\(\)/,
    );
    expect(() => native.runSteps(trace, [input.handle], {} as never, 'fit')).toThrowError(/argument 'optimizer' must be an optimizer/);
    // A group runs only when every step in it is recorded; data-parallel steps never do.
    const m = model(false);
    const call = { label: 'fit', inputs: [input], run: () => [input], optimizer: m.optimizer ?? null };
    await expect(m.traces.runAll([call])).resolves.toBeNull();
    await expect(m.traces.runAll([{ ...call, sync: { sync: {} as never, scale: 1 } }])).rejects.toThrowError(
      /data-parallel steps run one at a time/,
    );
    m.dispose();
  });

  it("reject predict with a step's error while the next step is in flight, and stay usable", async () => {
    let calls = 0;
    class FailsThirdTime extends Layer {
      computeOutputShape(inputShape: Shape): Shape {
        return inputShape;
      }
      call(input: Tensor): Tensor {
        if (++calls === 3) throw new Error('third batch refused');
        return input;
      }
    }
    for (const runEagerly of [true, false]) {
      calls = 0;
      const m = model(runEagerly, [new FailsThirdTime()]);
      // Eagerly, the third batch fails; traced, the JS step runs only to trace a batch shape.
      if (runEagerly) await expect(m.predict(x, { batchSize: 8 })).rejects.toThrowError(/^third batch refused$/);
      else {
        calls = 1; // the first batch's trace is call 2, the last (partial) batch's trace call 3
        await expect(m.predict(x, { batchSize: 16 })).rejects.toThrowError(/^third batch refused$/);
      }
      expect((await m.predict(x.narrow(0, 0, 8), { batchSize: 8 })).shape).toEqual([8, 3]); // idle again
      m.dispose();
    }
  });

  it('keep at most 32 recorded steps per model, the most recently used', async () => {
    const m = model(false);
    for (let n = 1; n <= 40; n++) (await m.predictOnBatch(x.narrow(0, 0, n))).dispose();
    expect(m.traces.size).toBe(32);
    m.dispose();
  });

  it('reject a step whose optimizer was disposed meanwhile with an error naming it', async () => {
    const m = model(false);
    const fitting = m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: { onBatchEnd: () => m.optimizer!.dispose() } });
    await expect(fitting).rejects.toThrowError(/^Adam\.fit: the optimizer was disposed/);
  });
});
