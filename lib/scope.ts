// The execution context of tensor code: the tidy scope that owns new tensors and whether autograd
// records. It lives in an AsyncLocalStorage so that both follow `await` inside tidy() and noGrad()
// and never leak into code that runs concurrently.
import { AsyncLocalStorage } from 'node:async_hooks';

/** Something a scope can free. */
export interface Disposable {
  dispose(): void;
}

/** The tensors created inside one tidy() call. */
export class Scope {
  readonly owned = new Set<Disposable>();
  closed = false;
  constructor(readonly parent: Scope | null) {}

  /** The innermost scope, from this one outwards, that is still open. */
  open(): Scope | null {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- a loop cursor, not a captured alias
    let scope: Scope | null = this;
    while (scope && scope.closed) scope = scope.parent;
    return scope;
  }
}

export interface Context {
  readonly scope: Scope | null;
  readonly grad: boolean;
}

const storage = new AsyncLocalStorage<Context>();
const root: Context = { scope: null, grad: true };

export function currentContext(): Context {
  return storage.getStore() ?? root;
}

export function runInContext<T>(context: Context, fn: () => T): T {
  return storage.run(context, fn);
}

/** Registers a new object with the innermost open tidy scope, if any. */
export function track(object: Disposable): void {
  currentContext().scope?.open()?.owned.add(object);
}

let nativeGradEnabled = true;

/** Makes libtorch's (thread-wide) grad mode match the current context; every op calls it first. */
export function syncGradMode(setGradEnabled: (enabled: boolean) => void): void {
  const wanted = currentContext().grad;
  if (wanted !== nativeGradEnabled) {
    setGradEnabled(wanted);
    nativeGradEnabled = wanted;
  }
}
