// The physical floor of a workload on the device it ran on: its arithmetic over the device's
// peak rate. The arithmetic is the convolutions' and dense layers' multiply-adds (2 FLOPs each;
// pooling, normalisation and activations are memory-bound and left out): once forward for
// prediction, three times for a training step (forward, the weights' gradients, the inputs'
// gradients, which the first layer does not need). The CPU's peak is measured by cpu-peak.c
// (cores x clock x FLOP/cycle as the machine really runs them); a GPU's is not known here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// Multiply-adds per example of each layer that has them, in order.
function multiplyAdds(model) {
  let shape = model.inputShape;
  const counts = [];
  for (const layer of model.layers) {
    const out = layer.computeOutputShape(shape);
    if (layer.className === 'Conv2D') {
      const [kh, kw] = layer.kernelSize;
      counts.push(out[0] * out[1] * out[2] * (shape[2] / layer.groups) * kh * kw);
    } else if (layer.className === 'Dense') {
      counts.push(shape.slice(0, -1).reduce((a, b) => a * b, 1) * shape[shape.length - 1] * layer.units);
    }
    shape = out;
  }
  return counts;
}

/** FLOPs per example of `model` for task 'train' or 'inference'. */
export function flopsPerExample(model, task) {
  const counts = multiplyAdds(model);
  const forward = 2 * counts.reduce((a, b) => a + b, 0);
  return task === 'train' ? 3 * forward - 2 * (counts[0] ?? 0) : forward;
}

/**
 * This CPU's measured peak on `threads` threads: { fp32, bf16 (null without AVX512-BF16),
 * fp32Isa, bf16Isa } in GFLOP/s, or { error } when cpu-peak.c cannot be built (no C compiler).
 */
export function cpuPeak(threads) {
  const work = mkdtempSync(join(tmpdir(), 'torchlet-peak-'));
  try {
    const binary = join(work, 'cpu-peak');
    execFileSync(process.env.CC || 'cc', ['-O2', '-pthread', join(here, 'cpu-peak.c'), '-o', binary], { stdio: 'pipe' });
    return JSON.parse(execFileSync(binary, [String(threads)], { encoding: 'utf8' }));
  } catch (error) {
    return { error: `cpu-peak.c could not be built or run: ${String(error.message).split('\n')[0]}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The floor lines for a CPU run: for each workload, its FLOPs, the fastest torchlet row in each
 * precision and the fraction of the peak that row reached.
 */
export function cpuFloorLines(rows, flops, peak) {
  if (peak.error) return [`Physical floor: not computed (${peak.error}).`];
  const lines = [
    `Physical floor: this CPU's measured peak on ${peak.threads} threads is ${peak.fp32.toFixed(0)} GFLOP/s in float32 (${peak.fp32Isa} FMAs)` +
      (peak.bf16
        ? ` and ${peak.bf16.toFixed(0)} GFLOP/s in bfloat16 (${peak.bf16Isa} dot products; AMX not probed)`
        : '; no bfloat16 unit') +
      '; each workload counts its convolutions and dense layers only.',
  ];
  for (const [workload, perExample] of Object.entries(flops)) {
    for (const bf16 of [false, true]) {
      const rate = bf16 ? peak.bf16 : peak.fp32;
      const best = rows
        .filter((r) => r.workload === workload && r.runner.startsWith('torchlet') && !r.error && r.runner.includes('bf16') === bf16)
        .sort((a, b) => a.epochSeconds - b.epochSeconds)[0];
      if (!best || !rate) continue;
      const floorSeconds = (50000 * perExample) / (rate * 1e9);
      lines.push(
        `- ${workload}, ${bf16 ? 'bf16' : 'fp32'}: ${(perExample / 1e6).toFixed(1)} MFLOP per image; the 50,000-image floor is ${floorSeconds.toFixed(2)} s; ` +
          `${best.runner} at batch ${best.batchSize}: ${best.epochSeconds.toFixed(2)} s, ${((100 * floorSeconds) / best.epochSeconds).toFixed(0)}% of peak.`,
      );
    }
  }
  return lines;
}
