import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture } from '../helpers/capture.js';
import { main } from '../../lib/cli/main.js';
import * as tl from '../../lib/index.js';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'torchlet.js');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await main(argv, out, err);
  return { code, out: out.text, err: err.text };
}

describe('torchlet train-cifar10: the command line', () => {
  it('--help documents every option', async () => {
    const { code, out } = await run('train-cifar10', '--help');
    expect(code).toBe(0);
    for (const option of [
      '--model',
      '--epochs',
      '--batch-size',
      '--lr',
      '--device',
      '--data-dir',
      '--download',
      '--synthetic',
      '--limit',
      '--augment',
      '--seed',
      '--precision',
      '--out',
    ]) {
      expect(out).toContain(option);
    }
  });

  it('a bad flag or value is a one-line error and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--epochs', '0'], /^torchlet: --epochs must be an integer >= 1, got '0'\n$/],
      [['--batch-size', 'big'], /^torchlet: --batch-size must be an integer >= 1, got 'big'\n$/],
      [['--lr=-1'], /^torchlet: --lr must be a positive number, got '-1'\n$/],
      [['--lr', '0'], /^torchlet: --lr must be a positive number, got '0'\n$/],
      [['--limit', '2.5'], /^torchlet: --limit must be an integer >= 1, got '2.5'\n$/],
      [['--epoch', '3'], /^torchlet: Unknown option '--epoch' \(run torchlet train-cifar10 --help\)\n$/],
      [['--device', 'tpu'], /^torchlet: --device: unknown device 'tpu' \(expected 'cpu', 'cuda' or 'cuda:N'\)\n$/],
      [['--synthetic', '--download'], /^torchlet: --synthetic cannot be combined with --data-dir or --download\n$/],
      [['--out', '', '--data-dir', mkdtempSync(join(tmpdir(), 'empty-'))], /^torchlet: --out must name a folder, got ''\n$/],
      [['--precision', 'fp16'], /^torchlet: --precision must be fp32 or bf16, got 'fp16'\n$/],
      [['--model', 'vgg16'], /^torchlet: --model must be cnn or resnet20, got 'vgg16'\n$/],
      [['extra'], /^torchlet: Unexpected argument 'extra'/],
    ];
    for (const [argv, message] of cases) {
      const { code, err, out } = await run('train-cifar10', ...argv);
      expect(code).toBe(2);
      expect(err).toMatch(message);
      expect(out).toBe('');
    }
    expect(await run('nonsense')).toMatchObject({ code: 2, err: "torchlet: unknown command 'nonsense' (run torchlet --help)\n" });
  });

  it('a negative number is reported by the range check, not as an ambiguous argument', async () => {
    const cases: [string[], string][] = [
      [['--epochs', '-1'], "--epochs must be an integer >= 1, got '-1'"],
      [['--limit', '-5'], "--limit must be an integer >= 1, got '-5'"],
      [['--batch-size', '-3'], "--batch-size must be an integer >= 1, got '-3'"],
      [['--seed', '-1'], "--seed must be an integer >= 0, got '-1'"],
      [['--verbose', '-1'], "--verbose must be an integer >= 0, got '-1'"],
      [['--lr', '-0.1'], "--lr must be a positive number, got '-0.1'"],
      [['--lr', '-.5'], "--lr must be a positive number, got '-.5'"],
    ];
    for (const [argv, message] of cases) {
      expect(await run('train-cifar10', ...argv)).toEqual({ code: 2, out: '', err: `torchlet: ${message}\n` });
    }
    // Anything else after an option that takes a value is still parseArgs's business.
    expect((await run('train-cifar10', '--epochs', '--synthetic')).err).toMatch(/^torchlet: Option '--epochs' argument is ambiguous/);
  });

  describe('--out is created and checked before any data is loaded or generated', () => {
    const home = mkdtempSync(join(tmpdir(), 'torchlet-home-'));
    const file = join(home, 'file');
    writeFileSync(file, 'not a folder\n');
    let saved: string | undefined;
    beforeAll(() => {
      saved = process.env.TORCHLET_HOME;
      process.env.TORCHLET_HOME = home;
    });
    afterAll(() => {
      if (saved === undefined) delete process.env.TORCHLET_HOME;
      else process.env.TORCHLET_HOME = saved;
    });
    const synthetic = ['--synthetic', '--limit', '64', '--epochs', '1', '--batch-size', '64', '--verbose', '2'];

    it('an --out under a file fails at once, before the synthetic set is made or any training', async () => {
      const started = performance.now();
      const result = await run('train-cifar10', ...synthetic, '--out', join(file, 'run'));
      expect(result).toEqual({
        code: 2,
        out: '',
        err: `torchlet: --out ${join(file, 'run')}: cannot create the folder (ENOTDIR: a parent is a file)\n`,
      });
      expect(performance.now() - started).toBeLessThan(5000);
      expect(existsSync(join(home, 'synthetic-cifar-10'))).toBe(false);
    });

    it('an --out that is a file fails at once', async () => {
      const result = await run('train-cifar10', ...synthetic, '--out', file);
      expect(result).toEqual({
        code: 2,
        out: '',
        err: `torchlet: --out ${file}: cannot create the folder (EEXIST: a file is in the way)\n`,
      });
      expect(existsSync(join(home, 'synthetic-cifar-10'))).toBe(false);
    });

    // Node's recursive mkdir never returns for /proc/x; an empty --data-dir makes the old order
    // (data first, --out last) fail on the data instead of hanging.
    it.runIf(process.platform === 'linux')(
      'an --out where no folder can be made (/proc) fails, naming --out, without hanging',
      async () => {
        const result = await run('train-cifar10', '--data-dir', mkdtempSync(join(tmpdir(), 'empty-')), '--out', '/proc/torchlet-x/run');
        expect(result).toEqual({
          code: 2,
          out: '',
          err: 'torchlet: --out /proc/torchlet-x/run: cannot create the folder (ENOENT: no such file or directory)\n',
        });
      },
      10_000,
    );

    it('a fresh nested --out is created (and left empty) before the data is loaded', async () => {
      const fresh = join(home, 'runs', 'a', 'b');
      const result = await run('train-cifar10', '--data-dir', mkdtempSync(join(tmpdir(), 'empty-')), '--out', fresh);
      expect(result.err).toMatch(/^torchlet: CIFAR-10: missing files /);
      expect(readdirSync(fresh)).toEqual([]);
    });
  });

  it('missing data is a clear error naming the files and --download', async () => {
    const { code, err } = await run('train-cifar10', '--data-dir', mkdtempSync(join(tmpdir(), 'empty-')), '--epochs', '1');
    expect(code).toBe(1);
    expect(err).toMatch(/^torchlet: CIFAR-10: missing files .*data_batch_1\.bin/);
  });
});

describe('torchlet train-cifar10 --synthetic', () => {
  const home = mkdtempSync(join(tmpdir(), 'torchlet-home-'));
  const outDir = join(home, 'runs', 'out');
  let saved: string | undefined;
  let result: { code: number; out: string; err: string };
  beforeAll(async () => {
    saved = process.env.TORCHLET_HOME;
    process.env.TORCHLET_HOME = home;
    result = await run(
      'train-cifar10',
      '--synthetic',
      '--limit',
      '640',
      '--epochs',
      '2',
      '--batch-size',
      '64',
      '--augment',
      '--verbose',
      '2',
      '--out',
      outDir,
    );
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TORCHLET_HOME;
    else process.env.TORCHLET_HOME = saved;
  });

  it('trains, then reports the test accuracy and the wall time per epoch', () => {
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/Synthetic CIFAR-10 \(seed 0\) in .*synthetic-cifar-10/);
    expect(result.out).toMatch(/Training on cpu|Training on cuda/);
    expect(result.out).toContain('640 training and 640 test images, augmented');
    expect(result.out).toMatch(/Epoch 2\/2\n10\/10 - \d+s - \d+ms\/step - accuracy: /);
    expect(result.out).toMatch(/Test accuracy: 0\.\d{4} \(loss \d+\.\d{4}\) on 640 images/);
    expect(result.out).toMatch(/Wall time per epoch: \d+\.\d s mean \(\d+\.\d, \d+\.\d\)/);
  });

  it('writes the model, history.json and the training-curve chart to a fresh nested --out, and nothing else', () => {
    expect(readdirSync(outDir).sort()).toEqual([
      'history.json',
      expect.stringMatching(/^model-[0-9a-z-]+\.safetensors$/),
      'model.json',
      'training-curves.svg',
    ]);
    const history = JSON.parse(readFileSync(join(outDir, 'history.json'), 'utf8'));
    expect(history.loss).toHaveLength(2);
    expect(history.val_accuracy).toHaveLength(2);
    expect(history.epochSeconds).toHaveLength(2);
    expect(history.testAccuracy).toBeCloseTo(history.val_accuracy[1], 6);
    const svg = readFileSync(join(outDir, 'training-curves.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('reference CNN on synthetic CIFAR-10');
  });

  it('caches the synthetic set for the next run', () => {
    expect(existsSync(join(home, 'synthetic-cifar-10', 'seed-0-50000-10000', 'data_batch_5.bin'))).toBe(true);
  });

  it('records in history.json that the run was not interrupted, in float32', () => {
    const history = JSON.parse(readFileSync(join(outDir, 'history.json'), 'utf8'));
    expect([history.interrupted, history.epochsAsked, history.precision]).toEqual([false, 2, 'fp32']);
  });

  it('--precision bf16 trains under bfloat16 autocast and says so', async () => {
    const bf16Out = join(home, 'bf16-run');
    const args = ['--synthetic', '--limit', '128', '--epochs', '1', '--batch-size', '64', '--verbose', '2', '--out', bf16Out];
    const bf16 = await run('train-cifar10', ...args, '--precision', 'bf16');
    expect(bf16.err).toBe('');
    expect(bf16.code).toBe(0);
    expect(bf16.out).toContain('128 training and 128 test images, bf16 autocast');
    expect(bf16.out).toMatch(/Test accuracy: 0\.\d{4} \(loss \d+\.\d{4}\) on 128 images/);
    expect(JSON.parse(readFileSync(join(bf16Out, 'history.json'), 'utf8')).precision).toBe('bf16');
  });

  it('--model resnet20 trains ResNet-20, written with the functional API, and saves it', async () => {
    const resnetOut = join(home, 'resnet20-run');
    const args = ['--synthetic', '--limit', '128', '--epochs', '1', '--batch-size', '64', '--verbose', '2', '--out', resnetOut];
    const resnet = await run('train-cifar10', ...args, '--model', 'resnet20');
    expect(resnet.err).toBe('');
    expect(resnet.code).toBe(0);
    expect(resnet.out).toMatch(/Test accuracy: 0\.\d{4} \(loss \d+\.\d{4}\) on 128 images/);
    expect(readFileSync(join(resnetOut, 'training-curves.svg'), 'utf8')).toContain('ResNet-20 on synthetic CIFAR-10');
    const saved = await tl.loadModel(resnetOut);
    expect([saved.name, saved.countParams()]).toEqual(['resnet20', 274_042]);
  });

  it('Ctrl-C during training stops after the batch, still writes every output, and says so in history.json', async () => {
    // What an interrupted generation left in the cache (a process that no longer runs): the run removes it.
    const stale = join(home, 'synthetic-cifar-10', '.seed-0-50000-10000.tmp-4194305-0a1b2c');
    mkdirSync(stale);
    writeFileSync(join(stale, 'data_batch_1.bin'), 'partial');
    const interruptedOut = join(home, 'runs', 'interrupted');
    const out = capture();
    const write = out.write.bind(out);
    let pressed = false;
    // Ctrl-C as the first epoch starts, while the handler is the CLI's.
    out.write = ((chunk: string, ...rest: never[]) => {
      const done = write(chunk, ...rest);
      if (!pressed && String(chunk).includes('Epoch 1/3')) {
        pressed = true;
        process.emit('SIGINT');
      }
      return done;
    }) as typeof out.write;
    const args = ['--synthetic', '--limit', '640', '--epochs', '3', '--batch-size', '64', '--verbose', '2', '--out', interruptedOut];
    const code = await main(['train-cifar10', ...args], out, capture());
    expect(code).toBe(0);
    expect(out.text).toContain('Stopping after this batch (Ctrl-C again to quit now)');
    expect(out.text).toMatch(/Test accuracy: /);
    const history = JSON.parse(readFileSync(join(interruptedOut, 'history.json'), 'utf8'));
    expect([history.interrupted, history.epochsAsked, history.loss.length]).toEqual([true, 3, 1]);
    expect(readdirSync(interruptedOut)).toContain('training-curves.svg');
    expect(existsSync(stale)).toBe(false);
    expect(process.listenerCount('SIGINT')).toBe(0); // the handler is gone once the outputs are written
  });

  // Processes whose command line names `marker` (the ranks of a run given a unique --out).
  const processesNaming = (marker: string) =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
        } catch {
          return false; // gone meanwhile
        }
      });

  it('--nproc 2 trains data-parallel under torchlet launch: rank 0 alone prints and writes --out', () => {
    const out = join(home, 'runs', 'two-ranks');
    const run = spawnSync(
      process.execPath,
      [bin, 'train-cifar10', '--synthetic', '--limit', '256', '--epochs', '1', '--nproc', '2', '--verbose', '2', '--out', out],
      {
        encoding: 'utf8',
        env: { ...process.env, TORCHLET_HOME: home },
      },
    );
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.every((line) => line.startsWith('[rank 0] '))).toBe(true);
    expect(run.stdout).toMatch(/Training on 2 processes \(gloo\), cpu each \(libtorch [^,]+, 1 thread each\): 256 training/);
    expect(run.stdout).toContain('Data-parallel on 2 ranks (gloo): each batch of 32 splits 16 + 16\n');
    expect(run.stdout).toMatch(/Test accuracy: 0\.\d{4}/);
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(history.loss).toHaveLength(1);
  });

  it('--nproc 2: Ctrl-C to the launcher stops every rank at once', async () => {
    const out = join(home, 'runs', `interrupted-ranks-${process.pid}`);
    const child = spawn(
      process.execPath,
      [bin, 'train-cifar10', '--synthetic', '--limit', '2048', '--epochs', '5', '--nproc', '2', '--verbose', '2', '--out', out],
      {
        env: { ...process.env, TORCHLET_HOME: home },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let text = '';
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d) => {
        text += String(d);
        if (text.includes('Epoch 1/5')) resolve();
      }),
    );
    expect(processesNaming(out).length).toBe(3); // the launcher and its two ranks
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(processesNaming(out)).toEqual([]);
    expect(existsSync(join(out, 'history.json'))).toBe(false);
  });
});
