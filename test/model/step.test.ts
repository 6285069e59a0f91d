// Mixed precision (compile({ mixedPrecision: 'bf16' })): autocast in bfloat16 around the forward
// pass, float32 weights and optimizer. Runs on the CPU here (libtorch autocasts there too), and on
// CUDA when available.
import { describe, expect, it, onTestFinished } from 'vitest';
import * as tl from '../../lib/index.js';
import { native } from '../../lib/native.js';
import { DEVICES } from '../helpers/devices.js';
import { patchImages } from '../helpers/images.js';

describe('autocast', () => {
  it('runs listed ops in bfloat16 while on, and float32 again after', () => {
    const a = tl.randn([4, 8]);
    const b = tl.randn([8, 3]);
    native.setAutocast('cpu', true, 'bfloat16');
    let inside: tl.Tensor;
    try {
      inside = tl.ops.linear(a, b.transpose(0, 1));
    } finally {
      native.setAutocast('cpu', false);
    }
    expect(inside.dtype).toBe('bfloat16');
    expect(tl.ops.linear(a, b.transpose(0, 1)).dtype).toBe('float32');
  });

  it('rejects other devices and dtypes', () => {
    expect(() => native.setAutocast('tpu' as 'cpu', true)).toThrowError(/autocast device must be 'cpu' or 'cuda'/);
    expect(() => native.setAutocast('cpu', true, 'float64')).toThrowError(/autocast dtype must be bfloat16 or float16, got float64/);
  });
});

describe.each(DEVICES)("mixedPrecision 'bf16' on %s", (device) => {
  const { x, y } = patchImages(256, 3);

  it('trains with float32 weights: the loss falls, and predictions come back in float32', async () => {
    tl.manualSeed(0);
    const model = tl.referenceCnn().to(device);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'], mixedPrecision: 'bf16' });
    const history = await model.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0 });
    expect(history.history.loss[2]).toBeLessThan(history.history.loss[0]);
    expect(model.trainableWeights.every((w) => w.dtype === 'float32')).toBe(true);
    const probs = await model.predict(x.narrow(0, 0, 8));
    expect(probs.dtype).toBe('float32');
    probs
      .sum(1)
      .data()
      .forEach((s) => expect(s).toBeCloseTo(1, 2));
  });

  it('predicts what float32 predicts, to bfloat16 precision', async () => {
    tl.manualSeed(1);
    const full = tl.referenceCnn().to(device);
    full.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const half = tl.referenceCnn().to(device);
    half.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', mixedPrecision: 'bf16' });
    half.setWeights(full.getWeights());
    const a = (await full.predict(x.narrow(0, 0, 16))).data();
    const b = (await half.predict(x.narrow(0, 0, 16))).data();
    a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(0.02));
  });

  it('replays a traced step in bfloat16 too: its predictions and training are those of eager steps, exactly', async () => {
    // torchlet's fused operators (Conv2D and Dense with ReLU) cast their inputs where autocast
    // would, so that a traced step records the casts; else its replay ran them in float32. On one
    // thread: with two, libtorch's kernels may split work differently on the compute thread than on
    // the JS thread, and the weights then differ in the last bit after a few Adam steps.
    const threads = tl.getNumThreads();
    tl.setNumThreads(1);
    onTestFinished(() => tl.setNumThreads(threads));
    const run = async (runEagerly: boolean) => {
      tl.manualSeed(2);
      const m = tl.referenceCnn().to(device);
      m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', mixedPrecision: 'bf16', runEagerly });
      const before = (await m.predict(x.narrow(0, 0, 64), { batchSize: 16 })).data();
      const { loss } = (await m.fit(x.narrow(0, 0, 64), y.narrow(0, 0, 64), { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 }))
        .history;
      const after = (await m.predict(x.narrow(0, 0, 64), { batchSize: 16 })).data();
      m.dispose();
      return { before, loss, after };
    };
    expect(await run(false)).toEqual(await run(true));
  });
});

describe('compile options for speed', () => {
  const model = () => tl.sequential([tl.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })]);

  it('reject bad values', () => {
    expect(() => model().compile({ optimizer: 'adam', loss: 'mse', mixedPrecision: 'fp16' as 'bf16' })).toThrowError(
      /^compile: mixedPrecision must be 'bf16' or null, got "fp16"$/,
    );
    expect(() => model().compile({ optimizer: 'adam', loss: 'mse', cudaGraph: 'yes' as unknown as boolean })).toThrowError(
      /^compile: cudaGraph must be a boolean, got "yes"$/,
    );
  });

  it.skipIf(tl.cuda.isAvailable())('cudaGraph is ignored on the CPU: training is exactly eager training', async () => {
    const data = tl.randn([40, 4]);
    const labels = tl.randint(0, 3, [40]);
    const run = async (cudaGraph: boolean) => {
      tl.manualSeed(5);
      const m = model();
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', cudaGraph });
      await m.fit(data, labels, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
      return m.getWeights().map((w) => Array.from(w.data()));
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it.skipIf(tl.backendInfo().cudaBuild)('CUDA graphs on a CPU-only build are a clear error', () => {
    expect(() => native.cudaGraph('cuda')).toThrowError(/^cudaGraph: CUDA graphs need torchlet built against a CUDA libtorch/);
  });
});
