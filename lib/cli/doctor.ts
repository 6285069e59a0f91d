// `torchlet doctor`: says which libtorch torchlet finds and where, which addon build it loads
// (a prebuild or a build from source) and against which libraries, CUDA and the GPUs, threads,
// MKL and oneDNN. Without a usable libtorch it prints the exact commands that fix it.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeLibtorch, locateLibtorch, LibtorchNotFoundError, type Libtorch } from '../libtorch.js';
import { UsageError } from './usage-error.js';

export const DOCTOR_HELP = `Usage: torchlet doctor [--json]

Reports the libtorch torchlet finds, the native addon it loads, CUDA and GPU visibility,
threads, MKL and oneDNN. Exits with 1 when the addon cannot load, and prints how to fix it.

Options:
  --json      print the report as JSON
  -h, --help  show this help
`;

/** What `torchlet doctor` found. */
export interface DoctorReport {
  /** The libtorch the search finds now, or why none was found. */
  libtorch: Libtorch | { error: string; notFound: boolean };
  /** The addon that loaded, or why it did not. */
  addon:
    | {
        kind: 'source build' | 'prebuild';
        path: string;
        builtFor: Libtorch | null;
        /** The libtorch libraries this process actually mapped. */
        libraries: string[];
        torchVersion: string;
        cudaBuild: boolean;
        cudaAvailable: boolean;
        cudaDeviceCount: number;
        threads: number;
        mkl: string | false;
        onednn: string | false;
      }
    | { error: string };
}

const FIX_COMMANDS = `Fix it with one of these, then run \`npm rebuild torchlet\`:
  python3 -m venv .venv && .venv/bin/pip install torch     # PyTorch from pip (CPU only: add --index-url https://download.pytorch.org/whl/cpu)
  sudo apt-get install libtorch-dev                         # Debian and Ubuntu
  export LIBTORCH=/path/to/libtorch                         # a libtorch unpacked from pytorch.org`;

/** Gathers the report; never throws for a missing libtorch or addon. */
export async function doctorReport(): Promise<DoctorReport> {
  let libtorch: DoctorReport['libtorch'];
  try {
    libtorch = locateLibtorch();
  } catch (error) {
    libtorch = { error: (error as Error).message, notFound: error instanceof LibtorchNotFoundError };
  }
  let addon: DoctorReport['addon'];
  try {
    const { loadedAddon } = await import('../native.js');
    const { backendInfo } = await import('../device.js');
    const info = backendInfo();
    addon = {
      kind: loadedAddon.kind,
      path: loadedAddon.path,
      builtFor: loadedAddon.libtorch,
      libraries: mappedLibraries(),
      torchVersion: info.torchVersion,
      cudaBuild: info.cudaBuild,
      cudaAvailable: info.cudaAvailable,
      cudaDeviceCount: info.cudaDeviceCount,
      threads: info.threads,
      mkl: info.mkl && (info.mklVersion || 'yes'),
      onednn: info.mkldnn && (info.onednnVersion || 'yes'),
    };
  } catch (error) {
    addon = { error: (error as Error).message };
  }
  return { libtorch, addon };
}

// The libtorch libraries mapped into this process (Linux), so that a mix-up between two installed
// libtorches shows.
function mappedLibraries(): string[] {
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    const paths = maps
      .split('\n')
      .map((line) => line.slice(line.indexOf('/')))
      .filter((p) => /\/lib(torch|c10)[\w]*\.so/.test(p));
    return [...new Set(paths)];
  } catch {
    return [];
  }
}

/** Runs `torchlet doctor`; resolves to the exit code. */
export async function doctor(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  let json: boolean | undefined;
  try {
    ({ json } = parseArgs({
      args: argv,
      strict: true,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }).values);
    if (argv.includes('--help') || argv.includes('-h')) {
      out.write(DOCTOR_HELP);
      return 0;
    }
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]} (run torchlet doctor --help)`);
  }
  const report = await doctorReport();
  const loaded = !('error' in report.addon);
  if (json) {
    out.write(JSON.stringify(report, null, 2) + '\n');
    return loaded ? 0 : 1;
  }
  const lines: string[] = [];
  if ('error' in report.libtorch) {
    lines.push('libtorch:  none found', ...indent(report.libtorch.error));
  } else {
    lines.push(`libtorch:  ${describeLibtorch(report.libtorch)}`);
    if (report.libtorch.python) lines.push(`           the PyTorch of ${report.libtorch.python}`);
  }
  const a = report.addon;
  if ('error' in a) {
    lines.push('addon:     does not load', ...indent(a.error));
  } else {
    lines.push(`addon:     ${a.kind} ${a.path}`);
    if (a.builtFor) lines.push(`           for ${describeLibtorch(a.builtFor)}`);
    lines.push(
      `           compiled against libtorch ${a.torchVersion}; loaded:`,
      ...(a.libraries.length > 0 ? a.libraries : ['(library paths unknown)']).map((l) => `             ${l}`),
    );
    lines.push(
      `cuda:      ${a.cudaBuild ? 'CUDA build' : 'CPU-only build'}; ${a.cudaDeviceCount} GPU(s) visible${a.cudaBuild && !a.cudaAvailable ? ' (models train on the CPU)' : ''}`,
    );
    lines.push(`threads:   ${a.threads} (TORCHLET_NUM_THREADS sets them)`);
    lines.push(`mkl:       ${a.mkl === false ? 'no' : a.mkl}`);
    lines.push(`onednn:    ${a.onednn === false ? 'no' : a.onednn}`);
    if (a.builtFor && !('error' in report.libtorch) && a.builtFor.libDir !== report.libtorch.libDir) {
      lines.push(
        'note:      the addon was built for another libtorch than the one found now, and keeps using the one it was built for;',
        '           `npm run build` (or `npm rebuild torchlet`) builds it for the one found now',
      );
    }
  }
  if ('error' in report.libtorch && report.libtorch.notFound) lines.push('', FIX_COMMANDS);
  else if (!loaded) lines.push('', 'The addon does not load: the message above says why and how to fix it.');
  out.write(lines.join('\n') + '\n');
  return loaded ? 0 : 1;
}

function indent(text: string): string[] {
  return text.split('\n').map((line) => `           ${line}`);
}
