// One call at a time per model. fit, evaluate, predict, trainOnBatch and predictOnBatch await
// their steps, which run off the JS thread, so other JS runs meanwhile; a second call on the same
// model from there would read or write weights that a step is updating. It is refused, not
// queued: a queued predict would silently wait out a whole fit, and a queued fit would interleave
// its updates with another's. Calls from the running call's own callbacks (which run between
// steps, when no step is in flight) are allowed, as in Keras.
import { AsyncLocalStorage } from 'node:async_hooks';

const insideCall = new AsyncLocalStorage<object>();
const running = new WeakMap<object, string>();

/** Throws unless `model` is idle, or `api` is called from inside the model's running call. */
export function requireIdle(model: object, name: string, api: string): void {
  const busy = running.get(model);
  if (busy !== undefined && insideCall.getStore() !== model) {
    throw new Error(
      `${api}: the model '${name}' is busy with ${busy}(); await it first (calls on one model do not overlap, since a running step is updating its weights)`,
    );
  }
}

/** Runs `fn` as the model's one running call, after {@link requireIdle}. */
export async function exclusive<T>(model: object, name: string, api: string, fn: () => Promise<T>): Promise<T> {
  requireIdle(model, name, api);
  if (running.has(model)) return fn(); // from inside the running call (a callback)
  running.set(model, api);
  try {
    return await insideCall.run(model, fn);
  } finally {
    running.delete(model);
  }
}
