// The per-layer table of `.keras` files: for each Keras layer class, how its Keras config (snake_case)
// becomes torchlet's arguments (camelCase) and back, and how each of its weights is laid out in
// Keras (HWIO kernels, [in, out] dense kernels ...) versus torchlet (PyTorch's layouts). A new layer
// is one entry here; keras-load.ts and keras-save.ts assemble whole models from these entries.
import { describeValue, ownEntry } from '../arguments.js';
import { LAYER_CLASSES } from '../nn/index.js';
import { camelCase } from '../nn/initializers.js';
import type { Layer } from '../nn/layer.js';
import type { Tensor } from '../tensor.js';
import { snakeCase } from './snake-case.js';

/**
 * How a Keras config key maps to a torchlet argument of the same name in camelCase:
 * - 'value': as is (numbers, booleans, strings, lists);
 * - 'int1': Keras's one-element list ([3]) is torchlet's number (3);
 * - 'activation': a Keras activation name is torchlet's (log_softmax ↔ logSoftmax);
 * - 'initializer': a Keras initializer object ({class_name: 'GlorotUniform'}) or name is torchlet's name;
 * - { fixed }: a Keras option torchlet has not; a file must hold this value (or null, or leave it out), and a save writes it;
 * - 'ignored': read from nowhere, written as null (a seed, which only the initial draw used).
 */
export type KerasKey = 'value' | 'int1' | 'activation' | 'initializer' | 'ignored' | { fixed: unknown };

/** Converts one weight between Keras's layout and torchlet's (each returns a new tensor or a view). */
export interface WeightLayout {
  fromKeras(keras: Tensor): Tensor;
  /** `config` is the layer's getConfig() (a depthwise kernel's Keras shape needs its depth multiplier). */
  toKeras(weight: Tensor, config: Record<string, unknown>): Tensor;
}

/** A Keras layer class as torchlet reads and writes it. */
export interface KerasLayerEntry {
  /** The torchlet layer, from its arguments. */
  create(args: Record<string, unknown>): Layer;
  /** The config keys besides name, trainable and dtype, which every layer has. */
  keys: Record<string, KerasKey>;
  /**
   * Layouts of the weights that differ from Keras's, by torchlet weight name (others are the same).
   * Keras's variables are the layer's weights in torchlet's order (`layer.weights`).
   */
  layouts?: Record<string, WeightLayout>;
  /**
   * Where in the layer's group of the weights file Keras keeps its variables: 'vars' (the default),
   * or 'cell/vars' for recurrent layers, whose variables belong to their cell.
   */
  variables?: string;
}

const SAME: WeightLayout = { fromKeras: (t) => t, toKeras: (t) => t };
/** Dense: Keras [in, out], torchlet [out, in]. */
export const DENSE_KERNEL: WeightLayout = { fromKeras: (t) => t.transpose(0, 1), toKeras: (t) => t.transpose(0, 1) };
/** Conv2D: Keras HWIO [kh, kw, in, out], torchlet OIHW [out, in, kh, kw] (channels-last in memory, which assign keeps). */
export const CONV2D_KERNEL: WeightLayout = { fromKeras: (t) => t.permute([3, 2, 0, 1]), toKeras: (t) => t.permute([2, 3, 1, 0]) };
/** Conv1D: Keras [k, in, out], torchlet [out, in, k]. */
export const CONV1D_KERNEL: WeightLayout = { fromKeras: (t) => t.permute([2, 1, 0]), toKeras: (t) => t.permute([2, 1, 0]) };
/**
 * DepthwiseConv2D (and SeparableConv2D's depthwise step): Keras [kh, kw, channels, multiplier],
 * torchlet a grouped convolution's [channels·multiplier, 1, kh, kw], output channel
 * c·multiplier + m in both.
 */
export const DEPTHWISE_KERNEL: WeightLayout = {
  fromKeras: (t) => {
    const [kh, kw, channels, multiplier] = t.shape;
    return t
      .reshape([kh, kw, channels * multiplier])
      .permute([2, 0, 1])
      .unsqueeze(1);
  },
  toKeras: (t, config) => {
    const [outputs, , kh, kw] = t.shape;
    const multiplier = config.depthMultiplier as number;
    return t
      .reshape([outputs, kh, kw])
      .permute([1, 2, 0])
      .reshape([kh, kw, outputs / multiplier, multiplier]);
  },
};

const INITIALIZER_CLASSES = new Set([
  'zeros',
  'ones',
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'lecunUniform',
  'lecunNormal',
  'randomUniform',
  'randomNormal',
  'orthogonal',
]);

// What a convolution's config holds besides its arguments: options torchlet has not, left off.
const CONV_EXTRAS = {
  data_format: { fixed: 'channels_last' },
  bias_regularizer: { fixed: null },
  activity_regularizer: { fixed: null },
  bias_constraint: { fixed: null },
} as const;
const KERNEL_EXTRAS = { kernel_regularizer: { fixed: null }, kernel_constraint: { fixed: null } } as const;

// A depthwise convolution's config (SeparableConv2D's adds its pointwise kernel's).
const DEPTHWISE = {
  kernel_size: 'value',
  depth_multiplier: 'value',
  strides: 'value',
  padding: 'value',
  dilation_rate: 'value',
  activation: 'activation',
  use_bias: 'value',
  depthwise_initializer: 'initializer',
  bias_initializer: 'initializer',
  ...CONV_EXTRAS,
  depthwise_regularizer: { fixed: null },
  depthwise_constraint: { fixed: null },
} as const;

// A recurrent layer's config, LSTM's and GRU's alike (their weights are in Keras's layouts already).
const RECURRENT = {
  units: 'value',
  activation: 'activation',
  recurrent_activation: 'activation',
  use_bias: 'value',
  kernel_initializer: 'initializer',
  recurrent_initializer: 'initializer',
  bias_initializer: 'initializer',
  dropout: 'value',
  recurrent_dropout: 'value',
  return_sequences: 'value',
  return_state: 'value',
  go_backwards: 'value',
  stateful: 'value',
  seed: 'ignored',
  unroll: { fixed: false },
  zero_output_for_mask: { fixed: false },
  kernel_regularizer: { fixed: null },
  recurrent_regularizer: { fixed: null },
  bias_regularizer: { fixed: null },
  activity_regularizer: { fixed: null },
  kernel_constraint: { fixed: null },
  recurrent_constraint: { fixed: null },
  bias_constraint: { fixed: null },
} as const;

const POOLING = { pool_size: 'value', strides: 'value', padding: 'value', data_format: { fixed: 'channels_last' } } as const;
const GLOBAL_POOLING = { keepdims: 'value', data_format: { fixed: 'channels_last' } } as const;
const NORMALIZATION_EXTRAS = {
  beta_regularizer: { fixed: null },
  gamma_regularizer: { fixed: null },
  beta_constraint: { fixed: null },
  gamma_constraint: { fixed: null },
} as const;

const make =
  <A>(LayerClass: new (args: A) => Layer) =>
  (args: Record<string, unknown>): Layer =>
    new LayerClass(args as A);

/** The Keras layer classes torchlet reads from and writes to `.keras` files, by Keras class name. */
export const KERAS_LAYERS: Record<string, KerasLayerEntry> = {
  Conv2D: {
    create: make(LAYER_CLASSES.Conv2D),
    keys: {
      filters: 'value',
      kernel_size: 'value',
      strides: 'value',
      padding: 'value',
      dilation_rate: 'value',
      groups: 'value',
      activation: 'activation',
      use_bias: 'value',
      kernel_initializer: 'initializer',
      bias_initializer: 'initializer',
      ...CONV_EXTRAS,
      ...KERNEL_EXTRAS,
    },
    layouts: { kernel: CONV2D_KERNEL },
  },
  Conv2DTranspose: {
    create: make(LAYER_CLASSES.Conv2DTranspose),
    keys: {
      filters: 'value',
      kernel_size: 'value',
      strides: 'value',
      padding: 'value',
      output_padding: 'value',
      dilation_rate: 'value',
      activation: 'activation',
      use_bias: 'value',
      kernel_initializer: 'initializer',
      bias_initializer: 'initializer',
      ...CONV_EXTRAS,
      ...KERNEL_EXTRAS,
    },
    // Keras [kh, kw, filters, in], torchlet [in, filters, kh, kw]: Conv2D's permutation.
    layouts: { kernel: CONV2D_KERNEL },
  },
  LSTM: { create: make(LAYER_CLASSES.LSTM), keys: { ...RECURRENT, unit_forget_bias: 'value' }, variables: 'cell/vars' },
  GRU: { create: make(LAYER_CLASSES.GRU), keys: { ...RECURRENT, reset_after: 'value' }, variables: 'cell/vars' },
  Conv1D: {
    create: make(LAYER_CLASSES.Conv1D),
    keys: {
      filters: 'value',
      kernel_size: 'int1',
      strides: 'int1',
      padding: 'value',
      dilation_rate: 'int1',
      groups: 'value',
      activation: 'activation',
      use_bias: 'value',
      kernel_initializer: 'initializer',
      bias_initializer: 'initializer',
      ...CONV_EXTRAS,
      ...KERNEL_EXTRAS,
    },
    layouts: { kernel: CONV1D_KERNEL },
  },
  DepthwiseConv2D: {
    create: make(LAYER_CLASSES.DepthwiseConv2D),
    keys: DEPTHWISE,
    layouts: { kernel: DEPTHWISE_KERNEL },
  },
  SeparableConv2D: {
    create: make(LAYER_CLASSES.SeparableConv2D),
    keys: {
      ...DEPTHWISE,
      filters: 'value',
      pointwise_initializer: 'initializer',
      pointwise_regularizer: { fixed: null },
      pointwise_constraint: { fixed: null },
    },
    layouts: { kernel: DEPTHWISE_KERNEL, pointwise_kernel: CONV2D_KERNEL },
  },
  MaxPooling2D: { create: make(LAYER_CLASSES.MaxPooling2D), keys: POOLING },
  AveragePooling2D: { create: make(LAYER_CLASSES.AveragePooling2D), keys: POOLING },
  GlobalAveragePooling2D: { create: make(LAYER_CLASSES.GlobalAveragePooling2D), keys: GLOBAL_POOLING },
  GlobalMaxPooling2D: { create: make(LAYER_CLASSES.GlobalMaxPooling2D), keys: GLOBAL_POOLING },
  Flatten: { create: make(LAYER_CLASSES.Flatten), keys: { data_format: { fixed: 'channels_last' } } },
  Dense: {
    create: make(LAYER_CLASSES.Dense),
    keys: {
      units: 'value',
      activation: 'activation',
      use_bias: 'value',
      kernel_initializer: 'initializer',
      bias_initializer: 'initializer',
      kernel_regularizer: { fixed: null },
      bias_regularizer: { fixed: null },
      activity_regularizer: { fixed: null },
      kernel_constraint: { fixed: null },
      bias_constraint: { fixed: null },
    },
    layouts: { kernel: DENSE_KERNEL },
  },
  Dropout: { create: make(LAYER_CLASSES.Dropout), keys: { rate: 'value', noise_shape: { fixed: null }, seed: 'ignored' } },
  BatchNormalization: {
    create: make(LAYER_CLASSES.BatchNormalization),
    keys: {
      axis: 'value',
      momentum: 'value',
      epsilon: 'value',
      center: 'value',
      scale: 'value',
      beta_initializer: 'initializer',
      gamma_initializer: 'initializer',
      moving_mean_initializer: 'initializer',
      moving_variance_initializer: 'initializer',
      ...NORMALIZATION_EXTRAS,
      synchronized: { fixed: false },
      renorm: { fixed: false },
      renorm_clipping: { fixed: null },
      renorm_momentum: 'ignored',
    },
  },
  LayerNormalization: {
    create: make(LAYER_CLASSES.LayerNormalization),
    keys: {
      axis: 'value',
      epsilon: 'value',
      center: 'value',
      scale: 'value',
      beta_initializer: 'initializer',
      gamma_initializer: 'initializer',
      ...NORMALIZATION_EXTRAS,
      rms_scaling: { fixed: false },
    },
  },
  Activation: { create: make(LAYER_CLASSES.Activation), keys: { activation: 'activation' } },
  ReLU: { create: make(LAYER_CLASSES.ReLU), keys: { max_value: 'value', negative_slope: 'value', threshold: { fixed: 0 } } },
  Softmax: { create: make(LAYER_CLASSES.Softmax), keys: { axis: 'value' } },
  ZeroPadding2D: { create: make(LAYER_CLASSES.ZeroPadding2D), keys: { padding: 'value', data_format: { fixed: 'channels_last' } } },
  UpSampling2D: {
    create: make(LAYER_CLASSES.UpSampling2D),
    keys: { size: 'value', interpolation: 'value', data_format: { fixed: 'channels_last' } },
  },
  Reshape: { create: make(LAYER_CLASSES.Reshape), keys: { target_shape: 'value' } },
  Add: { create: make(LAYER_CLASSES.Add), keys: {} },
  Subtract: { create: make(LAYER_CLASSES.Subtract), keys: {} },
  Multiply: { create: make(LAYER_CLASSES.Multiply), keys: {} },
  Average: { create: make(LAYER_CLASSES.Average), keys: {} },
  Maximum: { create: make(LAYER_CLASSES.Maximum), keys: {} },
  Minimum: { create: make(LAYER_CLASSES.Minimum), keys: {} },
  Concatenate: { create: make(LAYER_CLASSES.Concatenate), keys: { axis: 'value' } },
  Permute: { create: make(LAYER_CLASSES.Permute), keys: { dims: 'value' } },
  Rescaling: { create: make(LAYER_CLASSES.Rescaling), keys: { scale: 'value', offset: 'value' } },
  Embedding: {
    create: make(LAYER_CLASSES.Embedding),
    keys: {
      input_dim: 'value',
      output_dim: 'value',
      embeddings_initializer: 'initializer',
      embeddings_regularizer: { fixed: null },
      activity_regularizer: { fixed: null },
      embeddings_constraint: { fixed: null },
      mask_zero: { fixed: false },
    },
  },
};

/** The entry for Keras class `className`, or undefined (own keys only: 'constructor' finds nothing). */
export function kerasLayerEntry(className: unknown): KerasLayerEntry | undefined {
  return ownEntry(KERAS_LAYERS, className);
}

/** The layout of weight `name` between Keras and torchlet. */
export function weightLayout(entry: KerasLayerEntry, name: string): WeightLayout {
  return (entry.layouts && ownEntry(entry.layouts, name)) ?? SAME;
}

// Keras's spellings of what every layer's config may hold besides the table's keys.
const COMMON_KEYS = new Set(['name', 'trainable', 'dtype']);

/**
 * torchlet's arguments for a Keras layer config. `where` names the layer in errors
 * ("layer 'conv2d' (Conv2D)"). Unknown keys set to null or false (an option left off) are
 * accepted; any other unknown key, or a fixed key with another value, is an error naming it.
 */
export function argsFromKeras(entry: KerasLayerEntry, config: Record<string, unknown>, where: string): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (config.name !== undefined) args.name = config.name;
  if (config.trainable !== undefined) args.trainable = config.trainable;
  checkDtype(config.dtype, where);
  for (const [key, value] of Object.entries(config)) {
    if (COMMON_KEYS.has(key)) continue;
    const kind = ownEntry(entry.keys, key);
    if (kind === undefined) {
      if (value === null || value === false) continue;
      throw new Error(`${where}: option '${key}' (${describeValue(value)}) is not supported`);
    }
    if (kind === 'ignored') continue;
    if (typeof kind === 'object') {
      if (value !== null && value !== undefined && JSON.stringify(value) !== JSON.stringify(kind.fixed))
        throw new Error(
          `${where}: option '${key}' must be ${JSON.stringify(kind.fixed)} (torchlet has no other), got ${describeValue(value)}`,
        );
      continue;
    }
    if (value === null) continue; // Keras's "the default", which torchlet's arguments leave out
    args[camelCase(key)] =
      kind === 'int1'
        ? unwrap1(value, key, where)
        : kind === 'activation'
          ? activationFromKeras(value, key, where)
          : kind === 'initializer'
            ? initializerFromKeras(value)
            : value;
    if (args[camelCase(key)] === undefined) delete args[camelCase(key)];
  }
  return args;
}

/** The Keras config of a torchlet layer, from its getConfig(). */
export function configToKeras(entry: KerasLayerEntry, config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: config.name, trainable: config.trainable ?? true, dtype: 'float32' };
  for (const [key, kind] of Object.entries(entry.keys)) {
    if (kind === 'ignored') out[key] = null;
    else if (typeof kind === 'object') out[key] = kind.fixed;
    else {
      const value = config[camelCase(key)];
      if (value === undefined) continue;
      out[key] =
        kind === 'int1'
          ? [value]
          : kind === 'activation'
            ? snakeCase(value as string)
            : kind === 'initializer'
              ? initializerToKeras(value as string)
              : value;
    }
  }
  return out;
}

function checkDtype(dtype: unknown, where: string): void {
  if (dtype === undefined || dtype === null) return;
  const name = typeof dtype === 'string' ? dtype : (dtype as { config?: { name?: unknown } }).config?.name;
  if (name !== 'float32') throw new Error(`${where}: dtype ${describeValue(name ?? dtype)} is not supported (only float32)`);
}

function unwrap1(value: unknown, key: string, where: string): unknown {
  if (typeof value === 'number') return value;
  if (Array.isArray(value) && value.length === 1) return value[0] as unknown;
  throw new Error(`${where}: option '${key}' must be one integer or a list of one, got ${describeValue(value)}`);
}

function activationFromKeras(value: unknown, key: string, where: string): unknown {
  // Keras 3 writes built-in activations by name; a serialized function object is a custom one.
  if (typeof value === 'string') return value;
  throw new Error(`${where}: option '${key}' is a custom activation (${describeValue(value)}); only built-in ones by name are supported`);
}

// Initializers only draw a layer's first weights, which a load replaces: Keras's that torchlet
// lacks (Orthogonal, TruncatedNormal ...) load as the layer's default.
function initializerFromKeras(value: unknown): unknown {
  const className = typeof value === 'string' ? value : (value as { class_name?: unknown } | null)?.class_name;
  if (typeof className !== 'string') return undefined;
  const name = camelCase(snakeCase(className));
  return INITIALIZER_CLASSES.has(name) ? name : undefined;
}

function initializerToKeras(name: string): Record<string, unknown> {
  const className = name[0].toUpperCase() + name.slice(1);
  return { module: 'keras.initializers', class_name: className, config: {}, registered_name: null };
}
