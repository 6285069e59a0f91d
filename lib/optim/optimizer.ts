// The optimizer base: a native optimizer that updates every parameter in one call per step.
import { native, type NativeKind, type OptimizerHandle, type OptimizerOptions } from '../native.js';
import { handleOf, handlesOf, wrap, type Tensor } from '../tensor.js';
import { describeValue, readOptions, renamingErrors } from '../arguments.js';
import { LearningRateSchedule, scheduleFromJSON } from './schedules.js';

/** An optimizer's checkpointable state: per-parameter step counts and buffers (copies). */
export interface OptimizerState {
  /** Keras's optimizers count steps for all parameters together: every entry is the same. */
  steps: number[];
  /** Keras's slot names in camelCase (Adam: momentum, velocity, velocityHat with amsgrad); the PyTorch forms' expAvg, expAvgSq, maxExpAvgSq. null where not started yet. */
  buffers: Record<string, (Tensor | null)[]>;
}

/** An optimizer's options as given and as `options` returns them: learningRate may be a schedule. */
export type OptimizerConfig = Omit<OptimizerOptions, 'learningRate' | 'schedule'> & {
  learningRate?: number | LearningRateSchedule;
  formula?: OptimizerFormula;
};

/** Which update an optimizer computes: Keras 3's (the default) or torch.optim's. */
export type OptimizerFormula = 'keras' | 'pytorch';

// The state buffers each native update keeps (getState's keys), as native/optim.cc names them.
const BUFFERS: Record<NativeKind, readonly string[]> = {
  adam: ['momentum', 'velocity', 'velocityHat'],
  sgd: ['momentum'],
  rmsprop: ['velocity', 'momentum', 'averageGradient'],
  adagrad: ['accumulator'],
  adamax: ['momentum', 'norm'],
  nadam: ['momentum', 'velocity'],
  lion: ['momentum'],
  'torch-adam': ['expAvg', 'expAvgSq', 'maxExpAvgSq'],
  'torch-adamw': ['expAvg', 'expAvgSq', 'maxExpAvgSq'],
  'torch-sgd': ['momentum'],
};

/** What a subclass declares: its Keras name, its options with their defaults, and its native update per formula. */
export interface OptimizerSpec {
  name: string;
  defaults: OptimizerOptions;
  /** The native kind for each formula the class offers (Keras's always). */
  kinds: { keras: NativeKind; pytorch?: NativeKind };
  /** True when the update multiplies by factors of the step count computed on the host (a CUDA graph would freeze them). */
  hostStepFactors?: boolean;
}

/**
 * Base of every optimizer. Create one with its parameters (`new Adam(model.parameters())`), or
 * without, to hand to `model.compile()`, which binds them.
 */
export abstract class Optimizer {
  #handle: OptimizerHandle | null = null;
  #disposed = false;
  #params: Tensor[] = [];
  #options: OptimizerOptions;
  #schedule: LearningRateSchedule | null = null;
  readonly #spec: OptimizerSpec;
  readonly #kind: NativeKind;

  /** Every optimizer is made as `new X(params, options)` or `new X(options)`. */
  protected constructor(spec: OptimizerSpec, paramsOrOptions: unknown, maybeOptions: unknown) {
    this.#spec = spec;
    const [params, options] = Array.isArray(paramsOrOptions) ? [paramsOrOptions as Tensor[], maybeOptions] : [undefined, paramsOrOptions];
    const { formula, schedule, native: given } = this.read(options);
    this.#kind = this.kindOf(formula);
    this.#options = { ...spec.defaults, schedule: 0, ...given };
    this.#schedule = schedule ?? null;
    if (params !== undefined) this.attach(params);
  }

  /** The optimizer's name, as in Keras ('Adam', 'AdamW', 'SGD', 'RMSprop', ...). */
  get name(): string {
    return this.#spec.name;
  }

  /** The update computed: Keras's (the default), or torch.optim's where the class offers it. */
  get formula(): OptimizerFormula {
    return this.#kind === this.#spec.kinds.keras ? 'keras' : 'pytorch';
  }

  /** @internal False when a CUDA graph cannot replay the update (host step factors, or a schedule's rate per step). */
  get capturable(): boolean {
    return !this.#spec.hostStepFactors && this.#schedule === null;
  }

  private kindOf(formula: unknown): NativeKind {
    const { keras, pytorch } = this.#spec.kinds;
    if (formula === undefined || formula === 'keras') return keras;
    if (formula === 'pytorch' && pytorch) return pytorch;
    const expected = pytorch ? "'keras' or 'pytorch'" : "'keras' (Keras's is the only formula it has)";
    throw new RangeError(`${this.name}: option 'formula' must be ${expected}, got ${describeValue(formula)}`);
  }

  /**
   * Binds the parameters to update (leaf tensors that require grad, on one device). Replaces
   * any earlier binding, and with it the optimizer's state.
   */
  attach(params: Tensor[]): this {
    this.requireLive('attach');
    // The native binding's name ('optimizer: ...') becomes the class the user made ('AdamW: ...').
    this.#handle = renamingErrors('optimizer', this.name, () => native.optimizer(this.#kind, handlesOf(params), this.#options));
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

  /** The current hyper-parameters (learningRate: a number or the schedule), with the formula: what `new X(options)` takes back. */
  get options(): OptimizerConfig {
    const all = this.#handle ? native.optimizerOptions(this.#handle) : this.#options;
    const own: Record<string, unknown> = {};
    for (const key of Object.keys(this.#spec.defaults)) own[key] = all[key as keyof OptimizerOptions];
    return { ...(own as OptimizerOptions), learningRate: this.#schedule ?? (own.learningRate as number), formula: this.formula };
  }

  /** The learning rate of the next step (a schedule's value at the step count); setting a number replaces any schedule. */
  get learningRate(): number {
    if (this.#handle) return native.optimizerOptions(this.#handle).learningRate;
    return this.#schedule ? this.#schedule.at(0) : this.#options.learningRate!;
  }
  set learningRate(value: number) {
    this.configure({ learningRate: value });
  }

  /** Changes hyper-parameters between steps (learningRate: a number, or a schedule). */
  configure(options: OptimizerConfig): void {
    this.requireLive('configure');
    const { formula, schedule, native: read } = this.read(options, 'configure');
    if (formula !== undefined && formula !== this.formula) {
      throw new RangeError(`${this.name}.configure: the formula is chosen when the optimizer is made (it is '${this.formula}')`);
    }
    const handle = this.#handle;
    if (handle) renamingErrors('optimizerConfigure', `${this.name}.configure`, () => native.optimizerConfigure(handle, read));
    this.#options = { ...this.#options, ...read };
    if (schedule !== undefined) this.#schedule = schedule;
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
    const lists = readOptions<Record<string, unknown>>(api, given.buffers ?? {}, [...BUFFERS[this.#kind]], 'state.buffers');
    const buffers: Record<string, unknown> = {};
    for (const [name, list] of Object.entries(lists)) {
      buffers[name] = Array.isArray(list) ? [...(list as unknown[])].map((t) => (t === null || t === undefined ? t : handleOf(t))) : list;
    }
    const handle = this.handle('setState');
    const imported = { steps: given.steps, buffers } as Parameters<typeof native.optimizerImportState>[1];
    renamingErrors('optimizerImportState', api, () => native.optimizerImportState(handle, imported));
  }

  // Options from JS, checked for unknown keys (values are checked natively, when bound). A
  // learningRate schedule (or a saved one: { className, config }) becomes its native fields;
  // `schedule` is undefined when no learningRate was given, null for a number.
  private read(
    options: unknown,
    method?: string,
  ): { formula: unknown; schedule: LearningRateSchedule | null | undefined; native: OptimizerOptions } {
    const api = method ? `${this.name}.${method}` : this.name;
    const given = readOptions<Record<string, unknown>>(api, options, [...Object.keys(this.#spec.defaults), 'formula']);
    const { formula, learningRate, ...rest } = given;
    if (learningRate === undefined) return { formula, schedule: undefined, native: rest };
    const schedule =
      learningRate instanceof LearningRateSchedule
        ? learningRate
        : typeof learningRate === 'object' && learningRate !== null
          ? scheduleFromJSON(api, learningRate)
          : null;
    const rate = schedule ? schedule.nativeOptions() : { learningRate: learningRate as number, schedule: 0 as const };
    return { formula, schedule, native: { ...rest, ...rate } };
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
