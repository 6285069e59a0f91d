// ResNet-20 for CIFAR-10 (He et al., "Deep Residual Learning for Image Recognition", 2016, §4.2),
// written with the functional API as a user would write it: the example of README's "Functional
// API", and `torchlet train-cifar10 --model resnet20`.
import { input, layers, type SymbolicTensor } from '../nn/index.js';
import { model, type Functional } from './functional.js';

// conv 3x3 (no bias: batch norm follows) → batch norm, then ReLU unless it is the block's last.
function convBn(x: SymbolicTensor, filters: number, strides: number, relu: boolean): SymbolicTensor {
  const conv = layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false, kernelInitializer: 'heNormal' });
  const y = layers.batchNormalization().apply(conv.apply(x));
  return relu ? layers.relu().apply(y) : y;
}

// Two 3x3 convolutions and the shortcut around them; where the block halves the image and
// doubles the filters, the shortcut is a strided 1x1 convolution with batch norm (the paper's option B).
function residualBlock(x: SymbolicTensor, filters: number, strides: number): SymbolicTensor {
  const y = convBn(convBn(x, filters, strides, true), filters, 1, false);
  const shortcut =
    strides === 1
      ? x
      : layers
          .batchNormalization()
          .apply(layers.conv2d({ filters, kernelSize: 1, strides, useBias: false, kernelInitializer: 'heNormal' }).apply(x));
  return layers.relu().apply(layers.add([shortcut, y]));
}

/**
 * ResNet-20: a 3x3 convolution of 16 filters, three stages of three residual blocks (16, 32 and 64
 * filters; the last two stages start by halving the image), global average pooling and a 10-way
 * softmax, for [32, 32, 3] images: 19 convolutions + 2 projection shortcuts + the dense layer,
 * 274,042 parameters (of which 1,568 are batch-norm statistics). Not compiled.
 */
export function resnet20(): Functional {
  const images = input({ shape: [32, 32, 3] });
  let x = convBn(images, 16, 1, true);
  for (const [stage, filters] of [16, 32, 64].entries()) {
    for (let block = 0; block < 3; block++) x = residualBlock(x, filters, stage > 0 && block === 0 ? 2 : 1);
  }
  const outputs = layers.dense({ units: 10, activation: 'softmax' }).apply(layers.globalAveragePooling2d().apply(x));
  return model({ inputs: images, outputs, name: 'resnet20' });
}
