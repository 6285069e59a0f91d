// Running sums of the loss and of each metric's counts, kept on the device and added to in place
// (so that a CUDA graph can capture the additions). The host reads them only when asked.
import { zeros } from '../create.js';
import { keep, tidy } from '../memory.js';
import type { Device, Tensor } from '../tensor.js';
import type { Logs } from './logs.js';
import type { CompiledMetric } from './metrics.js';

export class Meter {
  readonly #lossSum: Tensor;
  readonly #metricSums: Tensor[];
  // In data-parallel training: every rank's sums added up, after each step (native/grad-sync.cc).
  #globalSums: Tensor[] | null = null;
  #seen = 0;

  constructor(
    private readonly metrics: CompiledMetric[],
    device: Device,
  ) {
    this.#lossSum = keep(zeros([], { dtype: 'float64', device }));
    this.#metricSums = metrics.map((m) => keep(zeros(m.shape, { dtype: 'float64', device })));
  }

  /** Adds a batch's mean loss (times its size) and each metric's counts, on the device. */
  add(loss: Tensor, output: Tensor, y: Tensor): void {
    tidy(() => {
      this.#lossSum.add_(loss.detach().to('float64').mul(y.shape[0]));
      const out = output.detach();
      this.metrics.forEach((m, k) => this.#metricSums[k].add_(m.update(out, y)));
    });
  }

  /** The device tensors holding the sums (inputs of a traced step, which adds to them in place). */
  get sums(): Tensor[] {
    return [this.#lossSum, ...this.#metricSums];
  }

  /**
   * For data-parallel training: `globalSums` (which the gradient reduction fills with the sums of
   * every rank after each step) are what read() reports; count() then counts every rank's examples.
   */
  get globalSums(): Tensor[] {
    this.#globalSums ??= this.sums.map((t) => keep(zeros([], { dtype: 'float64', device: t.device })));
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
    const [lossSum, ...metricSums] = this.#globalSums ?? this.sums;
    const logs: Logs = { loss: (lossSum.item() as number) / this.#seen };
    this.metrics.forEach((m, k) => (logs[m.name] = m.result(Float64Array.from(metricSums[k].data() as ArrayLike<number>), this.#seen)));
    return logs;
  }

  /** Logs whose values are read from the device only if someone looks at them. */
  lazyLogs(): Logs {
    const logs = {} as Logs;
    let values: Logs | null = null;
    for (const key of ['loss', ...this.metrics.map((m) => m.name)]) {
      Object.defineProperty(logs, key, { enumerable: true, get: () => (values ??= this.read())[key] });
    }
    return logs;
  }

  dispose(): void {
    this.sums.forEach((t) => t.dispose());
    this.#globalSums?.forEach((t) => t.dispose());
  }
}
