import { describe, expect, it } from 'vitest';
import * as tl from '../lib/index.js';
import { collectGarbage } from './helpers/gc.js';

describe('dispose', () => {
  it('frees at once, is idempotent, and makes later use throw a clear Error', () => {
    const before = tl.memory();
    const t = tl.zeros([256, 256]);
    expect(tl.memory().tensors).toBe(before.tensors + 1);
    expect(tl.memory().bytes).toBe(before.bytes + 256 * 256 * 4);
    t.dispose();
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(tl.memory().tensors).toBe(before.tensors);
    expect(tl.memory().bytes).toBe(before.bytes);
    expect(() => t.add(1)).toThrowError(/^add: argument 'self' is a disposed tensor/);
    expect(() => tl.ones([1]).mul(t)).toThrowError(/mul: argument 'other' is a disposed tensor/);
    expect(() => t.shape).toThrowError(/shape: argument 'self' is a disposed tensor/);
    expect(() => t.data()).toThrowError(/disposed/);
    expect(t.toString()).toBe('tensor(<disposed>)');
  });

  it('counts storage shared by views once', () => {
    const before = tl.memory();
    const base = tl.zeros([1000]);
    const view = base.view([10, 100]);
    expect(tl.memory().tensors).toBe(before.tensors + 2);
    expect(tl.memory().bytes).toBe(before.bytes + 4000);
    base.dispose();
    expect(tl.memory().bytes).toBe(before.bytes + 4000);
    view.dispose();
    expect(tl.memory().bytes).toBe(before.bytes);
  });

  it('a view outlives the disposal of its base', () => {
    const base = tl.arange(6, { dtype: 'float32' });
    const view = base.view([2, 3]);
    base.dispose();
    expect(view.toArray()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
  });

  it('dispose() frees every tensor in a container', () => {
    const a = tl.ones([2]);
    const b = tl.ones([2]);
    tl.dispose({ a, list: [b, 3, 'x'] });
    expect(a.isDisposed && b.isDisposed).toBe(true);
  });

  it('supports `using` through Symbol.dispose', () => {
    const t = tl.ones([2]);
    t[Symbol.dispose]();
    expect(t.isDisposed).toBe(true);
  });
});

describe('tidy', () => {
  it('frees everything created inside except what it returns', () => {
    const before = tl.memory().tensors;
    let inner: tl.Tensor | undefined;
    const result = tl.tidy(() => {
      inner = tl.ones([3]).mul(2);
      return inner.add(1);
    });
    expect(inner!.isDisposed).toBe(true);
    expect(result.isDisposed).toBe(false);
    expect(Array.from(result.data())).toEqual([3, 3, 3]);
    expect(tl.memory().tensors).toBe(before + 1);
  });

  it('keeps tensors returned inside arrays and objects', () => {
    const { a, list } = tl.tidy(() => ({ a: tl.ones([1]), list: [tl.zeros([1]), 5] as const, gone: undefined }));
    expect(a.isDisposed).toBe(false);
    expect(list[0].isDisposed).toBe(false);
  });

  it('does not touch tensors created before it', () => {
    const outside = tl.ones([2]);
    tl.tidy(() => outside.add(1));
    expect(outside.isDisposed).toBe(false);
  });

  it('hands returned tensors to the enclosing tidy', () => {
    let middle: tl.Tensor | undefined;
    const outer = tl.tidy(() => {
      middle = tl.tidy(() => tl.ones([1]));
      expect(middle.isDisposed).toBe(false);
      return tl.zeros([1]);
    });
    expect(middle!.isDisposed).toBe(true);
    expect(outer.isDisposed).toBe(false);
  });

  it('keep() lets a tensor outlive its tidy', () => {
    let kept: tl.Tensor | undefined;
    tl.tidy(() => {
      kept = tl.keep(tl.ones([1]));
    });
    expect(kept!.isDisposed).toBe(false);
  });

  it('frees what it created when fn throws', () => {
    let inner: tl.Tensor | undefined;
    expect(() =>
      tl.tidy(() => {
        inner = tl.ones([1]);
        throw new Error('boom');
      }),
    ).toThrowError('boom');
    expect(inner!.isDisposed).toBe(true);
  });

  it('follows an async fn across awaits, without touching concurrent work', async () => {
    let afterAwait: tl.Tensor | undefined;
    let concurrent: tl.Tensor | undefined;
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        concurrent = tl.ones([1]);
        resolve();
      }, 5),
    );
    const result = await tl.tidy(async () => {
      await new Promise((r) => setTimeout(r, 20));
      afterAwait = tl.ones([2]);
      return afterAwait.add(1);
    });
    await timer;
    expect(afterAwait!.isDisposed).toBe(true);
    expect(concurrent!.isDisposed).toBe(false);
    expect(Array.from(result.data())).toEqual([2, 2]);
  });

  it('frees what an async fn created when it rejects', async () => {
    let inner: tl.Tensor | undefined;
    await expect(
      tl.tidy(async () => {
        inner = tl.ones([1]);
        await Promise.resolve();
        throw new Error('late');
      }),
    ).rejects.toThrowError('late');
    expect(inner!.isDisposed).toBe(true);
  });
});

describe('memory()', () => {
  it('reports host bytes for CPU tensors', () => {
    const before = tl.memory();
    const t = tl.zeros([1024], { dtype: 'float64' });
    const now = tl.memory();
    expect(now.hostBytes - before.hostBytes).toBe(8192);
    t.dispose();
  });

  it('reports host bytes to V8 as external memory', () => {
    // Each handle also counts 256 bytes for its own native part, until GC finalizes it (Node runs
    // those finalizers from the event loop, so none runs inside this synchronous test).
    const before = tl.memory().v8ExternalBytes;
    const t = tl.zeros([16 << 20], { dtype: 'uint8' });
    expect(tl.memory().v8ExternalBytes - before).toBe((16 << 20) + 256);
    t.dispose();
    expect(tl.memory().v8ExternalBytes - before).toBe(256);
  });

  it('stays flat over many tidy() steps (no leak)', () => {
    const step = () =>
      tl.tidy(() =>
        tl
          .randn([64, 64])
          .matmul(tl.randn([64, 64]))
          .exp()
          .sum(),
      );
    for (let i = 0; i < 10; i++) step().dispose();
    const before = tl.memory();
    for (let i = 0; i < 500; i++) step().dispose();
    expect(tl.memory().tensors).toBe(before.tensors);
    expect(tl.memory().bytes).toBe(before.bytes);
  });
});

describe('lifetimes of what the model and the optimizers hold', () => {
  const tinyModel = () => {
    const model = tl.sequential([
      tl.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }),
      tl.layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    return model;
  };

  it('memory() counts optimizer state, and Optimizer.dispose() frees it', () => {
    const p = tl.randn([1000]).setRequiresGrad();
    const before = tl.memory();
    const opt = new tl.optim.Adam([p]);
    p.grad = tl.ones([1000]);
    opt.step();
    // Adam keeps two float32 moments per parameter, and for the fused kernel its step count as a float32 scalar.
    const after = tl.memory();
    const fused = tl.backendInfo().fusedAdam ? 1 : 0;
    expect(after.optimizerStateTensors - before.optimizerStateTensors).toBe(2 + fused);
    expect(after.optimizerStateBytes - before.optimizerStateBytes).toBe(2 * 1000 * 4 + fused * 4);
    opt.dispose();
    expect(tl.memory().optimizerStateBytes).toBe(before.optimizerStateBytes);
    expect(opt.isDisposed).toBe(true);
    expect(() => opt.step()).toThrowError(/^Adam.step: the optimizer was disposed$/);
    expect(() => opt.getState()).toThrowError(/^Adam.getState: the optimizer was disposed$/);
    expect(() => opt.configure({ learningRate: 1 })).toThrowError(/^Adam.configure: the optimizer was disposed$/);
    expect(() => opt.attach([p])).toThrowError(/^Adam.attach: the optimizer was disposed$/);
    opt.dispose(); // twice is fine
    expect(p.isDisposed).toBe(false); // the parameters are the caller's
  });

  it('model.dispose() frees the weights and the optimizer state', async () => {
    const before = tl.memory();
    const model = tinyModel();
    await model.fit(tl.rand([8, 4]), tl.randint(0, 3, [8]), { verbose: 0 });
    expect(tl.memory().optimizerStateBytes).toBeGreaterThan(before.optimizerStateBytes);
    const weights = model.namedWeights().map(([, t]) => t);
    model.dispose();
    expect(weights.every((t) => t.isDisposed)).toBe(true);
    expect(model.optimizer?.isDisposed).toBe(true);
    expect(tl.memory().optimizerStateBytes).toBe(before.optimizerStateBytes);
  });

  it('predict + dispose and evaluate leave no live tensor behind, without waiting for GC', async () => {
    const model = tinyModel();
    const [x, y] = [tl.rand([70, 4]), tl.randint(0, 3, [70])];
    (await model.predict(x, { batchSize: 32 })).dispose();
    await model.evaluate(x, y, { batchSize: 32 });
    // Garbage of earlier tests, which GC may free while the loop awaits, must not hide a leak.
    await collectGarbage();
    const before = tl.memory().tensors;
    for (let i = 0; i < 20; i++) {
      (await model.predict(x, { batchSize: 32 })).dispose();
      await model.evaluate(x, y, { batchSize: 32 });
    }
    expect(tl.memory().tensors).toBe(before);
  });
});

describe('the CPU tensor allocator', () => {
  // The sanitizer run (which loads its build through TORCHLET_ADDON) keeps CPU tensors with malloc.
  it.skipIf(process.env.TORCHLET_ADDON !== undefined)('is installed', () => {
    expect(tl.backendInfo().hostAllocator).toBe('caching');
  });

  it.skipIf(tl.backendInfo().hostAllocator !== 'caching')(
    'keeps freed large blocks for reuse, reports them, and gives them back on emptyCache()',
    () => {
      tl.emptyCache();
      expect(tl.memory().hostCachedBytes).toBe(0);
      // 1 MiB of float32: mapped, and kept by size when freed.
      const a = tl.full([262144], 3);
      expect(a.sum().item()).toBe(3 * 262144);
      a.dispose();
      const cached = tl.memory().hostCachedBytes;
      expect(cached).toBeGreaterThanOrEqual(262144 * 4);
      // The same size again takes the cached block out of the cache.
      const b = tl.zeros([262144]);
      expect(tl.memory().hostCachedBytes).toBe(cached - Math.ceil((262144 * 4 + 64) / 4096) * 4096);
      expect(b.sum().item()).toBe(0);
      b.dispose();
      tl.emptyCache();
      expect(tl.memory().hostCachedBytes).toBe(0);
    },
  );

  it('small tensors and empty ones work as before', () => {
    for (const n of [0, 1, 15, 16383, 16384, 16385]) {
      const t = tl.arange(n);
      expect(t.numel).toBe(n);
      expect(t.sum().item()).toBe(n === 0 ? 0 : (n * (n - 1)) / 2);
      t.dispose();
    }
  });
});
