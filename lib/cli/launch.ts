// `torchlet launch`: torchrun for Node. It starts N processes of a script on this node with
// torchrun's environment (rank, world size, master address), prefixes their output lines with the
// rank, forwards the launcher's signals, and stops every rank when one fails.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import { freePort } from '../distributed/free-port.js';
import { UsageError } from './usage-error.js';

/** How long the ranks have to exit after SIGTERM (or a forwarded signal) before SIGKILL. */
export const GRACE_MS = 10_000;

// torchrun's default for a multi-node job, whose nodes must agree on the port without talking.
const MULTI_NODE_MASTER_PORT = 29500;

const LAUNCH_HELP = `Usage: torchlet launch --nproc N [options] script.js [script arguments...]

Starts N Node.js processes running script.js on this node, as torchrun does for Python scripts.
Their output lines come back prefixed with [rank R]; when one fails, the others are stopped.

Options (before the script; everything from the script on is passed to it untouched):
  --nproc N            processes to start on this node (required)
  --nnodes M           nodes in the job (default 1)
  --node-rank K        this node's index, 0 to M-1 (default 0)
  --master-addr HOST   the address of rank 0's node (default 127.0.0.1)
  --master-port PORT   its port (default: a free port when --nnodes is 1, else ${MULTI_NODE_MASTER_PORT})
  -h, --help           show this help

Each process gets MASTER_ADDR, MASTER_PORT, RANK (K * N + its local rank), WORLD_SIZE (M * N),
LOCAL_RANK, LOCAL_WORLD_SIZE (N) and GROUP_RANK (K). Unless TORCHLET_NUM_THREADS or
OMP_NUM_THREADS is set, TORCHLET_NUM_THREADS is set to the cores / N (at least 1), so that the N
processes do not oversubscribe the cores.

When a process exits non-zero or is killed, the others get SIGTERM, then SIGKILL ${GRACE_MS / 1000} s later,
and the launcher exits with that process's code (128 + the signal number if it was killed).
SIGINT (Ctrl-C), SIGTERM and SIGHUP are forwarded to every process, with the same SIGKILL later,
and the launcher exits with 128 + the signal number; a second one kills the processes at once.
`;

const VALUE_OPTIONS = ['--nproc', '--nnodes', '--node-rank', '--master-addr', '--master-port'] as const;
type ValueOption = (typeof VALUE_OPTIONS)[number];

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function integer(option: ValueOption, text: string, min: number, max = Number.MAX_SAFE_INTEGER, note = ''): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`${option} must be an integer ${range}${note}, got '${text}'`);
  }
  return value;
}

// The options end at the first argument that is not one: the script. parseArgs cannot stop there
// (it would take the script's own options as the launcher's), so they are read by hand.
function parseLaunchArgs(argv: string[]) {
  const values: Partial<Record<ValueOption, string>> = {};
  let help = false;
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    if (argv[i] === '--help' || argv[i] === '-h') {
      help = true;
      continue;
    }
    const equals = argv[i].indexOf('=');
    const name = equals < 0 ? argv[i] : argv[i].slice(0, equals);
    if (!(VALUE_OPTIONS as readonly string[]).includes(name))
      throw new UsageError(`Unknown option '${argv[i]}' (run torchlet launch --help)`);
    const value = equals < 0 ? argv.at(++i) : argv[i].slice(equals + 1);
    if (value === undefined) throw new UsageError(`${name} needs a value (run torchlet launch --help)`);
    values[name as ValueOption] = value;
  }
  if (help) return 'help';
  if (values['--nproc'] === undefined)
    throw new UsageError('--nproc is required: the number of processes to start (run torchlet launch --help)');
  const nproc = integer('--nproc', values['--nproc'], 1);
  const nnodes = values['--nnodes'] === undefined ? 1 : integer('--nnodes', values['--nnodes'], 1);
  const nodeRank =
    values['--node-rank'] === undefined ? 0 : integer('--node-rank', values['--node-rank'], 0, nnodes - 1, ` (--nnodes is ${nnodes})`);
  const masterPort = values['--master-port'] === undefined ? undefined : integer('--master-port', values['--master-port'], 1, 65535);
  const masterAddr = values['--master-addr'] ?? '127.0.0.1';
  if (masterAddr === '') throw new UsageError("--master-addr must name a host, got ''");
  const script = argv.at(i);
  if (script === undefined) throw new UsageError('no script to run (run torchlet launch --help)');
  if (!existsSync(script)) throw new UsageError(`script '${script}' not found`);
  return { nproc, nnodes, nodeRank, masterAddr, masterPort, script, scriptArgs: argv.slice(i + 1) };
}

type LaunchArgs = Exclude<ReturnType<typeof parseLaunchArgs>, 'help'>;

// A port free on the master address now (which must then be this machine's), so that concurrent
// single-node runs never pick the same one.
async function freePortAt(host: string): Promise<number> {
  try {
    return await freePort(host);
  } catch (error) {
    throw new UsageError(
      `--master-addr ${host}: cannot listen there to pick a free port (${(error as Error).message}); with --nnodes 1 it must be an address of this machine`,
    );
  }
}

// Copies a rank's output to `to`, each line prefixed with the rank. A partial line waits for its
// end (or the rank's exit), so that ranks writing at once never split each other's lines; '\r'
// stays inside its line, so a progress bar still redraws.
class PrefixedLines {
  private partial = '';
  constructor(
    private readonly prefix: string,
    private readonly to: NodeJS.WritableStream,
  ) {}

  write(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    if (lines.length > 0) this.to.write(lines.map((line) => `${this.prefix}${line}\n`).join(''));
  }

  flush(): void {
    if (this.partial !== '') this.to.write(`${this.prefix}${this.partial}\n`);
    this.partial = '';
  }
}

interface Rank {
  pid: number | undefined;
  // Until its process has exited and its output has ended: the group may still hold the pipes.
  live: boolean;
  finished: Promise<void>;
}

// Signals the rank's process group, so that the processes its script started go too, as they
// would with Ctrl-C in a terminal.
function signalGroup(rank: Rank, signal: NodeJS.Signals): void {
  if (rank.pid === undefined || !rank.live) return;
  try {
    process.kill(-rank.pid, signal);
  } catch {
    // Gone already.
  }
}

/** Runs `torchlet launch argv`; resolves to the exit code. `graceMs` replaces GRACE_MS (for tests). */
export async function launch(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  options: { graceMs?: number } = {},
): Promise<number> {
  const args = parseLaunchArgs(argv);
  if (args === 'help') {
    out.write(LAUNCH_HELP);
    return 0;
  }
  const masterPort = args.masterPort ?? (args.nnodes > 1 ? MULTI_NODE_MASTER_PORT : await freePortAt(args.masterAddr));
  const graceMs = options.graceMs ?? GRACE_MS;

  const ranks: Rank[] = [];
  // Set when the run starts stopping: the failed rank's code, or 128 + the launcher's signal.
  let exitCode: number | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const signalAll = (signal: NodeJS.Signals) => ranks.forEach((rank) => signalGroup(rank, signal));
  const killAll = () => signalAll('SIGKILL');
  const stopAll = (signal: NodeJS.Signals) => {
    signalAll(signal);
    signalAll('SIGCONT'); // a stopped process handles the signal only once continued
    killTimer ??= setTimeout(killAll, graceMs);
  };
  const fail = (code: number, message: string) => {
    // The ranks that exit once told to stop are not failures of their own.
    if (exitCode !== undefined) return;
    exitCode = code;
    err.write(`torchlet launch: ${message}; stopping the other ranks\n`);
    stopAll('SIGTERM');
  };
  // The children have process groups of their own, so a terminal's Ctrl-C reaches only the
  // launcher, which forwards it once. Another signal while stopping does not wait for the grace.
  const onSignal = (signal: NodeJS.Signals) => {
    if (exitCode !== undefined) {
      killAll();
      return;
    }
    exitCode = 128 + constants.signals[signal];
    stopAll(signal);
  };

  const start = (localRank: number): Rank => {
    const env = rankEnv(args, masterPort, localRank);
    const globalRank = env.RANK;
    const child = spawn(process.execPath, [args.script, ...args.scriptArgs], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout = new PrefixedLines(`[rank ${globalRank}] `, out);
    const stderr = new PrefixedLines(`[rank ${globalRank}] `, err);
    child.stdout.setEncoding('utf8').on('data', (text: string) => stdout.write(text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => stderr.write(text));
    child.on('exit', (code, signal) => {
      if (signal !== null) fail(128 + constants.signals[signal], `rank ${globalRank} (pid ${child.pid}) was killed by ${signal}`);
      else if (code !== null && code !== 0) fail(code, `rank ${globalRank} (pid ${child.pid}) exited with code ${code}`);
    });
    const rank: Rank = {
      pid: child.pid,
      live: true,
      finished: new Promise((resolve) => {
        const finish = () => {
          rank.live = false;
          stdout.flush();
          stderr.flush();
          resolve();
        };
        child.on('close', finish);
        // Only spawning can fail this way: the ranks are signalled with process.kill, not child.kill.
        child.on('error', (error) => {
          fail(1, `cannot start rank ${globalRank} (${process.execPath} ${args.script}): ${error.message}`);
          finish();
        });
      }),
    };
    return rank;
  };

  process.on('exit', killAll); // nothing is left running if the launcher's own process exits first
  for (const signal of FORWARDED_SIGNALS) process.on(signal, onSignal);
  try {
    for (let localRank = 0; localRank < args.nproc; localRank++) ranks.push(start(localRank));
    await Promise.all(ranks.map((rank) => rank.finished));
  } finally {
    clearTimeout(killTimer);
    killAll(); // the ranks already started, should starting another have thrown
    process.off('exit', killAll);
    for (const signal of FORWARDED_SIGNALS) process.off(signal, onSignal);
  }
  return exitCode ?? 0;
}

// torchrun's environment for one process, and its share of the cores.
function rankEnv(args: LaunchArgs, masterPort: number, localRank: number): Record<string, string> {
  const env: Record<string, string> = {
    MASTER_ADDR: args.masterAddr,
    MASTER_PORT: String(masterPort),
    RANK: String(args.nodeRank * args.nproc + localRank),
    WORLD_SIZE: String(args.nnodes * args.nproc),
    LOCAL_RANK: String(localRank),
    LOCAL_WORLD_SIZE: String(args.nproc),
    GROUP_RANK: String(args.nodeRank),
  };
  // torchlet reads either; a user's choice stands.
  if (process.env.TORCHLET_NUM_THREADS === undefined && process.env.OMP_NUM_THREADS === undefined)
    env.TORCHLET_NUM_THREADS = String(Math.max(1, Math.floor(availableParallelism() / args.nproc)));
  return env;
}
