// ResNet-20 for CIFAR-10 (He et al., "Deep Residual Learning for Image Recognition", 2016, §4.2),
// written with the functional API as a user would write it: the example of README's "Functional
// API", and `torchlet train-cifar10 --model resnet20`. Layers are named as in keras.applications'
// ResNets (conv2_block1_1_conv: stage 2, block 1, first convolution).
import { input, layers, type SymbolicTensor } from '../nn/index.js';
import type { Tensor } from '../tensor.js';
import { model, type Functional } from './functional.js';

// conv (no bias: batch norm follows) → batch norm, then ReLU unless it is the block's last.
function convBn(x: SymbolicTensor, name: string, filters: number, kernelSize: number, strides: number, relu: boolean): SymbolicTensor {
  const conv = layers.conv2d({
    name: `${name}_conv`,
    filters,
    kernelSize,
    strides,
    padding: 'same',
    useBias: false,
    kernelInitializer: 'heNormal',
  });
  const y = layers.batchNormalization({ name: `${name}_bn` }).apply(conv.apply(x));
  return relu ? layers.relu({ name: `${name}_relu` }).apply(y) : y;
}

// Two 3x3 convolutions and the shortcut around them; where the block halves the image and
// doubles the filters, the shortcut is a strided 1x1 convolution with batch norm (the paper's option B).
function residualBlock(x: SymbolicTensor, name: string, filters: number, strides: number): SymbolicTensor {
  const shortcut = strides === 1 ? x : convBn(x, `${name}_0`, filters, 1, strides, false);
  const y = convBn(convBn(x, `${name}_1`, filters, 3, strides, true), `${name}_2`, filters, 3, 1, false);
  return layers.relu({ name: `${name}_out` }).apply(layers.add([shortcut, y], { name: `${name}_add` }));
}

/**
 * ResNet-20: a 3x3 convolution of 16 filters, three stages of three residual blocks (16, 32 and 64
 * filters; the last two stages start by halving the image), global average pooling and a 10-way
 * softmax, for [32, 32, 3] images: 19 convolutions + 2 projection shortcuts + the dense layer,
 * 274,042 parameters (of which 1,568 are batch-norm statistics). Not compiled.
 */
export function resnet20(): Functional<Tensor> {
  const images = input({ shape: [32, 32, 3], name: 'images' });
  let x = convBn(images, 'conv1', 16, 3, 1, true);
  [16, 32, 64].forEach((filters, stage) => {
    for (let block = 1; block <= 3; block++)
      x = residualBlock(x, `conv${stage + 2}_block${block}`, filters, stage > 0 && block === 1 ? 2 : 1);
  });
  const pooled = layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x);
  const outputs = layers.dense({ name: 'predictions', units: 10, activation: 'softmax' }).apply(pooled);
  return model({ inputs: images, outputs, name: 'resnet20' });
}
