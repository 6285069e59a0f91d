// Running sums of loss and correct predictions, kept on the device and added to in place (so that
// a CUDA graph can capture the additions). The host reads them only when asked.
import { zeros } from '../create.js';
import { keep, tidy } from '../memory.js';
import type { Device, Tensor } from '../tensor.js';
import type { Logs } from './logs.js';
import type { CompiledLoss } from './losses.js';

export class Meter {
  readonly #lossSum: Tensor;
  readonly #correctSum: Tensor | null;
  // In data-parallel training: every rank's sums added up, after each step (native/grad-sync.cc).
  #globalSums: Tensor[] | null = null;
  #seen = 0;

  constructor(
    private readonly loss: CompiledLoss,
    private readonly metrics: string[],
    device: Device,
  ) {
    this.#lossSum = keep(zeros([], { dtype: 'float64', device }));
    this.#correctSum = metrics.length > 0 ? keep(zeros([], { dtype: 'float64', device })) : null;
  }

  /** Adds a batch's mean loss (times its size) and its correct predictions, on the device. */
  add(loss: Tensor, output: Tensor, y: Tensor): void {
    tidy(() => {
      this.#lossSum.add_(loss.detach().to('float64').mul(y.shape[0]));
      this.#correctSum?.add_(this.loss.correct(output.detach(), y).to('float64'));
    });
  }

  /** The device tensors holding the sums (inputs of a traced step, which adds to them in place). */
  get sums(): Tensor[] {
    return this.#correctSum ? [this.#lossSum, this.#correctSum] : [this.#lossSum];
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
    this.#lossSum.fill_(0);
    this.#correctSum?.fill_(0);
    this.#globalSums?.forEach((t) => t.fill_(0));
    this.#seen = 0;
  }

  /** The running means: a host sync. */
  read(): Logs {
    if (this.#seen === 0) return {};
    const [lossSum, correctSum] = this.#globalSums ?? this.sums;
    const logs: Logs = { loss: (lossSum.item() as number) / this.#seen };
    for (const m of this.metrics) logs[m] = (correctSum.item() as number) / this.#seen;
    return logs;
  }

  /** Logs whose values are read from the device only if someone looks at them. */
  lazyLogs(): Logs {
    const logs = {} as Logs;
    let values: Logs | null = null;
    for (const key of ['loss', ...this.metrics]) {
      Object.defineProperty(logs, key, { enumerable: true, get: () => (values ??= this.read())[key] });
    }
    return logs;
  }

  dispose(): void {
    this.#lossSum.dispose();
    this.#correctSum?.dispose();
    this.#globalSums?.forEach((t) => t.dispose());
  }
}
