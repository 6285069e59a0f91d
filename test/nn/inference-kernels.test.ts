// The kernels that serve calls without autograd (predict, evaluate): max pooling without indices
// (native/max-pool.cc), and oneDNN's fused inner product and packed weights (linear-relu.cc,
// conv-relu.cc, onednn.cc). Each is checked against the path autograd takes, which is
// libtorch's own ops (max_pool2d; linear, conv2d and relu).
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

const { ops } = tl;

// The same values, NaN and the sign of zero included.
function expectSame(a: tl.Tensor, b: tl.Tensor): void {
  expect(a.shape).toEqual(b.shape);
  expect(a.dtype).toBe(b.dtype);
  expect(Array.from(a.data())).toEqual(Array.from(b.data()));
}

function expectClose(a: tl.Tensor, b: tl.Tensor, tolerance = 1e-5): void {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = [a.data(), b.data()];
  x.forEach((v, i) => expect(Math.abs(v - y[i])).toBeLessThanOrEqual(tolerance * (1 + Math.abs(y[i]))));
}

// An [n, c, h, w] input, channels-last (as layers pass them) or contiguous.
function images(n: number, c: number, h: number, w: number, channelsLast: boolean): tl.Tensor {
  return channelsLast ? tl.randn([n, h, w, c]).permute([0, 3, 1, 2]) : tl.randn([n, c, h, w]);
}

// ATen's max_pool2d, which autograd needs (it keeps the indices).
function atenMaxPool(x: tl.Tensor, kernel: number, options: tl.ops.Pool2dOptions): tl.Tensor {
  const leaf = x.clone();
  leaf.requiresGrad = true;
  return ops.maxPool2d(leaf, kernel, options).detach();
}

describe('max pooling without autograd', () => {
  const cases: [string, number, tl.ops.Pool2dOptions][] = [
    ['2x2', 2, {}],
    ['3x3 stride 2 (overlapping)', 3, { stride: 2 }],
    ['2x2 stride 1', 2, { stride: 1 }],
    ['3x3 ceilMode, the last window inside', 3, { stride: 2, ceilMode: true }],
    ['2x2 ceilMode, the last window overhanging (ATen then)', 2, { ceilMode: true }],
    ['3x3 padding 1 (ATen then)', 3, { stride: 2, padding: 1 }],
  ];
  for (const channelsLast of [true, false]) {
    it.each(cases)(`equals ATen's max_pool2d: %s, ${channelsLast ? 'channels-last' : 'contiguous'}`, (_, kernel, options) => {
      tl.manualSeed(3);
      for (const [n, c, h, w] of [
        [2, 5, 9, 7],
        [3, 32, 10, 10],
        [1, 17, 5, 6],
      ]) {
        const x = images(n, c, h, w, channelsLast);
        expectSame(
          tl.noGrad(() => ops.maxPool2d(x, kernel, options)),
          atenMaxPool(x, kernel, options),
        );
      }
    });
  }

  it.each(['float32', 'bfloat16'] as const)(
    'lets NaN win and keeps -0, infinities and ties as ATen does, in either layout (%s)',
    (dtype) => {
      // 27 channels: channels-last runs 24 through the vector loop and 3 through the scalar one.
      const values = new Float32Array(2 * 4 * 4 * 27).map((_, i) => [NaN, -0, 0, Infinity, -Infinity, 1, 1.5, -2][(i * 7) % 8]);
      const layouts = [tl.tensor(values, { shape: [2, 4, 4, 27] }).permute([0, 3, 1, 2]), tl.tensor(values, { shape: [2, 27, 4, 4] })];
      for (const x of layouts.map((t) => t.to(dtype))) {
        const got = tl.noGrad(() => ops.maxPool2d(x, 2));
        expectSame(got, atenMaxPool(x, 2, {}));
        expect(Array.from(got.data()).filter(Number.isNaN).length).toBeGreaterThan(0);
        expect(Array.from(got.data()).filter((v) => !Number.isNaN(v)).length).toBeGreaterThan(0);
      }
    },
  );

  it('pools bfloat16 as ATen does, and handles an empty batch', () => {
    tl.manualSeed(8);
    for (const channelsLast of [true, false]) {
      const x = images(3, 19, 9, 8, channelsLast).to('bfloat16');
      expectSame(
        tl.noGrad(() => ops.maxPool2d(x, 3, { stride: 2 })),
        atenMaxPool(x, 3, { stride: 2 }),
      );
    }
    expect(tl.noGrad(() => ops.maxPool2d(images(0, 3, 4, 4, true), 2)).shape).toEqual([0, 3, 2, 2]);
  });

  it('takes the gradient through ATen when autograd records', () => {
    const x = images(1, 2, 4, 4, true);
    x.requiresGrad = true;
    ops.maxPool2d(x, 2).sum().backward();
    expect(Array.from(x.grad!.data()).filter((g) => g === 1)).toHaveLength(8); // one per window
  });
});

describe('Dense with ReLU without autograd', () => {
  it('is linear then relu, to float rounding, for 2-D and 3-D inputs, with or without a bias', () => {
    tl.manualSeed(4);
    const w = tl.randn([7, 6]);
    const b = tl.randn([7]);
    for (const x of [tl.randn([5, 6]), tl.randn([2, 3, 6])]) {
      for (const bias of [b, null]) {
        const fused = tl.noGrad(() => ops.linear(x, w, bias, { kernel: 'auto', activation: 'relu' }));
        expectClose(fused, ops.relu(ops.linear(x, w, bias)));
      }
    }
  });

  it('packs a weight again after it changes in place, or for another weight', () => {
    tl.manualSeed(5);
    const x = tl.randn([4, 6]);
    const w = tl.randn([3, 6]);
    const dense = () => tl.noGrad(() => ops.linear(x, w, null, { kernel: 'auto', activation: 'relu' }));
    const before = dense();
    w.add_(1);
    expectClose(dense(), ops.relu(ops.linear(x, w)));
    w.assign(tl.randn([3, 6]));
    expectClose(dense(), ops.relu(ops.linear(x, w)));
    w.assign(tl.zeros([3, 6]));
    expectSame(dense(), tl.zeros([4, 3]));
    expect(before.sub(dense()).abs().max().item()).toBeGreaterThan(0);
    // An optimizer step writes the weight too (Adam's fused kernel, which bumps no version itself).
    w.requiresGrad = true;
    const adam = new tl.optim.Adam([w], { learningRate: 0.5 });
    const stale = dense();
    ops.linear(x, w).sum().backward();
    adam.step();
    w.requiresGrad = false;
    expect(dense().sub(stale).abs().max().item()).toBeGreaterThan(0);
    expectClose(dense(), ops.relu(ops.linear(x, w)));
    // A weight made after another is freed may take its place in memory: it is still its own.
    for (let k = 0; k < 5; k++) {
      const fresh = tl.full([3, 6], k);
      expectClose(
        tl.noGrad(() => ops.linear(x, fresh, null, { kernel: 'auto', activation: 'relu' })),
        ops.relu(ops.linear(x, fresh)),
      );
      fresh.dispose();
    }
  });

  it('in bfloat16 is linear then relu, to bfloat16 rounding', () => {
    const [x, w, b] = [tl.randn([9, 16]), tl.randn([5, 16]), tl.randn([5])].map((t) => t.to('bfloat16'));
    const fused = tl.noGrad(() => ops.linear(x, w, b, { kernel: 'auto', activation: 'relu' }));
    expect(fused.dtype).toBe('bfloat16');
    expectClose(fused.to('float32'), ops.relu(ops.linear(x, w, b)).to('float32'), 1e-2);
  });

  it("with kernel 'blas' is exactly torch's linear then relu", () => {
    const [x, w] = [tl.randn([5, 6]), tl.randn([7, 6])];
    expectSame(
      tl.noGrad(() => ops.linear(x, w, null, { activation: 'relu' })),
      ops.relu(ops.linear(x, w)),
    );
    expect(() => ops.linear(x, w, null, { activation: 'gelu' as 'relu' })).toThrowError(
      /'activation' must be 'linear' or 'relu', got 'gelu'/,
    );
  });
});

describe('Conv2D with ReLU without autograd', () => {
  it('packs a weight again after it changes in place, and per batch size', () => {
    tl.manualSeed(6);
    const w = tl.randn([8, 3, 3, 3]).permute([0, 2, 3, 1]).contiguous().permute([0, 3, 1, 2]); // channels-last, as layers keep it
    const b = tl.randn([8]);
    const reference = (x: tl.Tensor) => ops.relu(ops.conv2d(x, w, b));
    const fused = (x: tl.Tensor) => tl.noGrad(() => ops.conv2d(x, w, b, { activation: 'relu' }));
    for (const n of [2, 5, 2]) {
      const x = images(n, 3, 9, 9, true);
      expectClose(fused(x), reference(x));
    }
    const x = images(2, 3, 9, 9, true);
    w.add_(0.5);
    expectClose(fused(x), reference(x));
    b.add_(-3);
    expectClose(fused(x), reference(x));
  });

  it('in bfloat16 is conv2d then relu, to bfloat16 rounding', () => {
    const x = images(2, 4, 7, 7, true).to('bfloat16');
    const [w, b] = [tl.randn([6, 4, 3, 3]), tl.randn([6])].map((t) => t.to('bfloat16'));
    const fused = tl.noGrad(() => ops.conv2d(x, w, b, { activation: 'relu' }));
    expect(fused.dtype).toBe('bfloat16');
    expectClose(fused.to('float32'), ops.relu(ops.conv2d(x, w, b)).to('float32'), 1e-2);
  });
});
