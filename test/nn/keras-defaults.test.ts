// The defaults of Conv2DTranspose, LSTM and GRU against Keras's own get_config() for the same
// required arguments (scripts/keras-reference/layer_defaults.py): every Keras argument is either
// in torchlet's config with Keras's value, or one torchlet does not take (regularizers,
// constraints, data layouts) whose Keras default is the neutral one.
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { loadKerasReference } from '../helpers/reference.js';

const defaults = loadKerasReference('layer_defaults') as unknown as Record<string, Record<string, unknown>>;
const required: Record<string, object> = {
  Conv2DTranspose: { filters: 4, kernelSize: 3 },
  LSTM: { units: 4 },
  GRU: { units: 4 },
};
// Keras arguments torchlet does not take, with the only value it would accept: Keras's default.
const NOT_TAKEN: Record<string, unknown> = {
  kernel_regularizer: null,
  recurrent_regularizer: null,
  bias_regularizer: null,
  activity_regularizer: null,
  kernel_constraint: null,
  recurrent_constraint: null,
  bias_constraint: null,
  data_format: 'channels_last',
  unroll: false,
  zero_output_for_mask: false,
};
const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
// Keras writes initializers by class name (GlorotUniform), torchlet by camelCase name.
const plain = (value: unknown) =>
  typeof value === 'string' && /^[A-Z][a-z]+[A-Z]?/.test(value) ? value[0].toLowerCase() + value.slice(1) : value;

describe("Conv2DTranspose, LSTM and GRU have Keras's defaults", () => {
  it('covers every layer of the fixture', () => {
    expect(Object.keys(defaults).sort()).toEqual(Object.keys(required).sort());
  });
  for (const [className, keras] of Object.entries(defaults)) {
    it(className, () => {
      const Class = (tl.layers as unknown as Record<string, new (args: object) => tl.Layer>)[className];
      const config = new Class(required[className]).getConfig();
      for (const [key, value] of Object.entries(keras)) {
        if (key in NOT_TAKEN) expect([key, value]).toEqual([key, NOT_TAKEN[key]]);
        else expect([key, config[camel(key)]]).toEqual([key, plain(value)]);
      }
    });
  }
});
