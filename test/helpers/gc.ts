// A full garbage collection, for tests that count live tensors: handles that earlier code dropped
// without dispose() count until V8 finalizes them, at a time that depends on the machine's load.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full GC, and a turn of the event loop for the finalizers it queued. */
export async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  await new Promise((resolve) => setImmediate(resolve));
}
