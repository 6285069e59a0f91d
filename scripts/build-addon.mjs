// npm run build (after tsc): builds the native addon into build/ against the libtorch that
// lib/libtorch.ts locates (LIBTORCH, then a Python PyTorch, then the system), and says which.
// Arguments are extra CMake definitions (NAME=VALUE).
const { locateLibtorch } = await import('../dist/libtorch.js');
const { buildAddon } = await import('../dist/addon-build.js');

try {
  buildAddon({ libtorch: locateLibtorch(), defines: process.argv.slice(2) });
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
