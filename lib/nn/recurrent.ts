// Recurrent layers: Keras's LSTM and GRU over libtorch's fused recurrent ops (cuDNN on CUDA).
//
// Sequences are [batch, timesteps, features] (Keras's layout, batch first), per example
// [timesteps, features]. The weights are stored exactly as Keras stores them, so that a .keras
// file maps onto them one to one: `kernel` [features, gates·units], `recurrent_kernel` [units,
// gates·units], with the gates side by side in Keras's order (LSTM: i, f, c, o; GRU: z, r, h), and
// `bias` ([4·units] for LSTM; [2, 3·units], input then recurrent bias, for GRU). The native ops
// (native/recurrent.cc) rearrange them into PyTorch's layout on each call.
import { describeValue, optionalBoolean } from '../arguments.js';
import { full, ones } from '../create.js';
import * as ops from '../ops.js';
import type { Device, Tensor } from '../tensor.js';
import { checkActivation, type ActivationName } from './activation.js';
import { checkInitializer, initialize, type InitializerName } from './initializers.js';
import { Layer, layerArgs, positiveInteger, expectRank, type CallContext, type LayerArgs, type Shape } from './layer.js';

/** The arguments {@link LSTM} and {@link GRU} share, with Keras's names and defaults. */
export interface RecurrentArgs extends LayerArgs {
  /** The size of the output and of the state. */
  units: number;
  /** Only 'tanh' (the default): the fused kernel's; other activations are refused. */
  activation?: ActivationName;
  /** Only 'sigmoid' (the default), likewise. */
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
  /** Only true (the default, Keras's and cuDNN's formula: the reset gate applies after the recurrent matmul). */
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
    const fused = 'the fused kernel computes only the default';
    this.activation = onlyValue(owner, 'activation', checkActivation(owner, args.activation ?? 'tanh'), 'tanh', fused);
    this.recurrentActivation = onlyValue(
      owner,
      'recurrentActivation',
      checkActivation(owner, args.recurrentActivation ?? 'sigmoid'),
      'sigmoid',
      fused,
    );
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

  call(x: Tensor, ctx?: CallContext): Tensor {
    let input = this.goBackwards ? x.flip([1]) : x;
    if (ctx?.training && this.dropout > 0) {
      // Keras's recurrent dropout of inputs: one mask per sequence, the same at every timestep.
      input = input.mul(ops.dropout(ones([input.shape[0], 1, input.shape[2]], { device: input.device }), this.dropout, true));
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
 * Long short-term memory (Keras's LSTM) over [timesteps, features] sequences, as one fused libtorch
 * op (at::lstm; cuDNN on CUDA). Weights: kernel [features, 4·units], recurrent_kernel [units,
 * 4·units], bias [4·units], gates i, f, c, o (Keras's layout; PyTorch's i, f, g, o transposed).
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
    return ops.lstm(x, kernel, recurrentKernel, bias);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), unitForgetBias: this.unitForgetBias };
  }
}

/**
 * Gated recurrent unit (Keras's GRU, resetAfter true) over [timesteps, features] sequences, as one
 * fused libtorch op (at::gru; cuDNN on CUDA). Weights: kernel [features, 3·units],
 * recurrent_kernel [units, 3·units], gates z, r, h (Keras's order; PyTorch's is r, z, n), and bias
 * [2, 3·units]: the input bias, then the recurrent one (PyTorch's b_ih and b_hh, reordered alike).
 */
export class GRU extends Recurrent {
  readonly resetAfter: boolean;
  protected readonly gates = 3;

  protected static override readonly extraKeys = ['resetAfter'] as const;

  constructor(input: GRUArgs) {
    super(input);
    this.resetAfter = onlyValue(
      'GRU',
      'resetAfter',
      optionalBoolean('GRU', 'resetAfter', this.args.resetAfter, true),
      true,
      'only the fused formula, resetAfter true, is computed',
    );
  }

  protected biasShape(): number[] {
    return [2, 3 * this.units];
  }

  protected recur(x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor | null): Tensor {
    return ops.gru(x, kernel, recurrentKernel, bias);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), resetAfter: this.resetAfter };
  }
}
