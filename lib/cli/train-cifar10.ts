// `torchlet train-cifar10`: the main job. It trains the reference CNN of DESIGN.md (or ResNet-20) on CIFAR-10 (or
// on a synthetic set in the same format) with Keras's defaults, reports the test accuracy and the
// wall time per epoch, and writes the model, history.json and a training-curve chart.
import { randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { makeDirectory } from '../io/make-directory.js';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as cifar10 from '../data/cifar10.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { backendInfo, defaultDevice, normalizeDevice } from '../device.js';
import { manualSeed } from '../create.js';
import { Callback } from '../model/callbacks.js';
import type { Model } from '../model/model.js';
import { referenceCnn } from '../model/reference-cnn.js';
import { resnet20 } from '../model/resnet20.js';
import { Adam } from '../optim/adam.js';
import type { Device } from '../tensor.js';
import { trainingCurvesSvg } from './plot.js';
import { UsageError } from './usage-error.js';
import { launch } from './launch.js';
import { distributed } from '../distributed/index.js';
import { fileURLToPath } from 'node:url';

export const TRAIN_CIFAR10_HELP = `Usage: torchlet train-cifar10 [options]

Trains the reference CNN (3 conv + pool blocks, dense 512, dense 10 softmax; 361,034 parameters)
with Adam on CIFAR-10 and evaluates it on the test set, as the reference Keras program does.

Options:
  --model NAME      cnn, the reference CNN (default), or resnet20, ResNet-20 written with the
                    functional API (274,042 parameters)
  --epochs N        epochs (default 10)
  --batch-size N    batch size (default 32)
  --lr X            Adam learning rate (default 0.001)
  --device D        cpu, cuda or cuda:N (default: cuda when available, else cpu)
  --data-dir DIR    the cifar-10-batches-bin folder, or its parent
                    (default: $TORCHLET_HOME/cifar-10-batches-bin, TORCHLET_HOME defaults to ~/.cache/torchlet)
  --download        download CIFAR-10 into the cache if it is missing (163 MB)
  --synthetic       train on a generated CIFAR-format set (offline; written once to the cache)
  --limit N         use only the first N training and test images, for quick runs
  --augment         random flips and padded crops on each training batch, on the device
  --seed N          random seed for weights, shuffling and augmentation (default 0)
  --precision P     fp32 (default) or bf16: the forward pass under autocast in bfloat16, with
                    float32 weights (compile({ mixedPrecision: 'bf16' }))
  --out DIR         write the model (model.json and its weights), history.json and
                    training-curves.svg into DIR
  --verbose N       0 silent, 1 progress bar (default), 2 one line per epoch
  --nproc N         train data-parallel in N processes on this machine (default 1), as
                    torchlet launch does; --batch-size stays the global batch. With CUDA, rank
                    R uses cuda:R and NCCL, else the CPU and Gloo. Rank 0 alone prints and
                    writes --out. Ctrl-C stops every process at once.
  -h, --help        show this help
`;

// The models --model names.
const MODELS = { cnn: referenceCnn, resnet20 } satisfies Record<string, () => Model>;

const OPTIONS = {
  model: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  device: { type: 'string' },
  'data-dir': { type: 'string' },
  download: { type: 'boolean' },
  synthetic: { type: 'boolean' },
  limit: { type: 'string' },
  augment: { type: 'boolean' },
  seed: { type: 'string' },
  precision: { type: 'string' },
  out: { type: 'string' },
  verbose: { type: 'string' },
  nproc: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function integer(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min)
    throw new UsageError(`--${name} must be an integer >= ${min}, got '${text}'`);
  return value;
}

// parseArgs rejects `--epochs -1` as "ambiguous" (the value looks like an option), so the range
// checks below would never explain what is wanted. `--epochs=-1` is unambiguous: join a negative
// number to the value-taking option before it.
function joinNegativeValues(argv: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].slice(2);
    const takesValue = argv[i].startsWith('--') && Object.hasOwn(OPTIONS, name) && OPTIONS[name as keyof typeof OPTIONS].type === 'string';
    if (takesValue && /^-\.?\d/.test(argv[i + 1] ?? '')) joined.push(`${argv[i]}=${argv[++i]}`);
    else joined.push(argv[i]);
  }
  return joined;
}

/** Parses the options; throws UsageError with a one-line message for anything wrong. */
export function parseTrainArgs(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), options: OPTIONS, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0].replace(/\. To specify.*$/, '')} (run torchlet train-cifar10 --help)`);
  }
  const v = parsed.values;
  const lr = v.lr === undefined ? 1e-3 : Number(v.lr);
  if (!(lr > 0) || !Number.isFinite(lr)) throw new UsageError(`--lr must be a positive number, got '${v.lr}'`);
  if (v.synthetic && (v['data-dir'] !== undefined || v.download))
    throw new UsageError('--synthetic cannot be combined with --data-dir or --download');
  // An empty --out would otherwise mean "do not save", silently.
  if (v.out === '') throw new UsageError("--out must name a folder, got ''");
  const precision = v.precision ?? 'fp32';
  if (precision !== 'fp32' && precision !== 'bf16') throw new UsageError(`--precision must be fp32 or bf16, got '${precision}'`);
  const modelName = v.model ?? 'cnn';
  if (!Object.hasOwn(MODELS, modelName)) throw new UsageError(`--model must be ${Object.keys(MODELS).join(' or ')}, got '${modelName}'`);
  const verbose = integer('verbose', v.verbose, 1, 0);
  if (verbose > 2) throw new UsageError(`--verbose must be 0, 1 or 2, got '${v.verbose}'`);
  let device: Device;
  try {
    device = normalizeDevice((v.device ?? defaultDevice()) as Device, '--device');
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/ \(self:.*$/, ''));
  }
  return {
    help: v.help ?? false,
    model: modelName as keyof typeof MODELS,
    epochs: integer('epochs', v.epochs, 10, 1),
    batchSize: integer('batch-size', v['batch-size'], 32, 1),
    lr,
    device,
    dataDir: v['data-dir'],
    download: v.download ?? false,
    synthetic: v.synthetic ?? false,
    limit: v.limit === undefined ? undefined : integer('limit', v.limit, 0, 1),
    augment: v.augment ?? false,
    seed: integer('seed', v.seed, 0, 0),
    precision,
    out: v.out,
    verbose: verbose as 0 | 1 | 2,
    nproc: integer('nproc', v.nproc, 1, 1),
  };
}

// Creates --out and checks that files can be written there before the data is loaded, so that a bad
// folder costs a second, not a whole training run whose results could not then be saved.
async function prepareOut(out: string): Promise<void> {
  const reason = (error: unknown) => {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ENOTDIR') return 'ENOTDIR: a parent is a file';
    return message.replace(/, \w+ '.*'$/, ''); // Node's "CODE: text, syscall 'path'", less the path named already
  };
  const dir = resolve(out);
  try {
    await makeDirectory(dir);
  } catch (error) {
    throw new UsageError(`--out ${out}: cannot create the folder (${reason(error)})`);
  }
  // A name no one else uses, created exclusively, so that the probe never touches another file.
  const probe = join(dir, `.torchlet-probe-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await (await open(probe, 'wx')).close();
    await rm(probe);
  } catch (error) {
    throw new UsageError(`--out ${out}: cannot write in the folder (${reason(error)})`);
  }
}

type TrainArgs = ReturnType<typeof parseTrainArgs>;

// Wall time of each epoch (training and the validation pass that ends it).
class EpochTimer extends Callback {
  readonly seconds: number[] = [];
  private start = 0;
  onEpochBegin(): void {
    this.start = performance.now();
  }
  onEpochEnd(): void {
    this.seconds.push((performance.now() - this.start) / 1000);
  }
}

/** Runs `torchlet train-cifar10 argv`; resolves to the exit code. */
export async function trainCifar10(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const args = parseTrainArgs(argv);
  if (args.help) {
    out.write(TRAIN_CIFAR10_HELP);
    return 0;
  }
  if (args.nproc > 1 && process.env.RANK === undefined) return launchRanks(argv, args, out);
  const rank = Number(process.env.RANK ?? 0);
  if (args.out !== undefined && rank === 0) await prepareOut(args.out);
  const say = (line: string) => args.verbose > 0 && rank === 0 && out.write(`${line}\n`);
  // A rank of a data-parallel run cannot stop on its own after a batch, as the others would wait
  // for it: Ctrl-C (which the launcher forwards to every rank) ends every rank at once.
  if (process.env.RANK !== undefined) {
    const quit = () => process.exit(130);
    process.once('SIGINT', quit);
    try {
      return await runTraining({ ...args, verbose: rank === 0 ? args.verbose : 0 }, out, say, { interrupted: false });
    } finally {
      process.off('SIGINT', quit);
      distributed.destroy();
    }
  }
  // Ctrl-C once: training stops after the current batch, and the run still evaluates and writes
  // its outputs, noting in history.json that it was interrupted; before training, the run ends
  // after the current step. The handler stays until the outputs are complete. Twice: exit now.
  const run: RunState = { interrupted: false };
  const onInterrupt = () => {
    if (run.interrupted) process.exit(130);
    run.interrupted = true;
    if (run.model) run.model.stopTraining = true;
    out.write(`\n${run.model ? 'Stopping after this batch' : 'Stopping after this step'} (Ctrl-C again to quit now)\n`);
  };
  process.on('SIGINT', onInterrupt);
  try {
    return await runTraining(args, out, say, run);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

// --nproc N: this process prepares what the ranks share (the --out folder, the synthetic set, which
// they would otherwise all write), then runs N copies of this command under `torchlet launch`.
async function launchRanks(argv: string[], args: TrainArgs, out: NodeJS.WritableStream): Promise<number> {
  if (args.out !== undefined) await prepareOut(args.out);
  if (args.synthetic) await cifar10.synthetic({ seed: args.seed });
  const bin = fileURLToPath(new URL('../../bin/torchlet.js', import.meta.url));
  return launch(['--nproc', String(args.nproc), bin, 'train-cifar10', ...argv], out);
}

// What the Ctrl-C handler and the run share: whether Ctrl-C was pressed, and the model once made.
interface RunState {
  interrupted: boolean;
  model?: Model;
}

// The run itself.
async function runTraining(args: TrainArgs, out: NodeJS.WritableStream, say: (line: string) => void, run: RunState): Promise<number> {
  manualSeed(args.seed);
  let dir = args.dataDir;
  if (args.synthetic) {
    const started = performance.now();
    dir = await cifar10.synthetic({ seed: args.seed });
    say(`Synthetic CIFAR-10 (seed ${args.seed}) in ${dir} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  if (run.interrupted) return 130;
  const data = await cifar10.load({ dir, download: args.download, augment: args.augment });
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the SIGINT handler sets it while load() runs
  if (run.interrupted) return 130;
  const train = args.limit ? data.train.take(args.limit) : data.train;
  const test = args.limit ? data.test.take(args.limit) : data.test;
  const parallel = process.env.RANK !== undefined;
  if (parallel) await distributed.init();
  // Each rank of a CUDA run trains on its own GPU (NCCL's device); a CPU run uses Gloo.
  const device = parallel && args.device.startsWith('cuda') ? distributed.device : args.device;
  const info = backendInfo();
  const where = parallel ? `${distributed.worldSize} processes (${distributed.backend}), ${device} each` : device;
  say(
    `Training on ${where} (libtorch ${info.torchVersion}, ${info.threads} thread${info.threads === 1 ? '' : 's'}${parallel ? ' each' : ''}): ${train.size} training and ${test.size} test images${args.augment ? ', augmented' : ''}${args.precision === 'bf16' ? ', bf16 autocast' : ''}`,
  );

  const model = MODELS[args.model]().to(device);
  run.model = model;
  model.compile({
    optimizer: new Adam({ learningRate: args.lr }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
    mixedPrecision: args.precision === 'bf16' ? 'bf16' : null,
  });
  const timer = new EpochTimer();
  const history = await model.fit(train, {
    epochs: args.epochs,
    batchSize: args.batchSize,
    validationData: test,
    verbose: args.verbose,
    callbacks: [timer],
    output: out,
    distributed: parallel,
  });
  const { loss, accuracy } = await model.evaluate(test, { batchSize: args.batchSize });
  const times = timer.seconds;
  say(`Test accuracy: ${accuracy.toFixed(4)} (loss ${loss.toFixed(4)}) on ${test.size} images`);
  if (times.length > 0) {
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    say(
      `Wall time per epoch: ${mean.toFixed(1)} s mean (${times.map((t) => t.toFixed(1)).join(', ')}), ${Math.round(train.size / mean)} training images/s with validation`,
    );
  }
  if (args.out && distributed.rank === 0) {
    await model.save(args.out);
    const record = {
      ...history.history,
      epochSeconds: times,
      testLoss: loss,
      testAccuracy: accuracy,
      // Ctrl-C stopped training before the epochs asked for (a partial last epoch is not in the history).
      interrupted: run.interrupted,
      epochsAsked: args.epochs,
      precision: args.precision,
    };
    await writeFileAtomic(join(args.out, 'history.json'), [JSON.stringify(record, null, 2) + '\n']);
    await writeFileAtomic(join(args.out, 'training-curves.svg'), [
      trainingCurvesSvg(history.history, {
        title: `torchlet: ${args.model === 'cnn' ? 'reference CNN' : 'ResNet-20'} on ${args.synthetic ? 'synthetic ' : ''}CIFAR-10`,
      }),
    ]);
    say(`Wrote ${join(args.out, 'model.json')} (with its weights), history.json and training-curves.svg`);
  }
  return 0;
}
