// The training step as a CUDA graph (compile({ cudaGraph: true })): a few eager warm-up steps on
// a side stream, one capture of the whole step (forward, loss, backward, optimizer, metric sums)
// reading from static input buffers, then a replay per batch, after copying the batch into the
// buffers. A batch of another size (the last, partial one) runs eagerly. Changing the learning
// rate triggers a new capture, since the graph holds it as a constant.
import { inputsOf, targetsOf, type Batch } from '../data/dataset.js';
import { keep, tidy } from '../memory.js';
import { native, type GraphHandle } from '../native.js';
import type { Tensor } from '../tensor.js';
import type { Meter } from './meter.js';
import type { Compiled } from './compiled.js';
import type { TrainingModel } from './model-api.js';
import { trainStep } from './step.js';

// torch.cuda.graph's advice: let cuBLAS, cuDNN and the autograd engine set themselves up first.
const WARMUP_STEPS = 3;

export class GraphStep {
  readonly #graph: GraphHandle;
  // The static buffers: every input of the batch, then every output's targets.
  #buffers: { inputs: Tensor[]; targets: Tensor[] } | null = null;
  #batchSize = 0;
  #warmups = 0;
  #learningRate = Number.NaN;

  constructor(
    private readonly model: TrainingModel,
    private readonly compiled: Compiled,
    private readonly meter: Meter,
  ) {
    this.#graph = native.cudaGraph(model.device);
  }

  /** Trains on one batch: eagerly while warming up or for an odd-sized batch, else by replay. */
  run(batch: Batch): void {
    const n = batch.y.shape[0];
    this.#batchSize ||= n;
    if (n !== this.#batchSize) return trainStep(this.model, this.compiled, batch, this.meter);
    if (this.#warmups < WARMUP_STEPS) {
      native.cudaGraphEnterSideStream(this.#graph);
      try {
        trainStep(this.model, this.compiled, batch, this.meter);
      } finally {
        native.cudaGraphLeaveSideStream(this.#graph);
      }
      this.#warmups++;
      return;
    }
    if (!this.#buffers || this.compiled.optimizer.learningRate !== this.#learningRate) this.capture(batch);
    const { inputs, targets } = this.#buffers!;
    inputsOf(batch).forEach((t, k) => inputs[k].assign(t));
    targetsOf(batch).forEach((t, k) => targets[k].assign(t));
    native.cudaGraphReplay(this.#graph);
    this.meter.count(n);
  }

  // Records the step once; capture only records, so the batch is then trained on by a replay.
  private capture(batch: Batch): void {
    native.cudaGraphReset(this.#graph);
    // Static inputs with the batch's layout (clone keeps its channels-last strides).
    const clone = (t: Tensor) => keep(t.clone());
    this.#buffers ??= { inputs: inputsOf(batch).map(clone), targets: targetsOf(batch).map(clone) };
    this.#learningRate = this.compiled.optimizer.learningRate;
    const { inputs, targets } = this.#buffers;
    const buffered: Batch = { x: inputs[0], y: targets[0], inputs, targets };
    if (this.compiled.mixedPrecision) native.setAutocastCache(false);
    native.cudaGraphBeginCapture(this.#graph);
    let captured = false;
    try {
      tidy(() => trainStep(this.model, this.compiled, buffered, this.meter, false));
      captured = true;
    } finally {
      native.cudaGraphEndCapture(this.#graph, captured);
      if (this.compiled.mixedPrecision) native.setAutocastCache(true);
    }
  }

  /** Frees the graph and its input buffers. */
  dispose(): void {
    native.cudaGraphReset(this.#graph);
    this.#buffers?.inputs.forEach((t) => t.dispose());
    this.#buffers?.targets.forEach((t) => t.dispose());
  }
}
