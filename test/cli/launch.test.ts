import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { capture } from '../helpers/capture.js';
import { launch } from '../../lib/cli/launch.js';
import { main } from '../../lib/cli/main.js';
import { processAlive } from '../../lib/process-alive.js';

const root = join(import.meta.dirname, '..', '..');

async function run(argv: string[], graceMs?: number): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await launch(argv, out, err, { graceMs });
  return { code, out: out.text, err: err.text };
}

// Each line as [rank, text], checking that every line has a rank prefix.
function rankLines(text: string): [number, string][] {
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => {
      const match = /^\[rank (\d+)\] (.*)$/s.exec(line);
      expect(match, line).not.toBeNull();
      return [Number(match![1]), match![2]];
    });
}

// Whether every pid is gone within 2 s: a process's exit is seen a moment after its pipes close.
async function allGone(pids: number[]): Promise<boolean> {
  const deadline = Date.now() + 2000;
  while (!pids.every((pid) => !processAlive(pid))) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// The pids the ranks of a role.mjs run wrote into their ready files, once they all have.
async function readyPids(dir: string, ranks: number[]): Promise<number[]> {
  const files = ranks.map((rank) => join(dir, `ready-${rank}`));
  // A file may exist before its pid is written in it (a busy machine read one empty: pid 0).
  const pidIn = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0);
  await waitFor(() => files.every((file) => pidIn(file) > 0), 'the ranks to be ready');
  return files.map(pidIn);
}

// The state letter of /proc/PID/stat: 'T' for a stopped process.
function processState(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0];
}

let scripts: string;
let envScript: string;
let roleScript: string;

beforeAll(() => {
  scripts = mkdtempSync(join(tmpdir(), 'launch-scripts-'));
  envScript = join(scripts, 'env.mjs');
  writeFileSync(
    envScript,
    `const e = process.env;
const names = ['RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'LOCAL_WORLD_SIZE', 'GROUP_RANK', 'MASTER_ADDR', 'MASTER_PORT', 'TORCHLET_NUM_THREADS'];
console.log(JSON.stringify({ ...Object.fromEntries(names.map((name) => [name, e[name]])), cwd: process.cwd(), args: process.argv.slice(2) }));
console.error('stderr of ' + e.RANK);
`,
  );
  // node role.mjs DIR ROLE_OF_RANK_0 ROLE_OF_RANK_1 ...: each rank writes DIR/ready-RANK (its pid)
  // once set up, then plays its role; 'fail:N' exits with N once the file DIR/go exists.
  roleScript = join(scripts, 'role.mjs');
  writeFileSync(
    roleScript,
    `import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const [dir, ...roles] = process.argv.slice(2);
const rank = Number(process.env.RANK);
const role = roles[rank];
if (role.startsWith('fail:')) {
  setInterval(() => existsSync(join(dir, 'go')) && process.exit(Number(role.slice(5))), 10);
} else {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    if (role === 'polite') process.on(signal, () => { console.log('got ' + signal); process.exit(0); });
    if (role === 'stubborn') process.on(signal, () => console.log('got ' + signal));
  }
  setInterval(() => {}, 1000);
  writeFileSync(join(dir, 'ready-' + rank), String(process.pid));
  if (role === 'stop-self') process.kill(process.pid, 'SIGSTOP');
}
`,
  );
});

describe('torchlet launch', () => {
  it('starts N ranks with torchrun environment, prefixes their lines and passes the script its arguments untouched', async () => {
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'] as const;
    const listeners = signals.map((signal) => process.listenerCount(signal));
    const scriptArgs = ['--nproc', '7', '--', 'with space', '', '-h'];
    const { code, out, err } = await run(['--nproc', '3', envScript, ...scriptArgs]);
    expect(code).toBe(0);
    const lines = rankLines(out);
    expect(lines.map(([rank]) => rank).sort()).toEqual([0, 1, 2]);
    const ports = new Set<string>();
    for (const [rank, text] of lines) {
      const seen = JSON.parse(text);
      expect(seen).toMatchObject({
        RANK: String(rank),
        WORLD_SIZE: '3',
        LOCAL_RANK: String(rank),
        LOCAL_WORLD_SIZE: '3',
        GROUP_RANK: '0',
        MASTER_ADDR: '127.0.0.1',
        cwd: process.cwd(),
        args: scriptArgs,
      });
      ports.add(seen.MASTER_PORT);
    }
    expect(ports.size).toBe(1);
    const port = Number([...ports][0]);
    expect(Number.isInteger(port) && port >= 1 && port <= 65535).toBe(true);
    expect(rankLines(err).sort()).toEqual([
      [0, 'stderr of 0'],
      [1, 'stderr of 1'],
      [2, 'stderr of 2'],
    ]);
    expect(signals.map((signal) => process.listenerCount(signal))).toEqual(listeners);
  });

  it('numbers the ranks of a node after those of the nodes before it', async () => {
    const { code, out } = await run(['--nnodes', '2', '--node-rank', '1', '--nproc', '2', '--master-port', '29999', envScript]);
    expect(code).toBe(0);
    const seen = rankLines(out)
      .map(([rank, text]) => ({ rank, ...JSON.parse(text) }))
      .sort((a, b) => a.rank - b.rank);
    expect(seen).toMatchObject([
      { rank: 2, RANK: '2', LOCAL_RANK: '0', WORLD_SIZE: '4', LOCAL_WORLD_SIZE: '2', GROUP_RANK: '1', MASTER_PORT: '29999' },
      { rank: 3, RANK: '3', LOCAL_RANK: '1', WORLD_SIZE: '4', LOCAL_WORLD_SIZE: '2', GROUP_RANK: '1', MASTER_PORT: '29999' },
    ]);
    // Nodes must agree on the port without talking: torchrun's default, not a free one.
    const first = await run(['--nnodes', '2', '--nproc', '1', '--master-addr', 'node0.example', envScript]);
    expect(JSON.parse(rankLines(first.out)[0][1])).toMatchObject({
      RANK: '0',
      WORLD_SIZE: '2',
      MASTER_ADDR: 'node0.example',
      MASTER_PORT: '29500',
    });
  });

  it("gives each rank a share of the cores, unless the user's environment sets the threads", async () => {
    const saved = { TORCHLET_NUM_THREADS: process.env.TORCHLET_NUM_THREADS, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS };
    const threads = async () => JSON.parse(rankLines((await run(['--nproc', '2', envScript])).out)[0][1]).TORCHLET_NUM_THREADS;
    try {
      delete process.env.TORCHLET_NUM_THREADS;
      delete process.env.OMP_NUM_THREADS;
      expect(await threads()).toBe(String(Math.max(1, Math.floor(availableParallelism() / 2))));
      process.env.TORCHLET_NUM_THREADS = '3';
      expect(await threads()).toBe('3');
      delete process.env.TORCHLET_NUM_THREADS;
      process.env.OMP_NUM_THREADS = '5';
      expect(await threads()).toBeUndefined();
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("a failing rank stops the others with SIGTERM and its code is the launcher's", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'launch-'));
    const started = performance.now();
    const running = run(['--nproc', '3', roleScript, dir, 'sleep', 'fail:3', 'sleep'], 5000);
    const [pid0, pid2] = await readyPids(dir, [0, 2]);
    writeFileSync(join(dir, 'go'), '');
    const { code, err } = await running;
    expect(code).toBe(3);
    expect(err).toMatch(/^torchlet launch: rank 1 \(pid \d+\) exited with code 3; stopping the other ranks\n$/);
    expect(await allGone([pid0, pid2])).toBe(true);
    // SIGTERM ended them: the SIGKILL after the grace period was not needed.
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('SIGKILLs a rank that ignores SIGTERM after the grace period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'launch-'));
    const started = performance.now();
    const running = run(['--nproc', '2', roleScript, dir, 'stubborn', 'fail:5'], 1000);
    const [pid] = await readyPids(dir, [0]);
    writeFileSync(join(dir, 'go'), '');
    const { code, out, err } = await running;
    expect(code).toBe(5);
    expect(out).toBe('[rank 0] got SIGTERM\n');
    // Only the failure is reported, not the SIGKILL that ended rank 0.
    expect(err).toMatch(/^torchlet launch: rank 1 \(pid \d+\) exited with code 5; stopping the other ranks\n$/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(await allGone([pid])).toBe(true);
  });

  it('continues a stopped rank, so that it ends on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'launch-'));
    const running = run(['--nproc', '2', roleScript, dir, 'stop-self', 'fail:4'], 5000);
    const [pid] = await readyPids(dir, [0]);
    await waitFor(() => processState(pid) === 'T', 'rank 0 to stop itself');
    const started = performance.now();
    writeFileSync(join(dir, 'go'), '');
    const { code, err } = await running;
    expect(code).toBe(4);
    expect(err).toContain('rank 1 (pid ');
    expect(await allGone([pid])).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('reports a rank killed by a signal with 128 + its number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'launch-'));
    const running = run(['--nproc', '2', roleScript, dir, 'sleep', 'sleep'], 300);
    const [pid0, pid1] = await readyPids(dir, [0, 1]);
    process.kill(pid1, 'SIGKILL');
    const { code, err } = await running;
    expect(code).toBe(128 + 9);
    expect(err).toBe(`torchlet launch: rank 1 (pid ${pid1}) was killed by SIGKILL; stopping the other ranks\n`);
    expect(await allGone([pid0])).toBe(true);
  });

  it('names the rank it could not start, and stops the others', async () => {
    const execPath = process.execPath;
    process.execPath = join(scripts, 'no-such-node');
    try {
      const { code, err } = await run(['--nproc', '2', envScript]);
      expect(code).toBe(1);
      expect(err).toBe(
        `torchlet launch: cannot start rank 0 (${process.execPath} ${envScript}): spawn ${process.execPath} ENOENT; stopping the other ranks\n`,
      );
    } finally {
      process.execPath = execPath;
    }
  });

  it('keeps a partial line until its end, or the exit, and leaves carriage returns inside their line', async () => {
    const script = join(scripts, 'partial.mjs');
    writeFileSync(
      script,
      `const later = (write) => new Promise((resolve) => setTimeout(() => { write(); resolve(); }, 50));
process.stdout.write('a');
await later(() => process.stdout.write(Buffer.from([0x62, 0xc3]))); // 'b' and half of 'é'
await later(() => process.stdout.write(Buffer.from([0xa9, 0x0a])));
process.stderr.write('epoch 1\\r50%\\r100%\\n');
process.stdout.write('no newline at the end');
`,
    );
    const { code, out, err } = await run(['--nproc', '1', script]);
    expect(code).toBe(0);
    expect(out).toBe('[rank 0] abé\n[rank 0] no newline at the end\n');
    expect(err).toBe('[rank 0] epoch 1\r50%\r100%\n');
  });

  it('a bad command line is a one-line error naming the option, and exit code 2', async () => {
    const cases: [string[], string][] = [
      [['--nproc', '0', envScript], "--nproc must be an integer >= 1, got '0'"],
      [['--nproc', 'x', envScript], "--nproc must be an integer >= 1, got 'x'"],
      [['--nproc', '-1', envScript], "--nproc must be an integer >= 1, got '-1'"],
      [['--nproc=1.5', envScript], "--nproc must be an integer >= 1, got '1.5'"],
      [[envScript], '--nproc is required: the number of processes to start (run torchlet launch --help)'],
      [['--nproc'], '--nproc needs a value (run torchlet launch --help)'],
      [['--nproc', '1', '--nnodes', '0', envScript], "--nnodes must be an integer >= 1, got '0'"],
      [
        ['--nproc', '1', '--nnodes', '2', '--node-rank', '2', envScript],
        "--node-rank must be an integer from 0 to 1 (--nnodes is 2), got '2'",
      ],
      [['--nproc', '1', '--master-port', '70000', envScript], "--master-port must be an integer from 1 to 65535, got '70000'"],
      [['--nproc', '1', '--master-port', '0', envScript], "--master-port must be an integer from 1 to 65535, got '0'"],
      [['--nproc', '1', '--master-addr', '', envScript], "--master-addr must name a host, got ''"],
      [['--nproc', '1'], 'no script to run (run torchlet launch --help)'],
      [['--nproc', '1', join(scripts, 'missing.mjs')], `script '${join(scripts, 'missing.mjs')}' not found`],
      [['--nproc', '1', '--procs', '2', envScript], "Unknown option '--procs' (run torchlet launch --help)"],
    ];
    for (const [argv, message] of cases) {
      const out = capture();
      const err = capture();
      expect(await main(['launch', ...argv], out, err), argv.join(' ')).toBe(2);
      expect(err.text).toBe(`torchlet: ${message}\n`);
      expect(out.text).toBe('');
    }
  });

  it('with one node, a --master-addr that is not this machine is a usage error', async () => {
    const err = capture();
    expect(await main(['launch', '--nproc', '1', '--master-addr', '192.0.2.1', envScript], capture(), err)).toBe(2);
    expect(err.text).toMatch(
      /^torchlet: --master-addr 192\.0\.2\.1: cannot listen there to pick a free port \(listen EADDRNOTAVAIL.*\); with --nnodes 1 it must be an address of this machine\n$/,
    );
  });

  it('--help documents the options and the environment', async () => {
    const out = capture();
    expect(await main(['launch', '--help'], out)).toBe(0);
    for (const word of [
      '--nproc',
      '--nnodes',
      '--node-rank',
      '--master-addr',
      '--master-port',
      'RANK',
      'WORLD_SIZE',
      'TORCHLET_NUM_THREADS',
      'SIGKILL',
    ])
      expect(out.text).toContain(word);
    const commands = capture();
    await main(['--help'], commands);
    expect(commands.text).toMatch(/^ {2}launch {10}/m);
  });
});

// The launcher as a process of its own (bin/torchlet.js runs dist/: build first).
describe('torchlet launch: signals to the launcher', () => {
  function startLauncher(dir: string, ...roles: string[]) {
    const launcher = spawn(
      process.execPath,
      [join(root, 'bin/torchlet.js'), 'launch', '--nproc', String(roles.length), roleScript, dir, ...roles],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const output = { out: '', err: '' };
    launcher.stdout.setEncoding('utf8').on('data', (text: string) => (output.out += text));
    launcher.stderr.setEncoding('utf8').on('data', (text: string) => (output.err += text));
    const exited = new Promise<number | null>((resolve) => launcher.on('close', resolve));
    return { launcher, output, exited };
  }

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('forwards %s once to every rank and exits with %i', async (signal, expected) => {
    const dir = mkdtempSync(join(tmpdir(), 'launch-'));
    const { launcher, output, exited } = startLauncher(dir, 'polite', 'polite');
    const pids = await readyPids(dir, [0, 1]);
    launcher.kill(signal);
    expect(await exited).toBe(expected);
    expect(rankLines(output.out).sort()).toEqual([
      [0, `got ${signal}`],
      [1, `got ${signal}`],
    ]);
    expect(output.err).toBe('');
    expect(await allGone(pids)).toBe(true);
  });

  it('a second signal kills the ranks at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'launch-'));
    const { launcher, output, exited } = startLauncher(dir, 'stubborn', 'stubborn');
    const pids = await readyPids(dir, [0, 1]);
    const started = performance.now();
    launcher.kill('SIGINT');
    await waitFor(() => output.out.split('got SIGINT').length === 3, 'both ranks to get SIGINT');
    launcher.kill('SIGINT');
    expect(await exited).toBe(130);
    // Well within the 10 s grace period.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await allGone(pids)).toBe(true);
  });
});
