// tl.datasets: the data sets torchlet can load.
export * as cifar10 from './cifar10.js';
