// Steps off the JS thread (native/step-trace.cc). The first batch of each input layout runs the
// JS step once under libtorch's tracer, which records the ops it calls; later batches replay that
// record on the native compute thread, followed there by backward and the optimizer's update, so
// that the event loop stays free (the JS thread only draws batches and awaits). A step that reads
// a tensor's value on the host (a custom layer branching on data) would replay the value it saw:
// it runs eagerly instead, with a warning, as every step does under compile({ runEagerly: true }).
import { native, type GradSyncHandle, type TraceHandle } from '../native.js';
import type { Optimizer } from '../optim/optimizer.js';
import { handlesOf, wrap, type Tensor } from '../tensor.js';

/** A data-parallel step's gradient reduction, and this rank's weight in it (data-parallel.ts). */
export interface StepSync {
  sync: GradSyncHandle;
  scale: number;
}

/** What a traced step is for: with an optimizer it trains (its output 0 is the loss). */
export interface StepCall {
  /** 'fit', 'evaluate', 'predict' ...: the step's kind in the cache key, and the name in errors. */
  label: string;
  /** The graph's inputs: the batch first, then every other tensor the step reads or updates. */
  inputs: Tensor[];
  /** How many of the inputs come from the batch (their layouts key the step; default 2: x and y). */
  batchInputs?: number;
  /** Tells apart steps whose inputs look alike but whose ops differ (how the batch's x is prepared). */
  variant?: string;
  /** The step as JS: returns its outputs. */
  run: () => Tensor[];
  optimizer: Optimizer | null;
  /**
   * True when the step only computes its outputs (predict): its traced run, which ran on the JS
   * thread's one intra-op thread, is then replayed on the compute thread, so that every output
   * comes from there and a second call gives the same numbers bit for bit.
   */
  pure?: boolean;
  /** A data-parallel training step: its gradients are reduced across ranks. */
  sync?: StepSync;
}

// Traces kept per model: a server that predicts on batches of every size must not grow without bound.
const MAX_TRACES = 32;

/**
 * A model's recorded steps, by kind and input layout (the least recently used go beyond
 * MAX_TRACES); cleared when the model changes shape, device or compile settings.
 */
export class StepTraces {
  readonly #traces = new Map<string, TraceHandle | null>(); // null: this step runs eagerly
  readonly #warned = new Set<string>();

  clear(): void {
    this.#traces.clear();
  }

  /**
   * Runs `call` off the JS thread and resolves to its outputs (none when training); resolves to
   * null when the step must run eagerly, which the caller then does.
   */
  async run(call: StepCall): Promise<Tensor[] | null> {
    const key = keyOf(call);
    const trace = this.#lookup(key);
    if (trace === null) return null;
    const optimizer = call.optimizer?.handle(call.label) ?? null;
    const { sync, scale } = call.sync ?? {};
    if (trace !== undefined) return (await native.runStep(trace, handlesOf(call.inputs), optimizer, call.label, sync, scale)).map(wrap);

    let threw = false;
    let traced: ReturnType<typeof native.traceStep>;
    try {
      traced = native.traceStep(() => {
        try {
          return handlesOf(call.run());
        } catch (error) {
          threw = true;
          throw error;
        }
      }, handlesOf(call.inputs));
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the callback, which TS cannot see
      if (threw) throw error; // the step itself failed: the user's error, as an eager step gives it
      this.runEagerly(key, call.label, (error as Error).message);
      return null;
    }
    const outputs = traced.outputs.map(wrap);
    if (traced.hostSyncs.length > 0)
      this.runEagerly(key, call.label, `it reads tensor values on the host (${traced.hostSyncs.join(', ')})`);
    else this.remember(key, traced.trace);
    if (call.pure && traced.hostSyncs.length === 0)
      return (await native.runStep(traced.trace, handlesOf(call.inputs), null, call.label)).map(wrap);
    // This batch's forward pass has run while it was traced: finish the step from its outputs.
    if (!optimizer) return outputs;
    await native.runStep(null, [outputs[0].handle], optimizer, call.label, sync, scale);
    return [];
  }

  /**
   * Runs `calls` in order, consecutive ones with the same recorded step as one job of the compute
   * thread (native runSteps), and resolves to each one's outputs (none when training); resolves to
   * null, having run none, unless each has a recorded step (the caller then runs them one by one).
   * All share the first one's label and optimizer; none reduces gradients across ranks.
   */
  async runAll(calls: StepCall[]): Promise<Tensor[][] | null> {
    if (calls.some((call) => call.sync)) throw new Error('StepTraces.runAll: data-parallel steps run one at a time');
    const keys = calls.map(keyOf);
    const traces = keys.map((key) => this.#lookup(key));
    if (!traces.every(Boolean)) return null;
    const { label, optimizer } = calls[0];
    const handle = optimizer?.handle(label) ?? null;
    const results: Tensor[][] = [];
    for (let first = 0; first < calls.length;) {
      let end = first + 1;
      while (end < calls.length && keys[end] === keys[first]) end++;
      const inputs = calls.slice(first, end).flatMap((call) => handlesOf(call.inputs));
      const outputs = await native.runSteps(traces[first]!, inputs, handle, label);
      const each = outputs.length / (end - first);
      for (let k = first; k < end; k++) results.push(outputs.slice((k - first) * each, (k - first + 1) * each).map(wrap));
      first = end;
    }
    return results;
  }

  /** How many steps are recorded (for tests). */
  get size(): number {
    return this.#traces.size;
  }

  // The step recorded under `key` (null: it runs eagerly; undefined: not recorded), now the most recently used.
  #lookup(key: string): TraceHandle | null | undefined {
    const trace = this.#traces.get(key);
    if (trace !== undefined) {
      this.#traces.delete(key); // to the back
      this.#traces.set(key, trace);
    }
    return trace;
  }

  private remember(key: string, trace: TraceHandle | null): void {
    this.#traces.set(key, trace);
    if (this.#traces.size > MAX_TRACES) this.#traces.delete(this.#traces.keys().next().value!);
  }

  private runEagerly(key: string, label: string, reason: string): void {
    this.remember(key, null);
    if (this.#warned.has(label)) return;
    this.#warned.add(label);
    process.emitWarning(`${label}: this model's step runs eagerly on the JS thread, because it cannot be traced: ${reason}`, {
      code: 'TORCHLET_EAGER_STEP',
    });
  }
}

// A step's cache key: its kind, the layouts of the batch's tensors (their shapes include the batch
// size) and the number of other inputs.
function keyOf(call: StepCall): string {
  return [call.label, call.variant ?? '', call.inputs.length, ...call.inputs.slice(0, call.batchInputs ?? 2).map(layoutOf)].join('|');
}

// A tensor's layout, as far as the recorded ops depend on it.
function layoutOf(t: Tensor): string {
  return `${t.dtype}[${t.shape}]/${t.strides}@${t.device}`;
}
