// The native boundary under fuzzing (scripts/fuzz-native.mjs): every binding, called with
// generated arguments, returns or throws an Error; no call crashes or aborts the process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tl from '../lib/index.js';
import { native } from '../lib/native.js';

const script = join(import.meta.dirname, '..', 'scripts', 'fuzz-native.mjs');
const SEEDS = [1, 2, 3, 4];
const CALLS = 10_000;

describe('the native boundary under fuzzing', () => {
  it.each(SEEDS)(`seed %i: ${CALLS} generated calls, each returning or throwing an Error`, (seed) => {
    const log = join(mkdtempSync(join(tmpdir(), 'fuzz-')), 'calls.log');
    const run = spawnSync(process.execPath, [script, '--seed', String(seed), '--calls', String(CALLS), '--log', log], { encoding: 'utf8' });
    const lastCall = readFileSync(log, 'utf8').trimEnd().split('\n').at(-1);
    // A crash names the call that made it, to replay with the same seed.
    expect({ status: run.status, signal: run.signal }, `last call: ${lastCall}\n${run.stderr.slice(-2000)}`).toEqual({
      status: 0,
      signal: null,
    });
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { calls: number; threw: number; returned: number };
    expect(summary.calls).toBe(CALLS);
    // Both kinds of outcome happen: the fuzzer reaches calls that work, not only argument errors.
    expect(summary.returned).toBeGreaterThan(CALLS / 20);
    expect(summary.threw).toBeGreaterThan(CALLS / 2);
  });
});

// What the fuzzer and the sanitizers found in the native code, pinned as plain tests.
describe('found by fuzzing, fixed', () => {
  const param = () => tl.randn([2]).setRequiresGrad();

  it('an array whose getter grows or shrinks it while native code reads it is read once', () => {
    for (const grow of [true, false]) {
      const p = param();
      const opt = new tl.optim.Adam([p]);
      p.grad = tl.ones([2]);
      opt.step();
      const state = opt.getState();
      const steps = [5];
      Object.defineProperty(steps, 0, {
        get() {
          if (grow) steps.push(1, 1, 1, 1, 1, 1, 1, 1);
          else steps.length = 0;
          return 5;
        },
      });
      opt.setState({ ...state, steps });
      // One step count for one parameter, not nine (a heap overflow in optim.cc before).
      expect(opt.getState().steps).toEqual([5]);
      opt.step();
      expect(opt.getState().steps).toEqual([6]);
    }
  });

  it('batch norm over zero channels is an error naming the input (a division by zero before)', () => {
    for (const shape of [
      [4, 0],
      [0, 0],
      [2, 0, 3, 3],
    ]) {
      for (const training of [true, false]) {
        const stats = training ? {} : { runningMean: tl.zeros([0]), runningVar: tl.ones([0]) };
        expect(() => tl.ops.batchNorm(tl.zeros(shape), { training, ...stats })).toThrowError(
          /^batchNorm: input \[[\d, ]+\] has no channels \(dim 1 is 0\)/,
        );
      }
    }
    expect(() => tl.ops.batchNorm(tl.zeros([1, 4]), { training: true })).toThrowError(
      /batchNorm: training needs more than one value per channel/,
    );
  });

  it('a target shape whose size overflows 64 bits is refused (a signed overflow before)', () => {
    expect(() => tl.zeros([0]).reshape([2 ** 40, 2 ** 40, 2 ** 40])).toThrowError(/reshape: cannot reshape \[0\] \(0 elements\) to \[/);
  });

  it('conv2d groups beyond 32 bits are refused (libtorch 1.13 keeps groups in an int)', () => {
    expect(() => tl.ops.conv2d(tl.randn([1, 4, 5, 5]), tl.randn([4, 4, 3, 3]), null, { groups: 2 ** 32 })).toThrowError(
      /conv2d: 'groups' must be between 1 and 2147483647, got 4294967296/,
    );
  });

  it('handle classes cannot be constructed from JS, and objects that only inherit their prototype are not handles', () => {
    const handle = (tl.zeros([1]) as unknown as { handle: object }).handle;
    const HandleClass = Object.getPrototypeOf(handle).constructor as new () => object;
    expect(() => new HandleClass()).toThrowError(TypeError);
    expect(() => new HandleClass()).toThrowError(/^TensorHandle: cannot be constructed from JS; a tensor operation makes its objects$/);
    const fake = Object.create(Object.getPrototypeOf(handle)) as object;
    expect(native.isTensorHandle(fake)).toBe(false);
    expect(() => native.neg(fake as never)).toThrowError(/^neg: argument 'self' must be a Tensor, got object/);

    // The optimizer's class too (the CUDA graph's is the same code, instance.h, on CUDA builds).
    const parameter = (tl.zeros([1]).setRequiresGrad() as unknown as { handle: object }).handle;
    const optimizer = native.optimizer('adam', [parameter as never], {}) as object;
    const OptimizerClass = Object.getPrototypeOf(optimizer).constructor as new () => object;
    expect(() => new OptimizerClass()).toThrowError(/^OptimizerHandle: cannot be constructed from JS; /);
    const fakeOptimizer = Object.create(Object.getPrototypeOf(optimizer)) as never;
    expect(() => native.optimizerStep(fakeOptimizer)).toThrowError(/^optimizerStep: argument 'self' must be an optimizer/);
  });
});
