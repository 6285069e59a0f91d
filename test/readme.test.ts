import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

describe('README', () => {
  it('has the two set-up commands: set up and run the main job; set up and test', () => {
    const commands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
    expect(commands[0]).toBe('bash scripts/setup.sh && npx torchlet train-cifar10 --synthetic --epochs 2 --out cifar10-run');
    expect(commands[1]).toBe('bash scripts/setup.sh && npm test');
    // CI runs exactly the test command.
    expect(readFileSync(join(root, '.ci', 'run'), 'utf8')).toContain(`\n${commands[1]}\n`);
  });

  it('its examples run as written (importing the package by name)', () => {
    expect(examples.length).toBeGreaterThan(0);
    const dir = join(root, 'test', '.fixtures');
    mkdirSync(dir, { recursive: true });
    examples.forEach((code, i) => {
      const file = join(dir, `readme-example-${i}.mjs`);
      writeFileSync(file, code);
      const out = execFileSync(process.execPath, [file], { encoding: 'utf8' });
      // A `// → value` comment promises what its line prints.
      const promised = [...code.matchAll(/\/\/ → (.+)$/gm)].map((m) => m[1]);
      expect(promised.length).toBeGreaterThan(0);
      for (const p of promised) expect(out).toContain(p);
    });
  });
});
