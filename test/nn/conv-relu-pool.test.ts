// ops.conv2dReluMaxPool (native/conv-relu-pool.cc): a ReLU convolution and 'valid' max pooling as
// one op. Without autograd, a first layer's shapes (up to 4 input channels, 16k filters, 2x2
// windows of stride 2) run as one AVX-512 kernel; everything else is the two ops. The two ops
// with autograd recording (libtorch's conv2d, relu and max_pool2d, themselves checked against
// PyTorch) are the oracle.
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { applyActivation } from '../../lib/nn/activation.js';

const { ops } = tl;

type ConvOptions = Omit<tl.ops.Conv2dOptions, 'activation'>;

// The two ops, through autograd's path (a weight that needs a gradient), detached.
function twoOps(x: tl.Tensor, w: tl.Tensor, b: tl.Tensor | null, options: ConvOptions, pool: number, poolStride = pool): tl.Tensor {
  const leaf = w.clone();
  leaf.requiresGrad = true;
  const y = ops.conv2d(x, leaf, b, { ...options, activation: 'relu' });
  return ops.maxPool2d(y, pool, { stride: poolStride }).detach();
}

function fused(x: tl.Tensor, w: tl.Tensor, b: tl.Tensor | null, options: ConvOptions, pool: number, poolStride = pool): tl.Tensor {
  return tl.noGrad(() => ops.conv2dReluMaxPool(x, w, b, options, pool, poolStride));
}

// Equal to float32 rounding (the kernel sums the taps in another order), NaN where the oracle has one.
function expectClose(got: tl.Tensor, want: tl.Tensor): void {
  expect(got.shape).toEqual(want.shape);
  const [a, b] = [got.contiguous().data(), want.contiguous().data()];
  b.forEach((v, i) => {
    if (Number.isNaN(v)) expect(a[i]).toBeNaN();
    else expect(Math.abs(a[i] - v)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v)));
  });
}

// A channels-last [n, c, h, w] batch, as the layers pass images, and an [out, c, k, k] weight.
function problem(n: number, c: number, h: number, w: number, filters: number, kernel: number) {
  return {
    x: tl.randn([n, h, w, c]).permute([0, 3, 1, 2]),
    weight: tl.randn([filters, c, kernel, kernel]).mul(0.3),
    bias: tl.randn([filters]).mul(0.1),
  };
}

describe('conv2dReluMaxPool', () => {
  it.each([
    ['RGB 32x32, 32 filters (the reference CNN)', [5, 3, 32, 32], 32, 3, {}],
    ['one channel, odd sizes (last row and column in no window)', [3, 1, 13, 11], 16, 3, {}],
    ['4 channels, 80 filters (a 64-filter block and a 16)', [2, 4, 9, 10], 80, 3, {}],
    ['48 filters, 5x5, zero padding 2', [2, 3, 12, 12], 48, 5, { padding: 2 }],
    ["'same' padding with an even kernel (an odd pixel after)", [2, 3, 8, 7], 64, 4, { padding: 'same' }],
    ['the smallest output (one window)', [1, 3, 4, 4], 16, 3, {}],
  ] as [string, number[], number, number, ConvOptions][])('equals the two ops: %s', (_, [n, c, h, w], filters, kernel, options) => {
    tl.manualSeed(21);
    const p = problem(n, c, h, w, filters, kernel);
    const got = fused(p.x, p.weight, p.bias, options, 2);
    expectClose(got, twoOps(p.x, p.weight, p.bias, options, 2));
    expect(got.data().some((v) => v > 0)).toBe(true);
    if (got.numel > 16) expect(got.data().some((v) => v === 0)).toBe(true);
    // Without a bias, and from a contiguous (NCHW) input.
    expectClose(fused(p.x.contiguous(), p.weight, null, options, 2), twoOps(p.x, p.weight, null, options, 2));
  });

  // oneDNN's fused ReLU (ops.conv2d with activation 'relu', libtorch 2.x on the CPU) makes a NaN
  // 0; PyTorch's relu, and this kernel, keep it.
  it("lets a NaN input win its windows, as PyTorch's conv2d, relu and max_pool2d do", () => {
    tl.manualSeed(22);
    const values = tl.randn([2, 10, 10, 3]).data();
    values[3 * (10 * 4 + 5) + 1] = NaN; // image 0, row 4, column 5, channel 1
    values[300 + 3 * (10 * 9 + 9)] = NaN; // image 1, the last pixel: in no window of the 4x4 output
    const x = tl.tensor(values, { shape: [2, 10, 10, 3] }).permute([0, 3, 1, 2]);
    const { weight, bias } = problem(1, 3, 1, 1, 32, 3);
    const got = fused(x, weight, bias, {}, 2);
    expectClose(got, ops.maxPool2d(applyActivation('relu', ops.conv2d(x, weight, bias)), 2));
    const nan = got.data().filter(Number.isNaN).length;
    expect(nan).toBeGreaterThan(0);
    expect(nan).toBeLessThan(got.numel);
  });

  it('in bfloat16 is the two ops, to bfloat16 rounding', () => {
    tl.manualSeed(26);
    const p = problem(3, 3, 16, 16, 48, 3);
    const [x, weight, bias] = [p.x, p.weight, p.bias].map((t) => t.to('bfloat16'));
    const got = fused(x, weight, bias, {}, 2);
    expect(got.dtype).toBe('bfloat16');
    const want = twoOps(x, weight, bias, {}, 2);
    expect(got.shape).toEqual(want.shape);
    const [a, b] = [got.contiguous().data(), want.contiguous().data()];
    b.forEach((v, i) => expect(Math.abs(a[i] - v)).toBeLessThanOrEqual(1e-2 * (1 + Math.abs(v))));
    expect(a.some((v, i) => v > 0 && v === b[i])).toBe(true);
  });

  it.each([
    ['8 input channels', [2, 8, 10, 10], 32, 3, {}, 2, 2],
    ['24 filters (not a multiple of 16)', [2, 3, 10, 10], 24, 3, {}, 2, 2],
    ['3x3 windows', [2, 3, 11, 11], 16, 3, {}, 3, 3],
    ['overlapping windows (stride 1)', [2, 3, 9, 9], 16, 3, {}, 2, 1],
    ['a strided convolution', [2, 3, 12, 12], 16, 3, { stride: 2 }, 2, 2],
    ['a dilated convolution', [2, 3, 12, 12], 16, 3, { dilation: 2 }, 2, 2],
    ['grouped', [2, 4, 10, 10], 32, 3, { groups: 2 }, 2, 2],
  ] as [string, number[], number, number, ConvOptions, number, number][])(
    'is exactly the two ops where the kernel does not apply: %s',
    (_, [n, c, h, w], filters, kernel, options, pool, poolStride) => {
      tl.manualSeed(23);
      const groups = options.groups ?? 1;
      const p = problem(n, c / groups, h, w, filters, kernel);
      const x = tl.randn([n, h, w, c]).permute([0, 3, 1, 2]);
      const want = tl.noGrad(() =>
        ops.maxPool2d(ops.conv2d(x, p.weight, p.bias, { ...options, activation: 'relu' }), pool, { stride: poolStride }),
      );
      expect(Array.from(fused(x, p.weight, p.bias, options, pool, poolStride).contiguous().data())).toEqual(
        Array.from(want.contiguous().data()),
      );
    },
  );

  it('takes gradients through the two ops when autograd records', () => {
    tl.manualSeed(24);
    const p = problem(2, 3, 10, 10, 32, 3);
    const grads = [true, false].map((together) => {
      const w = p.weight.clone();
      w.requiresGrad = true;
      const y = together
        ? ops.conv2dReluMaxPool(p.x, w, p.bias, {}, 2)
        : ops.maxPool2d(ops.conv2d(p.x, w, p.bias, { activation: 'relu' }), 2);
      y.mul(y).sum().backward();
      return Array.from(w.grad!.data());
    });
    expect(grads[0]).toEqual(grads[1]);
    expect(grads[0].some((g) => g !== 0)).toBe(true);
  });

  it('uses a weight changed in place, and another batch size', () => {
    tl.manualSeed(25);
    const p = problem(3, 3, 8, 8, 16, 3);
    expectClose(fused(p.x, p.weight, p.bias, {}, 2), twoOps(p.x, p.weight, p.bias, {}, 2));
    p.weight.add_(0.5);
    expectClose(fused(p.x, p.weight, p.bias, {}, 2), twoOps(p.x, p.weight, p.bias, {}, 2));
    const one = p.x.slice(0, 0, 1);
    expectClose(fused(one, p.weight, p.bias, {}, 2), twoOps(one, p.weight, p.bias, {}, 2));
    const none = p.x.slice(0, 0, 0);
    expect(fused(none, p.weight, p.bias, {}, 2).shape).toEqual([0, 16, 3, 3]);
  });

  it('names what was wrong in bad arguments', () => {
    const p = problem(1, 3, 8, 8, 16, 3);
    expect(() => ops.conv2dReluMaxPool(p.x, p.weight, p.bias, {}, 0)).toThrow(/poolSize/);
    expect(() => ops.conv2dReluMaxPool(p.x, p.weight, p.bias, {}, 2, [2, -1])).toThrow(/poolStride/);
    expect(() => ops.conv2dReluMaxPool(p.x, p.weight.slice(1, 0, 2), p.bias, {}, 2)).toThrow(/channels|weight|input/i);
    expect(() => ops.conv2dReluMaxPool(p.x, p.weight, p.bias, { stride: 0 }, 2)).toThrow(/stride/);
    expect(() => ops.conv2dReluMaxPool(p.x, p.weight, p.bias, {}, 9)).toThrow();
  });
});
