// Learning-rate schedules and ReduceLROnPlateau against Keras itself
// (scripts/keras-reference/schedules.py).
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { expectClose, loadKerasReference, refData, refTensor, type RefValue } from '../helpers/reference.js';

const ref = loadKerasReference('schedules') as unknown as {
  schedules: Record<string, { class: string; options: object; rates: RefValue }>;
  init: RefValue[];
  grads: RefValue[][];
  training: Record<string, { class: string; options: object; scheduleClass: string; schedule: object; after: RefValue[][] }>;
  plateaus: Record<string, { options: tl.ReduceLROnPlateauArgs; monitor: string; values: RefValue; rates: RefValue }>;
};

type ScheduleClass = new (options: object) => tl.optim.schedules.LearningRateSchedule;
const scheduleClasses = tl.optim.schedules as unknown as Record<string, ScheduleClass>;
type OptimizerClass = new (params: tl.Tensor[], options?: object) => tl.optim.Optimizer;
const optimizerClasses = tl.optim as unknown as Record<string, OptimizerClass>;

// Keras computes its schedules in float32.
const near = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want) + 1e-9);

describe("learning-rate schedules are Keras's", () => {
  for (const [name, c] of Object.entries(ref.schedules)) {
    it(`${name}: steps 0 to 40`, () => {
      const schedule = new scheduleClasses[c.class](c.options);
      Array.from(refData(c.rates)).forEach((want, step) => near(schedule.at(step), Number(want)));
    });
  }

  for (const [name, c] of Object.entries(ref.training)) {
    it(`${name}: 20 steps follow Keras's, each at its scheduled rate`, () => {
      const params = ref.init.map((t) => refTensor(t).setRequiresGrad());
      const schedule = new scheduleClasses[c.scheduleClass](c.schedule);
      const optimizer = new optimizerClasses[c.class](params, { ...c.options, learningRate: schedule });
      expect(optimizer.capturable).toBe(false);
      ref.grads.forEach((stepGrads, step) => {
        near(optimizer.learningRate, schedule.at(step));
        params.forEach((p, k) => (p.grad = refTensor(stepGrads[k])));
        optimizer.step();
        // float32 rounding in TensorFlow and libtorch, of steps up to 0.1 (Adam's are ±lr).
        params.forEach((p, k) => expectClose(p, c.after[step][k], { atol: 1e-5, rtol: 2e-5 }));
      });
    });
  }

  it('rejects bad options with their names, and keeps a schedule through save and load', async () => {
    const { ExponentialDecay, CosineDecay } = tl.optim.schedules;
    expect(() => new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 })).toThrowError(
      /^ExponentialDecay: decaySteps must be > 0, got 0/,
    );
    expect(() => new CosineDecay({ initialLearningRate: 0.1 } as never)).toThrowError(/^CosineDecay: option 'decaySteps' is required/);
    expect(() => new CosineDecay({ initialLearningRate: 0.1, decaySteps: 5, alpha: 2 })).toThrowError(
      /^CosineDecay: alpha must be in \[0, 1\], got 2/,
    );
    expect(() => new CosineDecay({ initialLearningRate: 0.1, decaySteps: 5 }).at(-1)).toThrowError(
      /^CosineDecay.at: step must be >= 0, got -1/,
    );
    const schedule = new CosineDecay({ initialLearningRate: 0, decaySteps: 20, warmupTarget: 0.1, warmupSteps: 10 });
    const model = tl.sequential([tl.layers.dense({ units: 2, inputShape: [3] })]);
    model.compile({ optimizer: new tl.optim.SGD({ learningRate: schedule, momentum: 0.9 }), loss: 'mse' });
    expect(() => model.compile({ optimizer: new tl.optim.Adam({ learningRate: schedule }), loss: 'mse', cudaGraph: true })).toThrowError(
      /^compile: cudaGraph cannot replay Adam's update/,
    );
    const dir = (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/torchlet-schedule-`);
    await model.save(dir);
    const loaded = await tl.loadModel(dir);
    const rate = loaded.optimizer!.options.learningRate as tl.optim.schedules.LearningRateSchedule;
    expect(rate).toBeInstanceOf(CosineDecay);
    expect(rate.config).toEqual(schedule.config);
    // A number replaces the schedule.
    loaded.optimizer!.learningRate = 0.5;
    expect(loaded.optimizer!.options.learningRate).toBe(0.5);
  });

  it('fit runs each step of a job at its own rate, as steps run one by one do', async () => {
    const x = tl.randn([64, 3]);
    const y = tl.randn([64, 2]);
    const train = async (everyBatch: boolean) => {
      tl.manualSeed(1);
      const model = tl.sequential([tl.layers.dense({ units: 2, inputShape: [3] })]);
      const schedule = new tl.optim.schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.5 });
      model.compile({ optimizer: new tl.optim.SGD({ learningRate: schedule }), loss: 'mse' });
      // A batch hook makes every step its own job.
      const callbacks = everyBatch
        ? [
            new (class extends tl.Callback {
              onBatchEnd(): void {}
            })(),
          ]
        : [];
      await model.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, callbacks });
      expect(model.optimizer!.getState().steps[0]).toBe(32);
      near(model.optimizer!.learningRate, schedule.at(32));
      return model.getWeights().map((w) => Array.from(w.data()));
    };
    expect(await train(false)).toEqual(await train(true));
  });
});

describe("ReduceLROnPlateau is Keras's", () => {
  for (const [name, c] of Object.entries(ref.plateaus)) {
    it(name, () => {
      const optimizer = new tl.optim.SGD({ learningRate: 0.1 });
      const callback = new tl.ReduceLROnPlateau({ monitor: c.monitor, ...c.options });
      callback.setModel({ optimizer } as never);
      callback.onTrainBegin();
      const rates = Array.from(refData(c.rates));
      Array.from(refData(c.values)).forEach((value, epoch) => {
        const logs: tl.Logs = { [c.monitor]: Number(value) };
        callback.onEpochEnd(epoch, logs);
        near(optimizer.learningRate, Number(rates[epoch]));
      });
      expect(new Set(rates).size).toBeGreaterThan(1); // it did reduce
    });
  }

  it('rejects bad arguments, and a schedule it cannot change', () => {
    expect(() => new tl.ReduceLROnPlateau({ factor: 1 })).toThrowError(/^ReduceLROnPlateau: factor must be in \[0, 1\), got 1/);
    expect(() => new tl.ReduceLROnPlateau({ patience: -1 })).toThrowError(/patience must be a non-negative integer/);
    expect(() => new tl.ReduceLROnPlateau({ patiance: 2 } as never)).toThrowError(
      /unknown option 'patiance' \(did you mean 'patience'\?\)/,
    );
    const schedule = new tl.optim.schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.5 });
    const callback = new tl.ReduceLROnPlateau({ patience: 0 });
    callback.setModel({ optimizer: new tl.optim.SGD({ learningRate: schedule }) } as never);
    callback.onTrainBegin();
    callback.onEpochEnd(0, { val_loss: 1 });
    expect(() => callback.onEpochEnd(1, { val_loss: 2 })).toThrowError(
      /^ReduceLROnPlateau: the optimizer's learning rate is a schedule \(ExponentialDecay\)/,
    );
  });
});
