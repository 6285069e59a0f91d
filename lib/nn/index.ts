// The layers, as classes (Keras's names) and camelCase factories (as TensorFlow.js).
import { Activation, ReLU, Softmax, type ActivationArgs, type ReLUArgs, type SoftmaxArgs } from './activation.js';
import {
  Conv1D,
  Conv2D,
  Conv2DTranspose,
  DepthwiseConv2D,
  SeparableConv2D,
  type Conv1DArgs,
  type Conv2DArgs,
  type Conv2DTransposeArgs,
  type DepthwiseConv2DArgs,
  type SeparableConv2DArgs,
} from './conv.js';
import { Dense, Embedding, Flatten, type DenseArgs, type EmbeddingArgs } from './core.js';
import { InputLayer } from './input-layer.js';
import type { Layer, LayerArgs, SymbolicTensor } from './layer.js';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, type ConcatenateArgs } from './merge.js';
import { BatchNormalization, LayerNormalization, type BatchNormalizationArgs, type LayerNormalizationArgs } from './normalization.js';
import {
  AveragePooling2D,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  MaxPooling2D,
  type GlobalPooling2DArgs,
  type Pooling2DArgs,
} from './pooling.js';
import { Rescaling, type RescalingArgs } from './preprocessing.js';
import { GRU, LSTM, type GRUArgs, type LSTMArgs } from './recurrent.js';
import { Dropout, type DropoutArgs } from './regularization.js';
import {
  Permute,
  Reshape,
  UpSampling2D,
  ZeroPadding2D,
  type PermuteArgs,
  type ReshapeArgs,
  type UpSampling2DArgs,
  type ZeroPadding2DArgs,
} from './reshaping.js';

export { Layer, SymbolicTensor } from './layer.js';
export { input, InputLayer } from './input-layer.js';
export type { InputArgs, InputLayerArgs } from './input-layer.js';
export { Merge } from './merge.js';
export type { ConcatenateArgs } from './merge.js';
export type { CallContext, LayerArgs, Padding, Shape, Weight } from './layer.js';
export {
  Activation,
  ReLU,
  Softmax,
  Conv2D,
  Dense,
  Flatten,
  BatchNormalization,
  AveragePooling2D,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  MaxPooling2D,
  Dropout,
  Rescaling,
  ZeroPadding2D,
  UpSampling2D,
  Reshape,
  Permute,
  LayerNormalization,
  Embedding,
  DepthwiseConv2D,
  SeparableConv2D,
  Conv1D,
  Add,
  Subtract,
  Multiply,
  Average,
  Maximum,
  Minimum,
  Concatenate,
  Conv2DTranspose,
  LSTM,
  GRU,
};
export type { ActivationArgs, ActivationName, ReLUArgs, SoftmaxArgs } from './activation.js';
export type { RescalingArgs } from './preprocessing.js';
export type { Padding2D, PermuteArgs, ReshapeArgs, UpSampling2DArgs, ZeroPadding2DArgs } from './reshaping.js';
export type { Conv1DArgs, Conv2DArgs, Conv2DTransposeArgs, DepthwiseConv2DArgs, SeparableConv2DArgs } from './conv.js';
export type { GRUArgs, LSTMArgs, RecurrentArgs } from './recurrent.js';
export type { DenseArgs, EmbeddingArgs } from './core.js';
export type { BatchNormalizationArgs, LayerNormalizationArgs } from './normalization.js';
export type { GlobalPooling2DArgs, Pooling2DArgs } from './pooling.js';
export type { DropoutArgs } from './regularization.js';
export type { InitializerName } from './initializers.js';

/** Layer classes by Keras class name, for loading saved models. */
export const LAYER_CLASSES = {
  Conv2D,
  MaxPooling2D,
  AveragePooling2D,
  GlobalAveragePooling2D,
  Flatten,
  Dense,
  Dropout,
  BatchNormalization,
  Activation,
  ReLU,
  Softmax,
  GlobalMaxPooling2D,
  Rescaling,
  ZeroPadding2D,
  UpSampling2D,
  Reshape,
  Permute,
  LayerNormalization,
  Embedding,
  DepthwiseConv2D,
  SeparableConv2D,
  Conv1D,
  InputLayer,
  Add,
  Subtract,
  Multiply,
  Average,
  Maximum,
  Minimum,
  Concatenate,
  Conv2DTranspose,
  LSTM,
  GRU,
} as const satisfies Record<string, new (args: never) => Layer>;

/**
 * A merge layer's factory, in both of Keras's forms: given symbolic tensors, `add([a, b])` applies
 * a new layer to them and returns its output (Keras's `keras.layers.add`); given arguments (or
 * nothing), `add({ name })` returns the layer (Keras's `keras.layers.Add`).
 */
export interface MergeFactory<L extends Layer, A> {
  (inputs: SymbolicTensor[], args?: A): SymbolicTensor;
  (args?: A): L;
}

function mergeFactory<L extends Layer, A>(make: (args?: A) => L): MergeFactory<L, A> {
  return ((first?: SymbolicTensor[] | A, args?: A) => (Array.isArray(first) ? make(args).apply(first) : make(first))) as MergeFactory<L, A>;
}

/**
 * Layer factories and classes: `layers.conv2d({ filters: 32, kernelSize: 3 })` is
 * `new layers.Conv2D({ ... })` (the classes are also top-level exports, as `tl.Conv2D`).
 */
export const layers = {
  ...LAYER_CLASSES,
  conv2d: (args: Conv2DArgs) => new Conv2D(args),
  maxPooling2d: (args?: Pooling2DArgs) => new MaxPooling2D(args),
  averagePooling2d: (args?: Pooling2DArgs) => new AveragePooling2D(args),
  globalAveragePooling2d: (args?: GlobalPooling2DArgs) => new GlobalAveragePooling2D(args),
  flatten: (args?: LayerArgs) => new Flatten(args),
  dense: (args: DenseArgs) => new Dense(args),
  dropout: (args: DropoutArgs) => new Dropout(args),
  batchNormalization: (args?: BatchNormalizationArgs) => new BatchNormalization(args),
  activation: (args: ActivationArgs) => new Activation(args),
  reLU: (args?: ReLUArgs) => new ReLU(args),
  relu: (args?: ReLUArgs) => new ReLU(args),
  softmax: (args?: SoftmaxArgs) => new Softmax(args),
  globalMaxPooling2d: (args?: GlobalPooling2DArgs) => new GlobalMaxPooling2D(args),
  rescaling: (args: RescalingArgs) => new Rescaling(args),
  zeroPadding2d: (args?: ZeroPadding2DArgs) => new ZeroPadding2D(args),
  upSampling2d: (args?: UpSampling2DArgs) => new UpSampling2D(args),
  reshape: (args: ReshapeArgs) => new Reshape(args),
  permute: (args: PermuteArgs) => new Permute(args),
  layerNormalization: (args?: LayerNormalizationArgs) => new LayerNormalization(args),
  embedding: (args: EmbeddingArgs) => new Embedding(args),
  depthwiseConv2d: (args: DepthwiseConv2DArgs) => new DepthwiseConv2D(args),
  separableConv2d: (args: SeparableConv2DArgs) => new SeparableConv2D(args),
  conv1d: (args: Conv1DArgs) => new Conv1D(args),
  add: mergeFactory((args?: LayerArgs) => new Add(args)),
  subtract: mergeFactory((args?: LayerArgs) => new Subtract(args)),
  multiply: mergeFactory((args?: LayerArgs) => new Multiply(args)),
  average: mergeFactory((args?: LayerArgs) => new Average(args)),
  maximum: mergeFactory((args?: LayerArgs) => new Maximum(args)),
  minimum: mergeFactory((args?: LayerArgs) => new Minimum(args)),
  concatenate: mergeFactory((args?: ConcatenateArgs) => new Concatenate(args)),
  conv2dTranspose: (args: Conv2DTransposeArgs) => new Conv2DTranspose(args),
  lstm: (args: LSTMArgs) => new LSTM(args),
  gru: (args: GRUArgs) => new GRU(args),
};
