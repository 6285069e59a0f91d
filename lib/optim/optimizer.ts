// The optimizer base: a native optimizer that updates every parameter in one call per step.
import { native, type OptimizerHandle, type OptimizerOptions } from '../native.js';
import { handleOf, handlesOf, wrap, type Tensor } from '../tensor.js';
import { readOptions, renamingErrors } from '../arguments.js';

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
// The hyper-parameters and state buffers each kind has (what getState returns).
const KINDS = {
  adam: {
    options: ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'amsgrad'],
    buffers: ['expAvg', 'expAvgSq', 'maxExpAvgSq'],
  },
  adamw: {
    options: ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'amsgrad'],
    buffers: ['expAvg', 'expAvgSq', 'maxExpAvgSq'],
  },
  sgd: { options: ['learningRate', 'momentum', 'dampening', 'nesterov', 'weightDecay'], buffers: ['momentum'] },
} as const;

export abstract class Optimizer {
  #handle: OptimizerHandle | null = null;
  #disposed = false;
  #params: Tensor[] = [];
  #options: OptimizerOptions;

  /** Every optimizer is made as `new X(params, options)` or `new X(options)`. */
  protected constructor(
    private readonly kind: 'adam' | 'adamw' | 'sgd',
    paramsOrOptions: unknown,
    maybeOptions: unknown,
    defaults: OptimizerOptions,
  ) {
    const [params, options] = Array.isArray(paramsOrOptions) ? [paramsOrOptions as Tensor[], maybeOptions] : [undefined, paramsOrOptions];
    this.#options = { ...defaults, ...this.read(options) };
    if (params !== undefined) this.attach(params);
  }

  /** The optimizer's name, as in Keras ('Adam', 'AdamW', 'SGD'). */
  abstract get name(): string;

  /**
   * Binds the parameters to update (leaf tensors that require grad, on one device). Replaces
   * any earlier binding, and with it the optimizer's state.
   */
  attach(params: Tensor[]): this {
    this.requireLive('attach');
    // The native binding's name ('optimizer: ...') becomes the class the user made ('AdamW: ...').
    this.#handle = renamingErrors('optimizer', this.name, () => native.optimizer(this.kind, handlesOf(params), this.#options));
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
    this.requireLive('configure');
    const read = this.read(options, 'configure');
    const handle = this.#handle;
    if (handle) renamingErrors('optimizerConfigure', `${this.name}.configure`, () => native.optimizerConfigure(handle, read));
    this.#options = { ...this.#options, ...read };
  }

  /** Updates every parameter that has a gradient, in one native call. */
  step(): void {
    const handle = this.handle('step');
    renamingErrors('optimizerStep', `${this.name}.step`, () => native.optimizerStep(handle));
  }

  /** Clears the parameters' gradients: drops them (default), or zeroes them in place with setToNone false. */
  zeroGrad(setToNone = true): void {
    native.optimizerZeroGrad(this.handle('zeroGrad'), setToNone);
  }

  /** A copy of the state (step counts and moment buffers), for checkpoints. */
  getState(): OptimizerState {
    const state = native.optimizerExportState(this.handle('getState'));
    const buffers: OptimizerState['buffers'] = {};
    for (const [name, list] of Object.entries(state.buffers)) buffers[name] = list.map((h) => (h === null ? null : wrap(h)));
    return { steps: state.steps, buffers };
  }

  /** Restores a state from {@link Optimizer.getState} (copied onto the parameters' device). */
  setState(state: OptimizerState): void {
    // From JS, anything: the keys are checked here (a misnamed buffer must not be ignored), the
    // values by the native side; an entry that is not a tensor goes as is, for it to reject.
    const api = `${this.name}.setState`;
    if ((state as unknown) === undefined) throw new TypeError(`${api}: expected { steps, buffers }, got undefined`);
    const given = readOptions<OptimizerState>(api, state, ['steps', 'buffers'], 'state');
    const lists = readOptions<Record<string, unknown>>(api, given.buffers ?? {}, [...KINDS[this.kind].buffers], 'state.buffers');
    const buffers: Record<string, unknown> = {};
    for (const [name, list] of Object.entries(lists)) {
      buffers[name] = Array.isArray(list) ? [...(list as unknown[])].map((t) => (t === null || t === undefined ? t : handleOf(t))) : list;
    }
    const handle = this.handle('setState');
    const imported = { steps: given.steps, buffers } as Parameters<typeof native.optimizerImportState>[1];
    renamingErrors('optimizerImportState', api, () => native.optimizerImportState(handle, imported));
  }

  // Options from JS, checked for unknown keys (values are checked natively, when bound).
  private read(options: unknown, method?: string): OptimizerOptions {
    return readOptions<Record<string, unknown>>(method ? `${this.name}.${method}` : this.name, options, [...KINDS[this.kind].options]);
  }

  /** Frees the state (moment buffers) and lets go of the parameters; the optimizer cannot be used after this. */
  dispose(): void {
    if (this.#handle) native.optimizerDispose(this.#handle);
    this.#handle = null;
    this.#params = [];
    this.#disposed = true;
  }

  /** True once {@link Optimizer.dispose} has run. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  private requireLive(method: string): void {
    if (this.#disposed) throw new Error(`${this.name}.${method}: the optimizer was disposed`);
  }

  /** @internal The native optimizer (also for a training step run off the JS thread); `method` names the caller in errors. */
  handle(method: string): OptimizerHandle {
    this.requireLive(method);
    if (!this.#handle) throw new Error(`${this.name}: no parameters are bound; pass them to the constructor or compile a model with it`);
    return this.#handle;
  }
}
