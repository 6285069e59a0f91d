// Grad-mode scopes. Gradients themselves live on Tensor (requiresGrad, backward, grad, detach).
import { currentContext, runInContext } from './scope.js';
import { expectFunction } from './arguments.js';

/**
 * Runs `fn` with autograd off: nothing inside records a graph, so results need no grad and hold
 * no graph memory. `fn` may be async; the mode follows its awaits and does not leak into code
 * that runs concurrently.
 */
export function noGrad<T>(fn: () => T): T {
  return runInContext({ ...currentContext(), grad: false }, expectFunction<() => T>('noGrad', 'fn', fn));
}

/** Runs `fn` with autograd on, even inside {@link noGrad}. */
export function enableGrad<T>(fn: () => T): T {
  return runInContext({ ...currentContext(), grad: true }, expectFunction<() => T>('enableGrad', 'fn', fn));
}

/** Whether operations run now record a graph. */
export function isGradEnabled(): boolean {
  return currentContext().grad;
}
