// The running loss and accuracy of fit and evaluate (lib/model/meter.ts): sums on the device,
// read on the host only when asked.
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { compileLoss } from '../../lib/model/losses.js';
import { Meter } from '../../lib/model/meter.js';
import { compileMetrics } from '../../lib/model/metrics.js';

const sparse = compileLoss('sparseCategoricalCrossentropy', 'softmax');
const meterOf = (metrics: string[]) => new Meter([{ prefix: '', metrics: compileMetrics(metrics, sparse) }], 'cpu');
// Two batches: 3 and 1 examples; outputs whose argmax is 1, 0, 2 and 1.
const out1 = tl.tensor([
  [0, 5, 1],
  [4, 1, 0],
  [0, 1, 3],
]);
const y1 = tl.tensor([1, 0, 1], [3], { dtype: 'int64' });
const out2 = tl.tensor([[1, 2, 0]]);
const y2 = tl.tensor([2], [1], { dtype: 'int64' });

function feed(meter: Meter): void {
  meter.add(tl.tensor(0.5), [], [out1], [y1]);
  meter.count(3);
  meter.add(tl.tensor(2), [], [out2], [y2]);
  meter.count(1);
}

describe('Meter', () => {
  it('averages the loss over examples (batch means weighted by batch size) and counts correct predictions', () => {
    const meter = meterOf(['accuracy']);
    feed(meter);
    expect(meter.read()).toEqual({ loss: (0.5 * 3 + 2 * 1) / 4, accuracy: 2 / 4 });
  });

  it('reads nothing before the first batch, and again after a reset', () => {
    const meter = meterOf(['accuracy']);
    expect(meter.read()).toEqual({});
    feed(meter);
    meter.reset();
    expect(meter.read()).toEqual({});
    meter.add(tl.tensor(1), [], [out2], [y2]);
    meter.count(1);
    // The sums restarted at zero: only the batch after the reset counts.
    expect(meter.read()).toEqual({ loss: 1, accuracy: 0 });
  });

  it('without metrics reports the loss alone, under every metric name it was given', () => {
    const plain = meterOf([]);
    feed(plain);
    expect(plain.read()).toEqual({ loss: 3.5 / 4 });
    const named = meterOf(['acc']);
    feed(named);
    expect(named.read()).toEqual({ loss: 3.5 / 4, acc: 0.5 });
  });

  it('sums in float64, so that small losses are not lost against large ones', () => {
    const meter = meterOf([]);
    meter.add(tl.tensor(1), [], [out2], [y2]);
    meter.add(tl.tensor(1e-9), [], [out2], [y2]);
    meter.count(2);
    expect(meter.read().loss).toBe((1 + Math.fround(1e-9)) / 2);
  });

  it('lazy logs read the device once, at the first look, and then keep those values', () => {
    const meter = meterOf(['accuracy']);
    feed(meter);
    const logs = meter.lazyLogs();
    expect(Object.keys(logs)).toEqual(['loss', 'accuracy']);
    meter.add(tl.tensor(10), [], [out2], [y2]);
    meter.count(1);
    const first = { loss: logs.loss, accuracy: logs.accuracy };
    expect(first).toEqual({ loss: (1.5 + 2 + 10) / 5, accuracy: 2 / 5 });
    meter.add(tl.tensor(10), [], [out2], [y2]);
    meter.count(1);
    expect({ loss: logs.loss, accuracy: logs.accuracy }).toEqual(first);
  });

  it('frees its sums on dispose', () => {
    const before = tl.memory().tensors;
    const meter = meterOf(['accuracy']);
    expect(tl.memory().tensors).toBe(before + 2);
    meter.dispose();
    expect(tl.memory().tensors).toBe(before);
  });
});
