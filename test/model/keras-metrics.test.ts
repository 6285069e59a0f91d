// Metrics against Keras itself (scripts/keras-reference/metrics.py): each metric's sums after
// three batches, read as Keras's result; and the same values through fit and evaluate, whose
// recorded steps add to the sums off the JS thread.
import { describe, expect, it, onTestFinished } from 'vitest';
import * as tl from '../../lib/index.js';
import { compileLoss } from '../../lib/model/losses.js';
import { Meter } from '../../lib/model/meter.js';
import { compileMetrics, type MetricSpec } from '../../lib/model/metrics.js';
import { loadKerasReference, refTensor, type RefValue } from '../helpers/reference.js';

const ref = loadKerasReference('metrics') as unknown as {
  inputs: Record<string, { outputs: RefValue[]; targets: RefValue[] }>;
  cases: Record<string, { spec: MetricSpec; inputs: string; result: number }>;
};

describe("metrics are Keras's", () => {
  for (const [name, c] of Object.entries(ref.cases)) {
    it(name, () => {
      // A linear last layer: the metric sees the outputs as given.
      const meter = new Meter([{ prefix: '', metrics: compileMetrics([c.spec], compileLoss('mse', 'linear')) }], 'cpu');
      const { outputs, targets } = ref.inputs[c.inputs];
      outputs.forEach((o, k) => {
        const y = refTensor(targets[k]);
        meter.add(tl.tensor(0), [], [refTensor(o)], [y]);
        meter.count(y.shape[0]);
      });
      const key = typeof c.spec === 'string' ? c.spec : c.spec.name;
      // Keras counts in float32.
      expect(meter.read()[key]).toBeCloseTo(c.result, 6);
      meter.dispose();
    });
  }

  it('reject bad names, options and targets by name', () => {
    const loss = compileLoss('binaryCrossentropy', 'sigmoid');
    expect(() => compileMetrics([{ name: 'auc', k: 3 }], loss)).toThrowError(
      /^compile: metric 'auc' takes no option 'k' \(it takes 'numThresholds'\)/,
    );
    expect(() => compileMetrics([{ name: 'auc', numThresholds: 1 }], loss)).toThrowError(/numThresholds must be an integer >= 2, got 1/);
    expect(() => compileMetrics([{ name: 'precision', threshold: 2 }], loss)).toThrowError(/threshold must be in \[0, 1\], got 2/);
    expect(() => compileMetrics(['auc', 'auc'], loss)).toThrowError(/^compile: metric 'auc' is given twice/);
    const [auc] = compileMetrics(['auc'], loss);
    expect(() => auc.checkTargets(tl.zeros([4]), [3])).toThrowError(
      /^auc: needs targets shaped as the model's output \[None, 3\], got \[4\]/,
    );
  });

  it('fit and evaluate compute them in their recorded steps, as eager steps do', async () => {
    // On one thread: with two, libtorch may split work differently on the compute thread than on
    // the JS thread, and the losses then differ in the last bits (libtorch 1.13).
    const threads = tl.getNumThreads();
    tl.setNumThreads(1);
    onTestFinished(() => tl.setNumThreads(threads));
    tl.manualSeed(3);
    const x = tl.randn([96, 6]);
    const y = x.narrow(1, 0, 2).sum(1, true).gt(0).to('float32');
    const run = async (runEagerly: boolean) => {
      tl.manualSeed(4);
      const model = tl.sequential([
        tl.layers.dense({ units: 8, activation: 'relu', inputShape: [6] }),
        tl.layers.dense({ units: 1, activation: 'sigmoid' }),
      ]);
      model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy', 'precision', 'recall', 'auc'], runEagerly });
      const history = await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
      return { history: history.history, evaluation: await model.evaluate(x, y, { batchSize: 16 }), predictions: await model.predict(x) };
    };
    const traced = await run(false);
    expect(traced).toEqual(await run(true));
    expect(Object.keys(traced.history).sort()).toEqual(['accuracy', 'auc', 'loss', 'precision', 'recall']);
    // evaluate's AUC is Keras's from the predictions: its thresholds count the same examples.
    const meter = new Meter([{ prefix: '', metrics: compileMetrics(['auc'], compileLoss('mse', 'linear')) }], 'cpu');
    meter.add(tl.tensor(0), [], [traced.predictions], [y]);
    meter.count(96);
    expect(traced.evaluation.auc).toBeCloseTo(meter.read().auc, 12);
  });
});
