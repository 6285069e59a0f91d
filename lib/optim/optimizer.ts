// The optimizer base: a native optimizer that updates every parameter in one call per step.
import { native, type OptimizerHandle, type OptimizerOptions } from '../native.js';
import { handlesOf, wrap, type Tensor } from '../tensor.js';
import type { JsInput } from '../js-input.js';

/** An optimizer's checkpointable state: per-parameter step counts and buffers (copies). */
export interface OptimizerState {
  steps: number[];
  /** Adam: expAvg, expAvgSq (and maxExpAvgSq with amsgrad); SGD: momentum. null where not started yet. */
  buffers: Record<string, (Tensor | null)[]>;
}

/**
 * Base of Adam, AdamW and SGD. Create one with its parameters (`new Adam(model.parameters())`),
 * or without, to hand to `model.compile()`, which binds them.
 */
export abstract class Optimizer {
  #handle: OptimizerHandle | null = null;
  #params: Tensor[] = [];
  #options: OptimizerOptions;

  protected constructor(
    private readonly kind: 'adam' | 'adamw' | 'sgd',
    params: Tensor[] | undefined,
    options: OptimizerOptions,
  ) {
    this.#options = { ...options };
    if (params !== undefined) this.attach(params);
  }

  /** The optimizer's name, as in Keras ('Adam', 'AdamW', 'SGD'). */
  abstract get name(): string;

  /**
   * Binds the parameters to update (leaf tensors that require grad, on one device). Replaces
   * any earlier binding, and with it the optimizer's state.
   */
  attach(params: Tensor[]): this {
    this.#handle = native.optimizer(this.kind, handlesOf(params), this.#options);
    this.#params = [...params];
    return this;
  }

  /** The bound parameters. */
  get parameters(): readonly Tensor[] {
    return this.#params;
  }

  /** True once parameters are bound. */
  get isAttached(): boolean {
    return this.#handle !== null;
  }

  /** The current hyper-parameters. */
  get options(): Required<OptimizerOptions> {
    return this.#handle ? native.optimizerOptions(this.#handle) : (this.#options as Required<OptimizerOptions>);
  }

  /** The learning rate; set it between steps for a schedule. */
  get learningRate(): number {
    return this.options.learningRate;
  }
  set learningRate(value: number) {
    this.configure({ learningRate: value });
  }

  /** Changes hyper-parameters between steps. */
  configure(options: OptimizerOptions): void {
    if (this.#handle) native.optimizerConfigure(this.#handle, options);
    this.#options = { ...this.#options, ...options };
  }

  /** Updates every parameter that has a gradient, in one native call. */
  step(): void {
    native.optimizerStep(this.handle());
  }

  /** Clears the parameters' gradients: drops them (default), or zeroes them in place with setToNone false. */
  zeroGrad(setToNone = true): void {
    native.optimizerZeroGrad(this.handle(), setToNone);
  }

  /** A copy of the state (step counts and moment buffers), for checkpoints. */
  getState(): OptimizerState {
    const state = native.optimizerExportState(this.handle());
    const buffers: OptimizerState['buffers'] = {};
    for (const [name, list] of Object.entries(state.buffers)) buffers[name] = list.map((h) => (h === null ? null : wrap(h)));
    return { steps: state.steps, buffers };
  }

  /** Restores a state from {@link Optimizer.getState} (copied onto the parameters' device). */
  setState(state: OptimizerState): void {
    // From JS, anything: the native side checks every field.
    const given = state as JsInput<OptimizerState>;
    const buffers: Record<string, unknown> = {};
    for (const [name, list] of Object.entries((given?.buffers ?? {}) as Record<string, unknown>)) {
      buffers[name] = Array.isArray(list) ? (list as unknown[]).map((t) => (t === null ? null : (t as Tensor).handle)) : list;
    }
    native.optimizerImportState(this.handle(), { steps: given?.steps, buffers } as Parameters<typeof native.optimizerImportState>[1]);
  }

  private handle(): OptimizerHandle {
    if (!this.#handle) throw new Error(`${this.name}: no parameters are bound; pass them to the constructor or compile a model with it`);
    return this.#handle;
  }
}
