// Conv2DTranspose: ops.convTranspose2d against PyTorch (scripts/reference/conv_transpose.py: the
// full transposed convolution, cropped to Keras's output), the layer's arguments, shapes and
// weights. Its outputs against Keras itself are in keras-layers.test.ts.
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { DEVICES, tolerance } from '../helpers/devices.js';
import { expectClose, loadReference, refTensor, type RefValue } from '../helpers/reference.js';

const { layers, ops } = tl;
type Inputs = Record<string, tl.Tensor>;
const reference = loadReference('conv_transpose') as Record<string, Record<string, Record<string, RefValue>>>;

// The torchlet spelling of each case of the same name in scripts/reference/conv_transpose.py.
const cases: Record<string, (i: Inputs) => tl.Tensor> = {
  valid_k3: ({ x, w, b }) => ops.convTranspose2d(x, w, b),
  valid_k3_stride2: ({ x, w, b }) => ops.convTranspose2d(x, w, b, { stride: 2 }),
  valid_k2_stride3: ({ x, w, b }) => ops.convTranspose2d(x, w, b, { stride: 3 }),
  valid_output_padding: ({ x, w, b }) => ops.convTranspose2d(x, w, b, { stride: [2, 3], outputPadding: [1, 2] }),
  same_k3_stride2: ({ x, w, b }) => ops.convTranspose2d(x, w, b, { stride: 2, padding: 'same' }),
  same_k4_stride2: ({ x, w, b }) => ops.convTranspose2d(x, w, b, { stride: 2, padding: 'same' }),
  same_k1_stride2: ({ x, w, b }) => ops.convTranspose2d(x, w, b, { stride: 2, padding: 'same' }),
  same_k3x2_stride2x3: ({ x, w, b }) => ops.convTranspose2d(x, w, b, { stride: [2, 3], padding: 'same' }),
  same_output_padding: ({ x, w, b }) => ops.convTranspose2d(x, w, b, { stride: 2, padding: 'same', outputPadding: [1, 0] }),
  same_dilation2_nobias: ({ x, w }) => ops.convTranspose2d(x, w, null, { padding: 'same', dilation: 2 }),
  valid_dilation2: ({ x, w, b }) => ops.convTranspose2d(x, w, b, { dilation: [2, 1] }),
};

describe('ops.convTranspose2d: forward and gradients match PyTorch', () => {
  it('covers every reference case', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(reference).sort());
  });

  describe.each(DEVICES)('on %s', (device) => {
    for (const [name, compute] of Object.entries(cases)) {
      it(name, () => {
        const ref = reference[name];
        const grads = Object.keys(ref.grads);
        const tol = tolerance(device, true);
        const inputs: Inputs = {};
        for (const [key, value] of Object.entries(ref.inputs)) inputs[key] = refTensor(value, { device }).setRequiresGrad();
        const output = compute(inputs);
        expectClose(output, ref.output, tol);
        output.backward(refTensor(ref.upstream, { device }));
        for (const key of grads) expectClose(inputs[key].grad!, ref.grads[key], tol);
      });
    }
  });

  it('rejects bad arguments by name', () => {
    const x = tl.randn([1, 2, 4, 4]);
    const w = tl.randn([2, 3, 3, 3]);
    expect(() => ops.convTranspose2d(x, tl.randn([3, 3, 3, 3]))).toThrowError(
      /input's channels \(2 .*\) must equal the weight's first dim/,
    );
    expect(() => ops.convTranspose2d(x, tl.randn([2, 3, 3]))).toThrowError(/expects a 4-D \[in, out, kH, kW\] weight/);
    expect(() => ops.convTranspose2d(x, w, tl.randn([2]))).toThrowError(/expects a bias of \[3\]/);
    expect(() => ops.convTranspose2d(x, w, null, { stride: 2, outputPadding: 2 })).toThrowError(
      /'outputPadding' 2x2 must be below the stride 2x2/,
    );
    expect(() => ops.convTranspose2d(x, w, null, { padding: 'full' as 'same' })).toThrowError(/unknown padding 'full'/);
    expect(() => ops.convTranspose2d(x, w, null, { stride: 2 ** 40 })).toThrowError(/between 1 and 2\^31/);
    expect(() => ops.convTranspose2d(x, w, null, { stride: 2 ** 20 })).toThrowError(/more than 2\^36 elements/);
    // 'same' with an even window, stride 1, one input row and output padding 0: nothing is left.
    expect(() =>
      ops.convTranspose2d(tl.randn([1, 2, 1, 1]), tl.randn([2, 3, 2, 2]), null, { padding: 'same', outputPadding: 0 }),
    ).toThrowError(/would have no output/);
  });
});

describe('Conv2DTranspose', () => {
  it("has Keras's defaults", () => {
    expect(layers.conv2dTranspose({ filters: 4, kernelSize: 3 }).getConfig()).toMatchObject({
      filters: 4,
      kernelSize: [3, 3],
      strides: [1, 1],
      padding: 'valid',
      outputPadding: null,
      dilationRate: [1, 1],
      activation: 'linear',
      useBias: true,
      kernelInitializer: 'glorotUniform',
      biasInitializer: 'zeros',
    });
  });

  it("computes Keras's output shapes (deconv_output_length)", () => {
    const shape = (args: Partial<tl.Conv2DTransposeArgs>, input: number[]) =>
      layers.conv2dTranspose({ filters: 2, kernelSize: 3, ...args }).computeOutputShape(input);
    expect(shape({}, [5, 6, 3])).toEqual([7, 8, 2]);
    expect(shape({ strides: 2 }, [5, 6, 3])).toEqual([11, 13, 2]);
    expect(shape({ kernelSize: 2, strides: 3 }, [5, 6, 3])).toEqual([15, 18, 2]);
    expect(shape({ strides: 2, padding: 'same' }, [5, 6, 3])).toEqual([10, 12, 2]);
    expect(shape({ strides: [2, 3], padding: 'same', outputPadding: [1, 2] }, [4, 3, 2])).toEqual([8, 9, 2]);
    expect(shape({ strides: 2, outputPadding: 1 }, [4, 3, 2])).toEqual([10, 8, 2]);
    expect(shape({ dilationRate: 2 }, [5, 6, 3])).toEqual([9, 10, 2]);
    expect(() => shape({}, [5, 6])).toThrowError(/expects images \[height, width, channels\]/);
  });

  it('validates its arguments when constructed, as Keras does', () => {
    expect(() => layers.conv2dTranspose({ filters: 0, kernelSize: 3 })).toThrowError(
      /^Conv2DTranspose: filters must be a positive integer/,
    );
    expect(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 2 })).toThrowError(
      /^Conv2DTranspose: outputPadding must be null or a non-negative integer \(or pair\) below the strides \[2,2\], got 2/,
    );
    expect(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, outputPadding: [0, -1] })).toThrowError(/outputPadding must be null/);
    expect(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 })).toThrowError(
      /^Conv2DTranspose: strides > 1 cannot be combined with dilationRate > 1/,
    );
    expect(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, groups: 2 } as never)).toThrowError(
      /^Conv2DTranspose: unknown option 'groups'/,
    );
    expect(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, padding: 'causal' as 'same' })).toThrowError(
      /padding must be 'valid' or 'same'/,
    );
  });

  it("builds a channels-last [in, filters, kh, kw] kernel with Keras's fans, then a [filters] bias", () => {
    const c = layers.conv2dTranspose({ filters: 8, kernelSize: [3, 2], kernelInitializer: 'heUniform' });
    c.build([6, 6, 4], 'cpu');
    const [kernel, bias] = c.weights;
    expect([kernel.name, bias.name]).toEqual(['kernel', 'bias']);
    expect(kernel.tensor.shape).toEqual([4, 8, 3, 2]);
    expect(kernel.tensor.isContiguous('channelsLast')).toBe(true);
    expect(bias.tensor.shape).toEqual([8]);
    // Keras's fan in for its [kh, kw, filters, in] kernel is kh·kw·filters.
    expect(kernel.tensor.abs().max().item()).toBeLessThanOrEqual(Math.sqrt(6 / (6 * 8)));
    expect(kernel.tensor.abs().max().item()).toBeGreaterThan(Math.sqrt(6 / (6 * 4)) * 0.5);
  });

  it('trains in a model, and recreates itself from its config', async () => {
    const model = tl.sequential([
      layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', inputShape: [8, 8, 1] }),
      layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }),
      layers.flatten(),
    ]);
    model.compile({ optimizer: new tl.optim.Adam({ learningRate: 0.02 }), loss: 'mse' });
    const x = tl.rand([16, 8, 8, 1]);
    const history = await model.fit(x, x.reshape([16, 64]), { epochs: 15, batchSize: 8, verbose: 0 });
    expect(history.history.loss[14]).toBeLessThan(history.history.loss[0] * 0.8);
    const c = layers.conv2dTranspose({ filters: 4, kernelSize: [2, 3], strides: 2, outputPadding: [1, 0], name: 'up' });
    expect(new tl.Conv2DTranspose(c.getConfig() as never).getConfig()).toEqual(c.getConfig());
    model.dispose();
  });
});
