// Recurrent layers: Keras's LSTM and GRU over libtorch's fused recurrent ops (cuDNN on CUDA) with
// Keras's default activations; other activations and GRU's resetAfter false run Keras's cell
// formulas step by step.
//
// Sequences are [batch, timesteps, features] (Keras's layout, batch first), per example
// [timesteps, features]. The weights are stored exactly as Keras stores them, so that a .keras
// file maps onto them one to one: `kernel` [features, gates·units], `recurrent_kernel` [units,
// gates·units], with the gates side by side in Keras's order (LSTM: i, f, c, o; GRU: z, r, h), and
// `bias` ([4·units] for LSTM; [2, 3·units], input then recurrent bias, for GRU, or [3·units] with
// resetAfter false). The native ops (native/recurrent.cc) rearrange them into PyTorch's layout on
// each call.
import { describeValue, optionalBoolean } from '../arguments.js';
import { full, ones, zeros } from '../create.js';
import * as ops from '../ops.js';
import { stack, type Device, type Tensor } from '../tensor.js';
import { applyActivation, checkActivation, type ActivationName } from './activation.js';
import { checkInitializer, initialize, type InitializerName } from './initializers.js';
import { Layer, layerArgs, positiveInteger, expectRank, type CallContext, type LayerArgs, type Shape } from './layer.js';

/** The arguments {@link LSTM} and {@link GRU} share, with Keras's names and defaults. */
export interface RecurrentArgs extends LayerArgs {
  /** The size of the output and of the state. */
  units: number;
  /** Default 'tanh'. Another activation runs the cell step by step instead of the fused kernel. */
  activation?: ActivationName;
  /** The gates' activation, default 'sigmoid'; likewise. */
  recurrentActivation?: ActivationName;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerName;
  /** Default 'orthogonal'. */
  recurrentInitializer?: InitializerName;
  /** Default 'zeros'. */
  biasInitializer?: InitializerName;
  /** The fraction of input features dropped while training, one mask for all timesteps (Keras's), in [0, 1); default 0. */
  dropout?: number;
  /** Only 0 (the default): recurrent dropout is not supported. */
  recurrentDropout?: number;
  /** Output every timestep's output, [timesteps, units] per example, or only the last, [units] (default false). */
  returnSequences?: boolean;
  /** Only false (the default): a layer here returns one tensor. */
  returnState?: boolean;
  /** Process the sequence from its end, and return the outputs in that (reversed) order, as Keras (default false). */
  goBackwards?: boolean;
  /** Only false (the default): each batch starts from zero states. */
  stateful?: boolean;
}

/** Arguments of {@link LSTM}. */
export interface LSTMArgs extends RecurrentArgs {
  /** Initialize the forget gate's bias to 1 (default true), as Keras. */
  unitForgetBias?: boolean;
}

/** Arguments of {@link GRU}. */
export interface GRUArgs extends RecurrentArgs {
  /**
   * Apply the reset gate after the recurrent matmul (default true: Keras's default and cuDNN's
   * formula, bias [2, 3·units]) or before it (false: the original GRU, bias [3·units], run step by step).
   */
  resetAfter?: boolean;
}

const RECURRENT_KEYS = [
  'units',
  'activation',
  'recurrentActivation',
  'useBias',
  'kernelInitializer',
  'recurrentInitializer',
  'biasInitializer',
  'dropout',
  'recurrentDropout',
  'returnSequences',
  'returnState',
  'goBackwards',
  'stateful',
] as const;

// An argument that only has one supported value: anything else is refused, naming it.
function onlyValue<T>(owner: string, what: string, value: T, supported: T, why: string): T {
  if (value !== supported) throw new RangeError(`${owner}: ${what} ${describeValue(value)} is not supported (${why})`);
  return value;
}

function rate(owner: string, what: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0 && value < 1))
    throw new RangeError(`${owner}: ${what} must be in [0, 1), got ${describeValue(value)}`);
  return value;
}

/** What LSTM and GRU share: arguments, weights, dropout and the direction and choice of outputs. */
abstract class Recurrent extends Layer {
  readonly units: number;
  readonly activation: ActivationName;
  readonly recurrentActivation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly recurrentInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  /** The arguments a subclass takes beyond the shared ones. */
  protected static readonly extraKeys: readonly (keyof LSTMArgs | keyof GRUArgs)[] = [];
  /** The arguments as read (once) from JS, for a subclass's own. */
  protected readonly args: Partial<LSTMArgs & GRUArgs>;
  /** 4 (LSTM) or 3 (GRU). */
  protected abstract readonly gates: number;

  constructor(input: RecurrentArgs) {
    const owner = new.target.name;
    const args = layerArgs<LSTMArgs & GRUArgs>(owner, input, [...RECURRENT_KEYS, ...new.target.extraKeys]);
    super(args);
    this.args = args;
    this.units = positiveInteger(owner, 'units', args.units);
    // null is Keras's None: no activation.
    this.activation = checkActivation(owner, args.activation === undefined ? 'tanh' : args.activation);
    this.recurrentActivation = checkActivation(owner, args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation);
    this.useBias = optionalBoolean(owner, 'useBias', args.useBias, true);
    this.kernelInitializer = checkInitializer(owner, 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.recurrentInitializer = checkInitializer(owner, 'recurrentInitializer', args.recurrentInitializer ?? 'orthogonal');
    this.biasInitializer = checkInitializer(owner, 'biasInitializer', args.biasInitializer ?? 'zeros');
    this.dropout = rate(owner, 'dropout', args.dropout);
    this.recurrentDropout = onlyValue(owner, 'recurrentDropout', rate(owner, 'recurrentDropout', args.recurrentDropout), 0, 'only 0');
    this.returnSequences = optionalBoolean(owner, 'returnSequences', args.returnSequences, false);
    const single = 'a layer returns one tensor: only false';
    this.returnState = onlyValue(owner, 'returnState', optionalBoolean(owner, 'returnState', args.returnState, false), false, single);
    this.goBackwards = optionalBoolean(owner, 'goBackwards', args.goBackwards, false);
    const fresh = 'each batch starts from zero states: only false';
    this.stateful = onlyValue(owner, 'stateful', optionalBoolean(owner, 'stateful', args.stateful, false), false, fresh);
  }

  computeOutputShape(inputShape: Shape): Shape {
    expectRank(this, inputShape, 2, 'sequences [timesteps, features]');
    return this.returnSequences ? [inputShape[0], this.units] : [this.units];
  }

  /** The bias as the layer's initializer fills it, before any subclass change. */
  protected abstract biasShape(): number[];

  protected override createWeights(inputShape: Shape, device: Device): void {
    const width = this.gates * this.units;
    const kernel = initialize(this.kernelInitializer, { shape: [inputShape[1], width], fanIn: inputShape[1], fanOut: width, device });
    this.addWeight('kernel', kernel, true);
    const recurrent = initialize(this.recurrentInitializer, { shape: [this.units, width], fanIn: this.units, fanOut: width, device });
    this.addWeight('recurrent_kernel', recurrent, true);
    if (this.useBias) {
      const shape = this.biasShape();
      const bias = initialize(this.biasInitializer, { shape, fanIn: shape[0], fanOut: shape[shape.length - 1], device });
      this.addWeight('bias', this.adjustBias(bias), true);
    }
  }

  /** A subclass's change to the initialized bias (LSTM's unit forget bias). */
  protected adjustBias(bias: Tensor): Tensor {
    return bias;
  }

  /** Every step's output, [N, T, units], of the (already reversed) sequence. */
  protected abstract recur(x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor | null): Tensor;

  /** True when the fused op computes this layer's formula: Keras's default activations. */
  protected get fused(): boolean {
    return this.activation === 'tanh' && this.recurrentActivation === 'sigmoid';
  }

  /** The activations by role, for the step-by-step cells. */
  protected act(x: Tensor): Tensor {
    return applyActivation(this.activation, x);
  }
  protected gate(x: Tensor): Tensor {
    return applyActivation(this.recurrentActivation, x);
  }

  /** Runs `step` (state → new state, output) over the timesteps of `inputs` [N, T, ...] from zero states, stacking the outputs. */
  protected scan(inputs: Tensor, states: number, step: (x: Tensor, state: Tensor[]) => Tensor[]): Tensor {
    let state = Array.from({ length: states }, () => zeros([inputs.shape[0], this.units], { device: inputs.device, dtype: inputs.dtype }));
    const outputs: Tensor[] = [];
    for (let t = 0; t < inputs.shape[1]; t++) {
      state = step(inputs.narrow(1, t, 1).squeeze(1), state);
      outputs.push(state[0]);
    }
    return stack(outputs, 1);
  }

  call(x: Tensor, ctx?: CallContext): Tensor {
    let input = this.goBackwards ? x.flip([1]) : x;
    if (ctx?.training && this.dropout > 0) {
      // Keras's input dropout for RNNs: one mask per sequence, the same at every timestep.
      const mask = ones([input.shape[0], 1, input.shape[2]], { device: input.device, dtype: input.dtype });
      input = input.mul(ops.dropout(mask, this.dropout, true));
    }
    const outputs = this.recur(input, this.weight('kernel'), this.weight('recurrent_kernel'), this.useBias ? this.weight('bias') : null);
    return this.returnSequences ? outputs : outputs.narrow(1, outputs.shape[1] - 1, 1).squeeze(1);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      recurrentActivation: this.recurrentActivation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      recurrentInitializer: this.recurrentInitializer,
      biasInitializer: this.biasInitializer,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
    };
  }
}

/**
 * Long short-term memory (Keras's LSTM) over [timesteps, features] sequences: one fused libtorch op
 * (at::lstm; cuDNN on CUDA) with the default activations, Keras's cell step by step with others.
 * Weights: kernel [features, 4·units], recurrent_kernel [units, 4·units], bias [4·units], gates i,
 * f, c, o (Keras's layout; PyTorch's i, f, g, o transposed).
 */
export class LSTM extends Recurrent {
  readonly unitForgetBias: boolean;
  protected readonly gates = 4;

  protected static override readonly extraKeys = ['unitForgetBias'] as const;

  constructor(input: LSTMArgs) {
    super(input);
    this.unitForgetBias = optionalBoolean('LSTM', 'unitForgetBias', this.args.unitForgetBias, true);
  }

  protected biasShape(): number[] {
    return [4 * this.units];
  }

  protected override adjustBias(bias: Tensor): Tensor {
    // The forget gate's quarter starts at 1 (Keras fills the other quarters with biasInitializer).
    if (this.unitForgetBias) bias.narrow(0, this.units, this.units).assign(full([1], 1, { device: bias.device }));
    return bias;
  }

  protected recur(x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor | null): Tensor {
    if (this.fused) return ops.lstm(x, kernel, recurrentKernel, bias);
    // Keras's LSTMCell: the input projections of every step at once, then the recurrence.
    const projected = bias ? x.matmul(kernel).add(bias) : x.matmul(kernel);
    const u = this.units;
    return this.scan(projected, 2, (z, [h, c]) => {
      const gates = z.add(h.matmul(recurrentKernel));
      const [i, f, g, o] = [0, 1, 2, 3].map((k) => gates.narrow(1, k * u, u));
      const carry = this.gate(f)
        .mul(c)
        .add(this.gate(i).mul(this.act(g)));
      return [this.gate(o).mul(this.act(carry)), carry];
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), unitForgetBias: this.unitForgetBias };
  }
}

/**
 * Gated recurrent unit (Keras's GRU) over [timesteps, features] sequences: one fused libtorch op
 * (at::gru; cuDNN on CUDA) with the default activations and resetAfter, Keras's cell step by step
 * otherwise. Weights: kernel [features, 3·units], recurrent_kernel [units, 3·units], gates z, r, h
 * (Keras's order; PyTorch's is r, z, n), and bias [2, 3·units], the input bias then the recurrent
 * one (PyTorch's b_ih and b_hh, reordered alike), or [3·units] with resetAfter false.
 */
export class GRU extends Recurrent {
  readonly resetAfter: boolean;
  protected readonly gates = 3;

  protected static override readonly extraKeys = ['resetAfter'] as const;

  constructor(input: GRUArgs) {
    super(input);
    this.resetAfter = optionalBoolean('GRU', 'resetAfter', this.args.resetAfter, true);
  }

  protected biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }

  protected override get fused(): boolean {
    return super.fused && this.resetAfter;
  }

  protected recur(x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor | null): Tensor {
    if (this.fused) return ops.gru(x, kernel, recurrentKernel, bias);
    // Keras's GRUCell: the input projections (with the input bias) of every step at once.
    const u = this.units;
    const inputBias = bias && this.resetAfter ? bias.narrow(0, 0, 1).squeeze(0) : bias;
    const recurrentBias = bias && this.resetAfter ? bias.narrow(0, 1, 1).squeeze(0) : null;
    const projected = inputBias ? x.matmul(kernel).add(inputBias) : x.matmul(kernel);
    return this.scan(projected, 1, (xt, [h]) => {
      const [xz, xr, xh] = [0, 1, 2].map((k) => xt.narrow(1, k * u, u));
      let candidate: Tensor;
      let update: Tensor;
      if (this.resetAfter) {
        const hr = recurrentBias ? h.matmul(recurrentKernel).add(recurrentBias) : h.matmul(recurrentKernel);
        const [hz, hrr, hh] = [0, 1, 2].map((k) => hr.narrow(1, k * u, u));
        update = this.gate(xz.add(hz));
        candidate = this.act(xh.add(this.gate(xr.add(hrr)).mul(hh)));
      } else {
        const hzr = h.matmul(recurrentKernel.narrow(1, 0, 2 * u));
        update = this.gate(xz.add(hzr.narrow(1, 0, u)));
        const reset = this.gate(xr.add(hzr.narrow(1, u, u)));
        candidate = this.act(xh.add(reset.mul(h).matmul(recurrentKernel.narrow(1, 2 * u, u))));
      }
      // h = z·h + (1 - z)·candidate
      return [candidate.add(update.mul(h.sub(candidate)))];
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), resetAfter: this.resetAfter };
  }
}
