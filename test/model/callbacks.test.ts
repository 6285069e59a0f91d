import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import * as tl from '../../lib/index.js';
import { tinyClassifier } from '../helpers/models.js';
import { formatPath } from '../../lib/model/callbacks.js';

tl.manualSeed(42);
const x = tl.randn([64, 4]);
const y = tl.randint(0, 3, [64]);
const xVal = tl.randn([32, 4]);
const yVal = tl.randint(0, 3, [32]);

function weightsOf(model: tl.Model): number[][] {
  return model.getWeights().map((t) => {
    const values = Array.from(t.data(), Number);
    t.dispose();
    return values;
  });
}

// The events of a run in Keras's order: 64 examples in batches of 20 make 4 steps, the last of 4.
function kerasOrder(epochs: number[], steps: number): string[] {
  const events = ['trainBegin'];
  for (const e of epochs) {
    events.push(`epochBegin ${e}`);
    for (let b = 0; b < steps; b++) events.push(`batchBegin ${b}`, `batchEnd ${b}`);
    events.push(`epochEnd ${e}`);
  }
  return [...events, 'trainEnd'];
}

function recorder(events: string[]): tl.CallbackHooks {
  return {
    onTrainBegin: () => void events.push('trainBegin'),
    onTrainEnd: () => void events.push('trainEnd'),
    onEpochBegin: (epoch) => void events.push(`epochBegin ${epoch}`),
    onEpochEnd: (epoch) => void events.push(`epochEnd ${epoch}`),
    onBatchBegin: (batch) => void events.push(`batchBegin ${batch}`),
    onBatchEnd: (batch) => void events.push(`batchEnd ${batch}`),
  };
}

// Puts a scripted value into the epoch logs, so that monitors see a known sequence. Callbacks
// share one logs object, and this one runs first.
function scripted(name: string, values: number[]): tl.CallbackHooks {
  return { onEpochEnd: (epoch, logs) => void (logs![name] = values[epoch]) };
}

describe('the callback hooks', () => {
  it('run in Keras order for a plain object, with `this` bound to it', async () => {
    const events: string[] = [];
    const hooks = {
      ...recorder(events),
      self: null as unknown,
      onTrainBegin(this: { self: unknown }) {
        events.push('trainBegin');
        this.self = this;
      },
    };
    await tinyClassifier().fit(x, y, { epochs: 2, batchSize: 20, verbose: 0, callbacks: [hooks] });
    expect(events).toEqual(kerasOrder([0, 1], 4));
    expect(hooks.self).toBe(hooks);
  });

  it('do not call onBatchBegin past the last batch', async () => {
    const events: string[] = [];
    await tinyClassifier().fit(x, y, { epochs: 1, batchSize: 20, verbose: 0, callbacks: [recorder(events)] });
    expect(events.filter((e) => e.startsWith('batchBegin'))).toEqual(['batchBegin 0', 'batchBegin 1', 'batchBegin 2', 'batchBegin 3']);
  });

  it('run in Keras order for a Callback subclass, which gets model and params first', async () => {
    const events: string[] = [];
    class Recorder extends tl.Callback<tl.Sequential> {
      seen: { model: tl.Sequential; params: tl.TrainParams } | null = null;
      onTrainBegin(): void {
        this.seen = { model: this.model, params: { ...this.params } };
        events.push('trainBegin');
      }
      onTrainEnd = (): void => void events.push('trainEnd');
      onEpochBegin = (epoch: number): void => void events.push(`epochBegin ${epoch}`);
      onEpochEnd = (epoch: number): void => void events.push(`epochEnd ${epoch}`);
      onBatchBegin = (batch: number): void => void events.push(`batchBegin ${batch}`);
      onBatchEnd = (batch: number): void => void events.push(`batchEnd ${batch}`);
    }
    const model = tinyClassifier();
    const callback = new Recorder();
    await model.fit(x, y, { epochs: 3, initialEpoch: 1, batchSize: 20, verbose: 0, callbacks: [callback] });
    expect(callback.seen!.model).toBe(model);
    expect(callback.seen!.params).toEqual({ epochs: 3, steps: 4, verbose: 0 });
    expect(events).toEqual(kerasOrder([1, 2], 4));
  });

  it('are awaited when async, and when they return any thenable', async () => {
    const events: string[] = [];
    const later = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    let thenableDone = false;
    const callbacks: tl.CallbackHooks[] = [
      {
        async onEpochEnd(epoch) {
          await later(20);
          events.push(`slow epochEnd ${epoch}`);
        },
        onEpochBegin: (epoch) => void events.push(`epochBegin ${epoch}`),
        onTrainEnd: () =>
          ({ then: (resolve: () => void) => setTimeout(() => ((thenableDone = true), resolve()), 20) }) as unknown as Promise<void>,
      },
      { onEpochEnd: (epoch) => void events.push(`next epochEnd ${epoch}`) },
    ];
    await tinyClassifier().fit(x, y, { epochs: 2, batchSize: 32, verbose: 0, callbacks });
    expect(events).toEqual(['epochBegin 0', 'slow epochEnd 0', 'next epochEnd 0', 'epochBegin 1', 'slow epochEnd 1', 'next epochEnd 1']);
    expect(thenableDone).toBe(true);
  });

  it('rejects a callback that is not an object', async () => {
    await expect(tinyClassifier().fit(x, y, { verbose: 0, callbacks: [null as unknown as tl.CallbackHooks] })).rejects.toThrowError(
      /^fit: callbacks\[0\] must be an object with hooks such as onEpochEnd, or an array of them; got null$/,
    );
  });
});

describe('the logs', () => {
  it('of a batch hold the running means of loss and accuracy over the epoch so far', async () => {
    const model = tinyClassifier();
    const batchLoss: number[] = [];
    const batchCorrect: number[] = [];
    const seen: tl.Logs[] = [];
    let epochLogs: tl.Logs = {};
    const callbacks: tl.CallbackHooks[] = [
      {
        // The loss of batch b under the weights it is trained from (no dropout: eval mode agrees).
        async onBatchBegin(batch) {
          if (batch >= 4) return;
          const logs = await model.evaluate(x.narrow(0, batch * 16, 16), y.narrow(0, batch * 16, 16), { batchSize: 16 });
          batchLoss.push(logs.loss);
          batchCorrect.push(logs.accuracy * 16);
        },
        onBatchEnd: (_batch, logs) => void seen.push({ ...logs }),
        onEpochEnd: (_epoch, logs) => void (epochLogs = { ...logs }),
      },
    ];
    await model.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0, callbacks });
    expect(seen).toHaveLength(4);
    seen.forEach((logs, b) => {
      expect(Object.keys(logs).sort()).toEqual(['accuracy', 'loss']);
      const mean = (values: number[]): number => values.slice(0, b + 1).reduce((s, v) => s + v, 0) / (b + 1);
      expect(logs.loss).toBeGreaterThan(0);
      expect(logs.loss).toBeCloseTo(mean(batchLoss), 5);
      expect(logs.accuracy).toBeGreaterThanOrEqual(0);
      expect(logs.accuracy).toBeLessThanOrEqual(1);
      expect(logs.accuracy).toBeCloseTo(mean(batchCorrect) / 16, 6);
    });
    expect(epochLogs.loss).toBeCloseTo(seen[3].loss, 10);
    expect(epochLogs.accuracy).toBeCloseTo(seen[3].accuracy, 10);
  });

  it('of an epoch hold loss, accuracy and the validation results, which History collects', async () => {
    const model = tinyClassifier();
    const seen: tl.Logs[] = [];
    const validation: tl.Logs[] = [];
    const callbacks: tl.CallbackHooks[] = [
      {
        async onEpochEnd(_epoch, logs) {
          seen.push({ ...logs });
          validation.push(await model.evaluate(xVal, yVal));
        },
      },
    ];
    const history = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, validationData: [xVal, yVal], callbacks });
    expect(history).toBeInstanceOf(tl.History);
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    seen.forEach((logs, e) => {
      expect(Object.keys(logs).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
      expect(logs.val_loss).toBeCloseTo(validation[e].loss, 6);
      expect(logs.val_accuracy).toBeCloseTo(validation[e].accuracy, 6);
      for (const key of Object.keys(logs)) expect(history.history[key][e]).toBe(logs[key]);
    });
    expect(history.history.loss.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    expect(history.history.accuracy.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('returned by fit are those of a History passed in as a callback', async () => {
    const mine = new tl.History();
    const returned = await tinyClassifier().fit(x, y, { epochs: 2, batchSize: 32, verbose: 0, callbacks: [mine] });
    expect(mine.epoch).toEqual([0, 1]);
    expect(mine.history).toEqual(returned.history);
    expect(returned.history.loss).toHaveLength(2);
  });
});

describe('EarlyStopping', () => {
  afterEach(() => vi.restoreAllMocks());

  // Feeds a monitored sequence to a callback and returns the epoch at which it asked to stop.
  function stopEpoch(callback: tl.EarlyStopping, values: number[], monitor = 'val_loss'): number | null {
    const model = { stopTraining: false } as unknown as tl.Sequential;
    callback.setModel(model);
    callback.onTrainBegin();
    for (let epoch = 0; epoch < values.length; epoch++) {
      callback.onEpochEnd(epoch, { [monitor]: values[epoch] });
      if (model.stopTraining) return epoch;
    }
    return null;
  }

  it('stops when the monitor cannot improve', async () => {
    const model = tinyClassifier();
    const stopper = new tl.EarlyStopping({ monitor: 'loss', mode: 'max', patience: 1 });
    const losses: number[] = [];
    const history = await model.fit(x, y, {
      epochs: 20,
      batchSize: 16,
      verbose: 0,
      callbacks: [stopper, { onEpochEnd: (_e, logs) => void losses.push(logs!.loss) }],
    });
    expect(history.epoch.length).toBeLessThan(20);
    expect(stopper.stoppedEpoch).toBe(history.epoch.at(-1));
    // It stopped on an epoch whose loss did not rise above the best (the highest) so far.
    expect(losses.at(-1)!).toBeLessThanOrEqual(Math.max(...losses.slice(0, -1)));
    expect(stopper.best).toBe(Math.max(...losses));
  });

  it('stops after `patience` epochs when a baseline is never reached', async () => {
    const stopper = new tl.EarlyStopping({ monitor: 'loss', baseline: 0, patience: 3 });
    const history = await tinyClassifier().fit(x, y, { epochs: 20, batchSize: 16, verbose: 0, callbacks: [stopper] });
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(stopper.stoppedEpoch).toBe(2);
  });

  it('counts patience in epochs without improvement, and never stops at epoch 0', () => {
    expect(stopEpoch(new tl.EarlyStopping({ patience: 2 }), [1, 0.9, 0.95, 0.92, 0.91])).toBe(3);
    expect(stopEpoch(new tl.EarlyStopping({ patience: 2 }), [1, 0.9, 0.95, 0.8, 0.85, 0.84])).toBe(5);
    expect(stopEpoch(new tl.EarlyStopping({ patience: 0 }), [1, 1.1])).toBe(1);
    expect(stopEpoch(new tl.EarlyStopping({ patience: 0 }), [1, 0.9, 0.8])).toBeNull();
    expect(stopEpoch(new tl.EarlyStopping({ patience: 0, baseline: 0.5 }), [1, 0.9])).toBe(1);
  });

  it('needs an improvement larger than minDelta, in the direction of the mode', () => {
    expect(stopEpoch(new tl.EarlyStopping({ patience: 1, minDelta: 0.1 }), [1, 0.95, 0.8])).toBe(1);
    expect(stopEpoch(new tl.EarlyStopping({ patience: 1, minDelta: -0.1 }), [1, 0.89, 0.8])).toBe(2);
    // 'auto' maximizes accuracies.
    expect(stopEpoch(new tl.EarlyStopping({ monitor: 'val_accuracy', patience: 1 }), [0.5, 0.6, 0.7, 0.65], 'val_accuracy')).toBe(3);
    expect(stopEpoch(new tl.EarlyStopping({ monitor: 'score', mode: 'max', patience: 1 }), [1, 2, 3, 2], 'score')).toBe(3);
  });

  it('ignores the epochs before startFromEpoch', () => {
    expect(stopEpoch(new tl.EarlyStopping({ patience: 0, startFromEpoch: 2 }), [1, 2, 3, 2, 2.5])).toBe(4);
  });

  it('stops on a NaN monitor: NaN is never an improvement', () => {
    const stopper = new tl.EarlyStopping({ patience: 1 });
    expect(stopEpoch(stopper, [NaN, NaN, NaN])).toBe(1);
    expect(stopper.best).toBe(Infinity);
  });

  it('starts afresh on each fit', () => {
    const stopper = new tl.EarlyStopping({ patience: 1 });
    expect(stopEpoch(stopper, [0.5, 0.6])).toBe(1);
    expect(stopEpoch(stopper, [1, 0.9, 0.8])).toBeNull();
    expect(stopper.best).toBe(0.8);
  });

  it('restores the weights of the best epoch', async () => {
    const model = tinyClassifier();
    const snapshots: number[][][] = [];
    const stopper = new tl.EarlyStopping({ monitor: 'score', mode: 'max', patience: 2, restoreBestWeights: true });
    const callbacks: tl.CallbackHooks[] = [
      scripted('score', [0.1, 0.5, 0.3, 0.2, 0.9]),
      { onEpochEnd: () => void snapshots.push(weightsOf(model)) },
      stopper,
    ];
    const history = await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0, callbacks });
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(stopper.stoppedEpoch).toBe(3);
    expect(stopper.bestEpoch).toBe(1);
    expect(stopper.best).toBe(0.5);
    expect(weightsOf(model)).toEqual(snapshots[1]);
    expect(snapshots[3]).not.toEqual(snapshots[1]);
  });

  it('leaves the last weights without restoreBestWeights', async () => {
    const model = tinyClassifier();
    const snapshots: number[][][] = [];
    const callbacks: tl.CallbackHooks[] = [
      scripted('score', [0.1, 0.5, 0.3, 0.2]),
      { onEpochEnd: () => void snapshots.push(weightsOf(model)) },
      new tl.EarlyStopping({ monitor: 'score', mode: 'max', patience: 2 }),
    ];
    await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0, callbacks });
    expect(snapshots).toHaveLength(4);
    expect(weightsOf(model)).toEqual(snapshots[3]);
  });

  it('warns once about a monitor missing from the logs and does not stop', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const stopper = new tl.EarlyStopping({ monitor: 'val_loss', patience: 0 });
    const history = await tinyClassifier().fit(x, y, { epochs: 4, batchSize: 32, verbose: 0, callbacks: [stopper] });
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(stopper.stoppedEpoch).toBe(0);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(
      /^EarlyStopping: 'val_loss' is not in the logs \(available: loss, accuracy\); not stopping on it$/,
    );
  });

  it('rejects bad arguments', () => {
    expect(() => new tl.EarlyStopping({ patience: -1 })).toThrowError(RangeError);
    expect(() => new tl.EarlyStopping({ patience: 1.5 })).toThrowError(/^EarlyStopping: patience must be a non-negative integer, got 1.5$/);
    expect(() => new tl.EarlyStopping({ mode: 'up' as tl.MonitorMode })).toThrowError(
      /^EarlyStopping: mode must be 'auto', 'min' or 'max', got "up"$/,
    );
    expect(() => new tl.EarlyStopping({ minDelta: NaN })).toThrowError(/^EarlyStopping: minDelta must be a finite number, got NaN$/);
    expect(() => new tl.EarlyStopping({ startFromEpoch: -2 })).toThrowError(
      /^EarlyStopping: startFromEpoch must be a non-negative integer, got -2$/,
    );
    expect(() => new tl.EarlyStopping({ baseline: '0.5' as unknown as number })).toThrowError(
      /^EarlyStopping: baseline must be a number or null, got "0.5"$/,
    );
    expect(() => new tl.EarlyStopping({ monitor: '' })).toThrowError(TypeError);
  });
});

describe('ModelCheckpoint', () => {
  const root = mkdtempSync(join(tmpdir(), 'torchlet-checkpoint-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('saves the whole model every epoch into a folder named after it', async () => {
    const model = tinyClassifier();
    const checkpoint = new tl.ModelCheckpoint({ filepath: join(root, 'full', 'ckpt-{epoch:02d}') });
    await model.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0, callbacks: [checkpoint] });
    expect(readdirSync(join(root, 'full')).sort()).toEqual(['ckpt-01', 'ckpt-02', 'ckpt-03']);
    for (const dir of ['ckpt-01', 'ckpt-02', 'ckpt-03'])
      expect(readdirSync(join(root, 'full', dir)).sort()).toEqual([expect.stringMatching(/^model-[0-9a-z-]+\.safetensors$/), 'model.json']);
    expect(checkpoint.saved).toEqual(['01', '02', '03'].map((e) => join(root, 'full', `ckpt-${e}`)));
    const last = await tl.loadModel(join(root, 'full', 'ckpt-03'));
    expect(weightsOf(last)).toEqual(weightsOf(model));
  });

  it('saves only the weights, to safetensors files named after the logs', async () => {
    const model = tinyClassifier();
    const checkpoint = new tl.ModelCheckpoint({
      filepath: join(root, 'weights', 'w-{epoch:02d}-{loss:.3f}.safetensors'),
      saveWeightsOnly: true,
    });
    const history = await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0, callbacks: [checkpoint] });
    const names = history.history.loss.map((loss, e) => `w-0${e + 1}-${loss.toFixed(3)}.safetensors`);
    expect(readdirSync(join(root, 'weights')).sort()).toEqual(names);
    const fresh = tinyClassifier(7);
    await fresh.loadWeights(join(root, 'weights', names[1]));
    expect(weightsOf(fresh)).toEqual(weightsOf(model));
  });

  it('with saveBestOnly, saves only when the monitor improves', async () => {
    const path = join(root, 'best', 'b-{epoch}.safetensors');
    const lower = new tl.ModelCheckpoint({ filepath: path, monitor: 'score', saveBestOnly: true, saveWeightsOnly: true });
    await tinyClassifier().fit(x, y, {
      epochs: 5,
      batchSize: 32,
      verbose: 0,
      callbacks: [scripted('score', [0.5, 0.4, 0.6, 0.3, 0.3]), lower],
    });
    expect(lower.saved).toEqual([1, 2, 4].map((e) => join(root, 'best', `b-${e}.safetensors`)));
    expect(lower.best).toBe(0.3);
    expect(existsSync(join(root, 'best', 'b-3.safetensors'))).toBe(false);

    const higher = new tl.ModelCheckpoint({
      filepath: join(root, 'best-acc', 'b-{epoch}.safetensors'),
      monitor: 'val_accuracy',
      saveBestOnly: true,
      saveWeightsOnly: true,
    });
    await tinyClassifier().fit(x, y, {
      epochs: 4,
      batchSize: 32,
      verbose: 0,
      callbacks: [scripted('val_accuracy', [NaN, 0.5, 0.4, 0.6]), higher],
    });
    expect(higher.saved).toEqual([2, 4].map((e) => join(root, 'best-acc', `b-${e}.safetensors`)));
  });

  it('throws a clear error for a path or monitor missing from the logs', async () => {
    const byPath = new tl.ModelCheckpoint({ filepath: join(root, 'missing', 'm-{val_loss:.2f}') });
    await expect(tinyClassifier().fit(x, y, { epochs: 1, verbose: 0, callbacks: [byPath] })).rejects.toThrowError(
      /^ModelCheckpoint: filepath names 'val_loss', which is not in the logs \(available: epoch, loss, accuracy\)$/,
    );
    const byMonitor = new tl.ModelCheckpoint({ filepath: join(root, 'missing', 'm'), saveBestOnly: true });
    await expect(tinyClassifier().fit(x, y, { epochs: 1, verbose: 0, callbacks: [byMonitor] })).rejects.toThrowError(
      /^ModelCheckpoint: 'val_loss' is not in the logs \(available: loss, accuracy\)$/,
    );
    expect(existsSync(join(root, 'missing'))).toBe(false);
  });

  it('rejects bad arguments when made', () => {
    expect(() => new tl.ModelCheckpoint({ filepath: '' })).toThrowError(/^ModelCheckpoint: filepath must be a non-empty string, got ""$/);
    expect(() => new tl.ModelCheckpoint({ filepath: 'a', mode: 'best' as tl.MonitorMode })).toThrowError(
      /^ModelCheckpoint: mode must be 'auto', 'min' or 'max', got "best"$/,
    );
    expect(() => new tl.ModelCheckpoint({ filepath: 'ckpt-{epoch:x}' })).toThrowError(
      /^ModelCheckpoint: unsupported placeholder \{epoch:x\} in filepath/,
    );
    expect(() => new tl.ModelCheckpoint({ filepath: 'ckpt-{val_loss:.2}' })).toThrowError(RangeError);
  });
});

describe('formatPath', () => {
  it('fills placeholders as Python str.format does', () => {
    // Expected strings: Python's format(value, spec) for each spec.
    expect(formatPath('ckpt-{epoch}', { epoch: 3 })).toBe('ckpt-3');
    expect(formatPath('ckpt-{epoch:02d}', { epoch: 3 })).toBe('ckpt-03');
    expect(formatPath('ckpt-{epoch:03d}', { epoch: 7 })).toBe('ckpt-007');
    expect(formatPath('ckpt-{epoch:02d}', { epoch: 123 })).toBe('ckpt-123');
    expect(formatPath('{val_loss:.2f}', { val_loss: 0.12345 })).toBe('0.12');
    expect(formatPath('{val_loss:.2f}', { val_loss: 3 })).toBe('3.00');
    expect(formatPath('{x:06.2f}', { x: -1.5 })).toBe('-01.50');
    expect(formatPath('{loss:f}', { loss: 0.5 })).toBe('0.500000');
    expect(formatPath('d/{epoch:02d}-{val_loss:.3f}-{accuracy:.2f}', { epoch: 5, val_loss: 0.12345, accuracy: 0.875 })).toBe(
      'd/05-0.123-0.88',
    );
  });

  it('names the missing key and the available ones', () => {
    expect(() => formatPath('{epoch}-{val_loss:.2f}', { epoch: 1, loss: 0.5 })).toThrowError(
      /^ModelCheckpoint: filepath names 'val_loss', which is not in the logs \(available: epoch, loss\)$/,
    );
  });
});

describe('stopTraining', () => {
  it('set in onBatchEnd stops after that batch, still ending the epoch and the run', async () => {
    const model = tinyClassifier();
    const events: string[] = [];
    let lastBatchLoss = NaN;
    const stop: tl.CallbackHooks = {
      onBatchEnd(batch, logs) {
        if (events.filter((e) => e === 'epochEnd 0').length === 1 && batch === 1) {
          lastBatchLoss = logs!.loss;
          model.stopTraining = true;
        }
      },
    };
    const history = await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0, callbacks: [recorder(events), stop] });
    expect(history.epoch).toEqual([0, 1]);
    expect(events.filter((e) => e.startsWith('batchEnd')).map((e) => e.split(' ')[1])).toEqual(['0', '1', '2', '3', '0', '1']);
    expect(events.slice(-2)).toEqual(['epochEnd 1', 'trainEnd']);
    // The epoch's logs cover the two batches run.
    expect(history.history.loss[1]).toBeCloseTo(lastBatchLoss, 10);
  });

  it('is reset by the next fit', async () => {
    const model = tinyClassifier();
    model.stopTraining = true;
    const history = await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
    expect(history.epoch).toEqual([0, 1]);
  });
});
