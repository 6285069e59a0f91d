// What memory() reports: its own file, since the native addon's typed interface returns most of it.

/** What {@link memory} reports. */
export interface MemoryInfo {
  /** Live tensors held from JS (including ones not yet garbage-collected). */
  tensors: number;
  /** Bytes of the distinct storages those tensors hold, on all devices (views are not counted twice). */
  bytes: number;
  /** Of which on the CPU (reported to V8 as external memory, so that its GC sees them). */
  hostBytes: number;
  /** V8's count of external memory for this isolate, which includes hostBytes. */
  v8ExternalBytes: number;
  /** Tensors of optimizer state (moment buffers, momentum) held natively by live optimizers, all threads. */
  optimizerStateTensors: number;
  /** The bytes they hold. */
  optimizerStateBytes: number;
  /**
   * Freed CPU tensor memory that torchlet keeps to hand out again (large blocks, by size, up to
   * 512 MiB), so that a training loop neither fragments malloc's heap nor faults its memory in
   * each step; emptyCache() gives it back.
   */
  hostCachedBytes: number;
  /** The CUDA caching allocator's figures for the current GPU, when CUDA is available. */
  cuda?: { allocated: number; peakAllocated: number; reserved: number };
}
