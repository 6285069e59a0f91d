import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { tinyClassifier } from '../helpers/models.js';
import { formatDuration, formatLogs, formatPerStep, formatResult, formatValue } from '../../lib/model/progress.js';

tl.manualSeed(42);
const x = tl.randn([64, 4]);
const y = tl.randint(0, 3, [64]);

function capture(isTTY?: boolean): tl.ProgressOutput & { text: string } {
  return {
    text: '',
    isTTY,
    write(chunk: string) {
      this.text += chunk;
    },
  };
}

// eslint-disable-next-line no-control-regex -- the terminal escapes the progress bar writes
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const PER_STEP = String.raw`\d+(?:s|ms|us)/step`;
const VALUE = String.raw`\d\.\d{4}`;

describe('formatDuration', () => {
  it('writes seconds, minutes and hours as Keras writes an ETA, rounding down', () => {
    // Keras: '%ds' up to 60 s, then '%d:%02d', then '%d:%02d:%02d' above an hour.
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(7)).toBe('7s');
    expect(formatDuration(7.9)).toBe('7s');
    expect(formatDuration(60)).toBe('60s');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(599.9)).toBe('9:59');
    expect(formatDuration(3600)).toBe('60:00');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(36000)).toBe('10:00:00');
  });
});

describe('formatLogs', () => {
  it('sorts the keys and writes 4 decimals', () => {
    expect(formatLogs({ val_loss: 0.25, loss: 1.23456, accuracy: 0.5, val_accuracy: 1 })).toBe(
      ' - accuracy: 0.5000 - loss: 1.2346 - val_accuracy: 1.0000 - val_loss: 0.2500',
    );
    expect(formatLogs({})).toBe('');
  });

  it('writes values at or below 1e-3 in scientific notation, as Keras does', () => {
    // Python: f'{v:.4e}'.
    expect(formatValue(0.0000123)).toBe('1.2300e-05');
    expect(formatValue(0)).toBe('0.0000e+00');
    expect(formatValue(0.001)).toBe('1.0000e-03');
    expect(formatValue(-0.0005)).toBe('-5.0000e-04');
    expect(formatValue(0.0011)).toBe('0.0011');
    expect(formatValue(-2.5)).toBe('-2.5000');
    expect(formatValue(1e-120)).toBe('1.0000e-120');
    expect(formatValue(NaN)).toBe('nan');
    expect(formatValue(-Infinity)).toBe('-inf');
  });
});

describe('formatPerStep', () => {
  it('writes s, ms or us per step as Keras does', () => {
    expect(formatPerStep(1500)).toBe('2s/step');
    expect(formatPerStep(999.4)).toBe('999ms/step');
    expect(formatPerStep(3.2)).toBe('3ms/step');
    expect(formatPerStep(0.83)).toBe('830us/step');
    expect(formatPerStep(0)).toBe('0s/step');
  });

  it('builds the result lines of verbose 1 and 2', () => {
    const logs = { loss: 1.5, accuracy: 0.25 };
    expect(formatResult(1, 4, 1600, 3, logs)).toBe('4/4 ━━━━━━━━━━━━━━━━━━━━ 2s 3ms/step - accuracy: 0.2500 - loss: 1.5000');
    expect(formatResult(2, 12, 200, 0.5, logs)).toBe('12/12 - 0s - 500us/step - accuracy: 0.2500 - loss: 1.5000');
  });
});

describe('the progress of fit', () => {
  it('at verbose 1 without a TTY prints each epoch header and one result line per epoch', async () => {
    const out = capture(false);
    const history = await tinyClassifier().fit(x, y, { epochs: 3, batchSize: 16, verbose: 1, output: out });
    expect(out.text).not.toContain('\r');
    expect(out.text).not.toContain('\x1b');
    const lines = out.text.split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[6]).toBe('');
    const result = new RegExp(String.raw`^4/4 ━{20} \d+s ${PER_STEP} - accuracy: (${VALUE}) - loss: (${VALUE})$`);
    for (let e = 0; e < 3; e++) {
      expect(lines[2 * e]).toBe(`Epoch ${e + 1}/3`);
      const match = result.exec(lines[2 * e + 1]);
      expect(match, lines[2 * e + 1]).not.toBeNull();
      expect(match![1]).toBe(history.history.accuracy[e].toFixed(4));
      expect(match![2]).toBe(history.history.loss[e].toFixed(4));
    }
  });

  it('shows the validation results, and no epoch header for a single epoch (as Keras)', async () => {
    const out = capture();
    const history = await tinyClassifier().fit(x, y, { epochs: 1, batchSize: 20, verbose: 1, output: out, validationData: [x, y] });
    const h = history.history;
    const values = `accuracy: ${h.accuracy[0].toFixed(4)} - loss: ${h.loss[0].toFixed(4)} - val_accuracy: ${h.val_accuracy[0].toFixed(4)} - val_loss: ${h.val_loss[0].toFixed(4)}`;
    expect(out.text).toMatch(new RegExp(String.raw`^4/4 ━{20} \d+s ${PER_STEP} - ${values}\n$`));
  });

  it('at verbose 2 prints one line per epoch', async () => {
    const out = capture(true);
    const history = await tinyClassifier().fit(x, y, { epochs: 2, batchSize: 16, verbose: 2, output: out });
    const lines = out.text.split('\n');
    expect(lines).toHaveLength(5);
    for (let e = 0; e < 2; e++) {
      expect(lines[2 * e]).toBe(`Epoch ${e + 1}/2`);
      const values = `accuracy: ${history.history.accuracy[e].toFixed(4)} - loss: ${history.history.loss[e].toFixed(4)}`;
      expect(lines[2 * e + 1]).toMatch(new RegExp(String.raw`^4/4 - \d+s - ${PER_STEP} - ${values}$`));
    }
    // verbose 2 never redraws, even on a TTY.
    expect(out.text).not.toContain('\r');
    expect(out.text).not.toContain('\x1b');
  });

  it('at verbose 0 writes nothing', async () => {
    const out = capture(true);
    const history = await tinyClassifier().fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, output: out });
    expect(history.epoch).toEqual([0, 1]);
    expect(out.text).toBe('');
  });

  it('on a TTY redraws the line with an ETA while an epoch runs', async () => {
    const out = capture(true);
    const slowFirstBatch: tl.CallbackHooks = {
      onBatchEnd(batch) {
        if (batch !== 0) return;
        const end = performance.now() + 400;
        while (performance.now() < end);
      },
    };
    const history = await tinyClassifier().fit(x, y, { epochs: 2, batchSize: 8, verbose: 1, output: out, callbacks: [slowFirstBatch] });
    // The first batch took 400 ms; 7 more at that pace make an ETA of 2.8 s, so the bar shows 1/8.
    const redraw = '\r1/8 \x1b[32m━━\x1b[0m\x1b[2m' + '━'.repeat(18) + '\x1b[0m';
    expect(out.text.split(redraw)).toHaveLength(3);
    const frames = out.text.split(/\r|\n/).map((frame) => frame.replace(ANSI, ''));
    const eta = new RegExp(String.raw`^1/8 ━{20} (\d+)s (\d+)ms/step - accuracy: ${VALUE} - loss: ${VALUE}$`);
    const redraws = frames.map((frame) => eta.exec(frame)).filter((m) => m !== null);
    expect(redraws).toHaveLength(2);
    for (const [, seconds, perStep] of redraws) {
      expect(Number(seconds)).toBeGreaterThanOrEqual(2);
      expect(Number(perStep)).toBeGreaterThanOrEqual(400);
    }
    // Each epoch ends with a full green bar, its time and its logs, over the redrawn line.
    const final = new RegExp(
      String.raw`\r8/8 \x1b\[32m━{20}\x1b\[0m\x1b\[2m\x1b\[0m \d+s ${PER_STEP} - accuracy: (${VALUE}) - loss: (${VALUE})\x1b\[K\n`,
      'g',
    );
    const finals = [...out.text.matchAll(final)];
    expect(finals.map((m) => [m[1], m[2]])).toEqual(
      [0, 1].map((e) => [history.history.accuracy[e].toFixed(4), history.history.loss[e].toFixed(4)]),
    );
    expect(out.text.indexOf(redraw)).toBeLessThan(finals[0].index);
    expect(out.text.startsWith('Epoch 1/2\n')).toBe(true);
  });
});

describe('the progress of evaluate', () => {
  it('at verbose 1 prints one result line', async () => {
    const model = tinyClassifier();
    const out = capture(false);
    const logs = await model.evaluate(x, y, { batchSize: 32, verbose: 1, output: out });
    expect(out.text.split('\n')).toHaveLength(2);
    expect(out.text).toMatch(
      new RegExp(String.raw`^2/2 .*\d+s.* - accuracy: ${logs.accuracy.toFixed(4)} - loss: ${logs.loss.toFixed(4)}\n$`),
    );
  });

  it('at verbose 0 (the default) writes nothing', async () => {
    const out = capture(false);
    await tinyClassifier().evaluate(x, y, { output: out });
    expect(out.text).toBe('');
  });
});
