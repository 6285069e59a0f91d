// Devices, threads and what the loaded libtorch can do.
import { loadedAddon, native } from './native.js';
import type { Device } from './tensor.js';
import { renamingErrors } from './arguments.js';

/** CUDA queries. Device arguments default to the current GPU. */
export const cuda = {
  /** True when this libtorch has CUDA and a GPU is visible. */
  isAvailable(): boolean {
    return native.cudaIsAvailable();
  },
  /** The number of visible GPUs (0 without CUDA). */
  deviceCount(): number {
    return native.cudaDeviceCount();
  },
  /** Waits for all queued work on the GPU; a no-op without CUDA. */
  synchronize(): void {
    if (native.cudaIsAvailable()) native.synchronize('cuda');
  },
  /** The CUDA caching allocator's bytes: allocated now, peak allocated, reserved. */
  memory(device: Device = 'cuda'): { allocated: number; peakAllocated: number; reserved: number } {
    return native.cudaMemory(device) as { allocated: number; peakAllocated: number; reserved: number };
  },
  /** Restarts the peak-allocated count. */
  resetPeakMemory(device: Device = 'cuda'): void {
    native.cudaResetPeakMemory(device);
  },
};

/**
 * A device string in the form tensors report ('cuda' becomes 'cuda:0'). Throws a clear error,
 * prefixed with `owner`, for an unknown or unavailable device.
 */
export function normalizeDevice(device: Device, owner = 'normalizeDevice'): Device {
  const api = typeof owner === 'string' && owner !== '' ? owner : 'normalizeDevice';
  return renamingErrors('checkDevice', api, () => native.checkDevice(device) as Device);
}

/** 'cuda' when a GPU is available, else 'cpu': where models train by default. */
export function defaultDevice(): Device {
  return native.cudaIsAvailable() ? 'cuda' : 'cpu';
}

/**
 * Sets the intra-op thread count of this thread's compute thread, where model steps run (default:
 * $TORCHLET_NUM_THREADS, or an equal share of the cores among the Node.js threads that loaded
 * torchlet). Tensor ops called from JS run on the JS thread, on one core.
 */
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}

/** The intra-op thread count of this thread's compute thread. */
export function getNumThreads(): number {
  return native.getNumThreads();
}

/** What the loaded addon was built against and what it can use. */
export interface BackendInfo {
  /** libtorch version the addon was compiled against. */
  torchVersion: string;
  /** Where the build found libtorch: 'LIBTORCH', 'python' or 'system'. */
  libtorchSource: string;
  /** Which build of the addon is loaded: a build from source (npm run build / npm rebuild) or a prebuild, and its file. */
  addon: 'source build' | 'prebuild';
  addonPath: string;
  /** Whether the addon was built against a CUDA libtorch. */
  cudaBuild: boolean;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  /** Whether libtorch has oneDNN (MKL-DNN), and its version ('' when unknown). */
  mkldnn: boolean;
  onednnVersion: string;
  /** Whether libtorch has oneDNN's fused convolution (2.x), which Conv2D with ReLU uses on the CPU. */
  fusedConvolution: boolean;
  /** Whether Adam's CPU step runs libtorch's fused kernel (2.4 and later; before, foreach ops). CUDA always does. */
  fusedAdam: boolean;
  /** Whether libtorch has Intel MKL, and its version ('' when unknown). */
  mkl: boolean;
  mklVersion: string;
  threads: number;
  /** 'caching': CPU tensors of 64 KiB and more come from torchlet's caching allocator; 'malloc' in sanitizer builds. */
  hostAllocator: 'caching' | 'malloc';
}

/** Describes the loaded libtorch. */
export function backendInfo(): BackendInfo {
  const info = native.buildInfo();
  return {
    torchVersion: info.torchVersion,
    libtorchSource: info.libtorchSource,
    addon: loadedAddon.kind,
    addonPath: loadedAddon.path,
    cudaBuild: info.cudaBuild,
    cudaAvailable: native.cudaIsAvailable(),
    cudaDeviceCount: native.cudaDeviceCount(),
    mkldnn: info.mkldnn,
    onednnVersion: /MKL-DNN v([\d.]+)/.exec(info.parallelInfo)?.[1] ?? '',
    fusedConvolution: info.fusedConvolution,
    fusedAdam: info.fusedAdam,
    mkl: info.mkl,
    mklVersion: /Math Kernel Library Version ([\d.]+)/.exec(info.parallelInfo)?.[1] ?? '',
    threads: native.getNumThreads(),
    hostAllocator: native.hostAllocator(),
  };
}
