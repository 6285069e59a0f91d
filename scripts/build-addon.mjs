// npm run build (after tsc): builds the native addon into build/ against the libtorch that
// lib/libtorch.ts locates (LIBTORCH, then a Python PyTorch, then the system), and says which.
//   --sanitize   builds into build-sanitize/ with AddressSanitizer and UndefinedBehaviorSanitizer
//                instead (npm run build:sanitize; scripts/test-sanitize.sh runs the tests with it)
// Other arguments are extra CMake definitions (NAME=VALUE).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { locateLibtorch } = await import('../dist/libtorch.js');
const { buildAddon } = await import('../dist/addon-build.js');

const args = process.argv.slice(2);
const sanitize = args.includes('--sanitize');
try {
  buildAddon({
    libtorch: locateLibtorch(),
    outDir: join(root, sanitize ? 'build-sanitize' : 'build'),
    defines: [...args.filter((a) => a !== '--sanitize'), ...(sanitize ? ['TORCHLET_SANITIZE=ON'] : [])],
  });
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
