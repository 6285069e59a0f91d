// A first look at torchlet: which libtorch it loaded, and a little tensor math.
import * as tl from 'torchlet';

const info = tl.backendInfo();
console.log(`torchlet on libtorch ${info.torchVersion} (${info.libtorchSource}), ${info.threads} threads, CUDA: ${info.cudaAvailable}`);
const x = tl.tensor([[1, 2], [3, 4]]);
const w = tl.randn([2, 3]);
console.log('x @ w =', x.matmul(w).toString());
console.log('memory:', tl.memory());
