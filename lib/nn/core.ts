// Core layers: Dense, Flatten and Embedding.
import * as ops from '../ops.js';
import type { Device, Tensor } from '../tensor.js';
import { applyActivation, checkActivation, type ActivationName } from './activation.js';
import { checkInitializer, initialize, type InitializerName } from './initializers.js';
import { Layer, layerArgs, positiveInteger, type CallContext, type LayerArgs, type Shape } from './layer.js';
import { optionalBoolean } from '../arguments.js';

/** Arguments of {@link Dense}. */
export interface DenseArgs extends LayerArgs {
  /** The number of outputs. */
  units: number;
  /** Default 'linear'. */
  activation?: ActivationName;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerName;
  /** Default 'zeros'. */
  biasInitializer?: InitializerName;
}

/** A fully connected layer over the last axis. Its kernel is stored [units, inputs], PyTorch's layout. */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;

  constructor(input: DenseArgs) {
    const args = layerArgs<DenseArgs>('Dense', input, ['units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer']);
    super(args);
    this.units = positiveInteger('Dense', 'units', args.units);
    this.activation = checkActivation('Dense', args.activation);
    this.useBias = optionalBoolean('Dense', 'useBias', args.useBias, true);
    this.kernelInitializer = checkInitializer('Dense', 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = checkInitializer('Dense', 'biasInitializer', args.biasInitializer ?? 'zeros');
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length < 1) throw new RangeError(`${this.name}: expects inputs with a feature axis, got input shape [${inputShape}]`);
    return [...inputShape.slice(0, -1), this.units];
  }

  protected override createWeights(inputShape: Shape, device: Device): void {
    const inputs = inputShape[inputShape.length - 1];
    this.addWeight(
      'kernel',
      initialize(this.kernelInitializer, { shape: [this.units, inputs], fanIn: inputs, fanOut: this.units, device }),
      true,
    );
    if (this.useBias) this.addWeight('bias', initialize(this.biasInitializer, { shape: [this.units], fanIn: 0, fanOut: 0, device }), true);
  }

  /** The affine map before the activation. */
  preActivation(x: Tensor): Tensor {
    return ops.linear(x, this.weight('kernel'), this.useBias ? this.weight('bias') : null, { kernel: 'auto' });
  }

  call(x: Tensor, _ctx?: CallContext): Tensor {
    // ReLU fuses into the matmul (one oneDNN inner product on the CPU); other activations follow it.
    if (this.activation === 'relu')
      return ops.linear(x, this.weight('kernel'), this.useBias ? this.weight('bias') : null, { kernel: 'auto', activation: 'relu' });
    return applyActivation(this.activation, this.preActivation(x));
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
    };
  }
}

/** Flattens each example to one axis, in Keras's order (height, width, channels). */
export class Flatten extends Layer {
  constructor(args?: LayerArgs) {
    super(layerArgs('Flatten', args));
  }
  computeOutputShape(inputShape: Shape): Shape {
    return [inputShape.reduce((a, b) => a * b, 1)];
  }
  call(x: Tensor, _ctx?: CallContext): Tensor {
    // An NCHW image batch with channels-last strides is NHWC in memory: this permute is free and
    // gives Keras's element order.
    return (x.rank === 4 ? x.permute([0, 2, 3, 1]) : x).flatten(1);
  }
}

/** Arguments of {@link Embedding}, with Keras's names and defaults. */
export interface EmbeddingArgs extends LayerArgs {
  /** The vocabulary size: indices run from 0 to inputDim - 1. */
  inputDim: number;
  /** The size of each vector. */
  outputDim: number;
  /** Default 'randomUniform' (Keras's 'uniform': U(-0.05, 0.05)). */
  embeddingsInitializer?: InitializerName;
}

/** Looks up a learned vector per integer index: [...indices] → [...indices, outputDim]. */
export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: InitializerName;
  constructor(input: EmbeddingArgs) {
    const owner = 'Embedding';
    const args = layerArgs<EmbeddingArgs>(owner, input, ['inputDim', 'outputDim', 'embeddingsInitializer']);
    super(args);
    this.inputDim = positiveInteger(owner, 'inputDim', args.inputDim);
    this.outputDim = positiveInteger(owner, 'outputDim', args.outputDim);
    this.embeddingsInitializer = checkInitializer(owner, 'embeddingsInitializer', args.embeddingsInitializer ?? 'randomUniform');
  }
  computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape, this.outputDim];
  }
  protected override createWeights(_inputShape: Shape, device: Device): void {
    const shape = [this.inputDim, this.outputDim];
    this.addWeight(
      'embeddings',
      initialize(this.embeddingsInitializer, { shape, fanIn: this.inputDim, fanOut: this.outputDim, device }),
      true,
    );
  }
  call(x: Tensor, _ctx?: CallContext): Tensor {
    // Indices may come as floats (a model's inputs are converted to float32): whole numbers convert exactly.
    const flat = x.to('int64').reshape([-1]);
    return this.weight('embeddings')
      .indexSelect(0, flat)
      .reshape([...x.shape, this.outputDim]);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), inputDim: this.inputDim, outputDim: this.outputDim, embeddingsInitializer: this.embeddingsInitializer };
  }
}
