// Saves killed at random moments: model.json and the weights it names always come from one save,
// and the next save or load removes what the killed process left.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

const dist = join(import.meta.dirname, '..', '..', 'dist', 'index.js');

// Saves model k (named `s<k>`, every weight equal to k) again and again into one folder.
const saver = `
const tl = await import(${JSON.stringify(dist)});
const dir = process.argv[1];
for (let k = 1; ; k++) {
  const model = tl.sequential([tl.layers.dense({ units: 64, inputShape: [256] }), tl.layers.dense({ units: 8 })], { name: 's' + k });
  model.setWeights(model.getWeights().map((w) => tl.full(w.shape, k)));
  await model.save(dir);
  model.dispose();
  process.stdout.write('saved ' + k + '\\n');
}
`;

// Starts the saver, lets it complete a save, then kills it `delayMs` later.
function saveAndKill(dir: string, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', saver, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`saver exited ${code}: ${stderr}`))));
  });
}

describe('saves killed at any moment', () => {
  it('leave a model.json whose weights are from the same save, and temporaries the next load removes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'torchlet-save-kill-'));
    for (let attempt = 0; attempt < 12; attempt++) {
      await saveAndKill(dir, 3 + 17 * attempt);
      const model = await tl.loadModel(dir);
      const k = Number(/^s(\d+)$/.exec(model.name)?.[1]);
      expect(k, model.name).toBeGreaterThan(0);
      for (const [name, w] of model.namedWeights()) {
        const values = new Set(Array.from(w.data()));
        expect([...values], `${name} of save ${k}`).toEqual([k]);
      }
      model.dispose();
      // The load removed the killed saver's temporaries; at most the weights of one more save remain.
      expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
      expect(readdirSync(dir).filter((n) => n.endsWith('.safetensors')).length).toBeLessThanOrEqual(2);
    }
  }, 120_000);

  it('a save removes temporaries of dead processes and the weights no model.json names, and keeps a live process’s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'torchlet-save-stale-'));
    const model = tl.sequential([tl.layers.dense({ units: 2, inputShape: [3] })]);
    await model.save(dir);
    // pid 2^22 + 1 is above Linux's pid_max: no such process.
    writeFileSync(join(dir, 'model.json.tmp-4194305-0a1b2c'), 'partial');
    writeFileSync(join(dir, `model.json.tmp-${process.ppid}-0a1b2c`), 'a live writer');
    writeFileSync(join(dir, 'model-zz-0.safetensors'), 'an orphan from a killed save');
    await model.save(dir);
    expect(readdirSync(dir).sort()).toEqual([
      expect.stringMatching(/^model-[0-9a-z-]+\.safetensors$/),
      'model.json',
      `model.json.tmp-${process.ppid}-0a1b2c`,
    ]);
  });
});
