// Running sums of the loss and of each metric's counts, kept on the device and added to in place
// (so that a CUDA graph can capture the additions). The host reads them only when asked. A model
// of several outputs also sums each output's loss, and logs `${output}_loss`, `${output}_${metric}`.
import { zeros } from '../create.js';
import { keep, tidy } from '../memory.js';
import type { Device, Tensor } from '../tensor.js';
import type { CompiledOutput } from './compiled.js';
import type { Logs } from './logs.js';

export class Meter {
  readonly #lossSum: Tensor;
  readonly #partSums: Tensor[];
  readonly #metricSums: Tensor[][];
  // In data-parallel training: every rank's sums added up, after each step (native/grad-sync.cc).
  #globalSums: Tensor[] | null = null;
  #seen = 0;

  constructor(
    private readonly outputs: Pick<CompiledOutput, 'prefix' | 'metrics'>[],
    device: Device,
  ) {
    const sum = (shape: number[] = []) => keep(zeros(shape, { dtype: 'float64', device }));
    this.#lossSum = sum();
    this.#partSums = outputs.length > 1 ? outputs.map(() => sum()) : [];
    this.#metricSums = outputs.map((o) => o.metrics.map((m) => sum(m.shape)));
  }

  /**
   * Adds a batch's mean loss (times its size), each output's loss if there are several, and each
   * metric's counts, on the device.
   */
  add(loss: Tensor, parts: Tensor[], outputs: Tensor[], targets: Tensor[]): void {
    tidy(() => {
      const n = targets[0].shape[0];
      this.#lossSum.add_(loss.detach().to('float64').mul(n));
      this.#partSums.forEach((sum, k) => sum.add_(parts[k].detach().to('float64').mul(n)));
      this.outputs.forEach((o, k) => {
        const out = outputs[k].detach();
        o.metrics.forEach((m, j) => this.#metricSums[k][j].add_(m.update(out, targets[k])));
      });
    });
  }

  /** The device tensors holding the sums (inputs of a traced step, which adds to them in place). */
  get sums(): Tensor[] {
    return [this.#lossSum, ...this.#partSums, ...this.#metricSums.flat()];
  }

  /**
   * For data-parallel training: `globalSums` (which the gradient reduction fills with the sums of
   * every rank after each step) are what read() reports; count() then counts every rank's examples.
   */
  get globalSums(): Tensor[] {
    this.#globalSums ??= this.sums.map((t) => keep(zeros(t.shape, { dtype: 'float64', device: t.device })));
    return this.#globalSums;
  }

  /** Counts `n` examples whose sums were added (by add(), or by a replayed graph that captured it). */
  count(n: number): void {
    this.#seen += n;
  }

  /** Back to zero, in place. */
  reset(): void {
    this.sums.forEach((t) => t.fill_(0));
    this.#globalSums?.forEach((t) => t.fill_(0));
    this.#seen = 0;
  }

  /** The running means: a host sync. */
  read(): Logs {
    if (this.#seen === 0) return {};
    const sums = this.#globalSums ?? this.sums;
    let next = 0;
    const take = () => sums[next++];
    const logs: Logs = { loss: (take().item() as number) / this.#seen };
    for (const o of this.#partSums.length > 0 ? this.outputs : []) logs[`${o.prefix}loss`] = (take().item() as number) / this.#seen;
    for (const o of this.outputs) {
      for (const m of o.metrics) logs[o.prefix + m.name] = m.result(Float64Array.from(take().data() as ArrayLike<number>), this.#seen);
    }
    return logs;
  }

  /** The keys of read()'s logs. */
  get keys(): string[] {
    const parts = this.#partSums.length > 0 ? this.outputs.map((o) => `${o.prefix}loss`) : [];
    return ['loss', ...parts, ...this.outputs.flatMap((o) => o.metrics.map((m) => o.prefix + m.name))];
  }

  /** Logs whose values are read from the device only if someone looks at them. */
  lazyLogs(): Logs {
    const logs = {} as Logs;
    let values: Logs | null = null;
    for (const key of this.keys) {
      Object.defineProperty(logs, key, { enumerable: true, get: () => (values ??= this.read())[key] });
    }
    return logs;
  }

  dispose(): void {
    this.sums.forEach((t) => t.dispose());
    this.#globalSums?.forEach((t) => t.dispose());
  }
}
