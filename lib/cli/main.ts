// The `torchlet` command: dispatches to its subcommands and turns every error into one line on
// stderr and a non-zero exit code.
import { createRequire } from 'node:module';
import { UsageError } from './usage-error.js';

const HELP = `Usage: torchlet <command> [options]

Commands:
  train-cifar10   train the reference CNN on CIFAR-10 (or on a synthetic CIFAR-format set)
  doctor          report the libtorch found, the addon loaded, CUDA, threads, MKL and oneDNN
  launch          start N processes of a script with torchrun's environment (RANK, WORLD_SIZE, ...)

Run \`torchlet <command> --help\` for a command's options.
`;

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const command = argv.at(0);
  const rest = argv.slice(1);
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      out.write(HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version') {
      const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
      out.write(`${version}\n`);
      return 0;
    }
    // Loaded on demand, so that --help works even where the native addon cannot load.
    if (command === 'train-cifar10') return await (await import('./train-cifar10.js')).trainCifar10(rest, out);
    if (command === 'doctor') return await (await import('./doctor.js')).doctor(rest, out);
    if (command === 'launch') return await (await import('./launch.js')).launch(rest, out, err);
    throw new UsageError(`unknown command '${command}' (run torchlet --help)`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    err.write(`torchlet: ${message.split('\n')[0]}\n`);
    // The rest of a multi-line message (the fixes for a missing libtorch, say) follows, indented.
    for (const line of message.split('\n').slice(1)) err.write(`  ${line}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
