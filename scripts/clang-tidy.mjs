// npm run tidy: clang-tidy (.clang-tidy's checks) on every native/ source, against the libtorch
// found (LIBTORCH, a Python PyTorch, the system; a CUDA one also checks the CUDA-only code). It
// configures build-tidy/ without precompiled headers (clang cannot read GCC's) and runs the
// files in parallel. Exits non-zero on any finding.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { locateLibtorch } = await import('../dist/libtorch.js');
const { buildAddon } = await import('../dist/addon-build.js');

const buildDir = buildAddon({
  libtorch: locateLibtorch(),
  outDir: join(root, 'build-tidy'),
  defines: ['CMAKE_DISABLE_PRECOMPILE_HEADERS=ON'],
  configureOnly: true,
  log: () => {},
});
const files = readdirSync(join(root, 'native'))
  .filter((f) => f.endsWith('.cc'))
  .map((f) => join(root, 'native', f));

function tidy(file) {
  return new Promise((resolve) => {
    // Without OpenMP: the addon is compiled with GCC's (CMakeLists.txt), whose omp.h clang does not see.
    const child = spawn('clang-tidy', ['-p', buildDir, '--quiet', '--extra-arg=-fno-openmp', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ file, code, out }));
    child.on('error', (error) =>
      resolve({ file, code: 1, out: `clang-tidy could not run: ${error.message} (apt-get install clang-tidy)` }),
    );
  });
}

const started = Date.now();
const queue = [...files];
const results = [];
await Promise.all(
  Array.from({ length: availableParallelism() }, async () => {
    while (queue.length > 0) results.push(await tidy(queue.shift()));
  }),
);
const failed = results.filter((r) => r.code !== 0);
// clang-tidy prints "N warnings generated" for the headers it suppressed; keep only real findings.
for (const r of failed)
  process.stdout.write(
    r.out
      .split('\n')
      .filter((l) => !/^\d+ warnings? (and \d+ errors? )?generated\.$/.test(l))
      .join('\n'),
  );
console.log(`clang-tidy: ${files.length} files, ${failed.length} with findings, ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(failed.length > 0 ? 1 : 0);
