// Checks of the arguments that public entry points receive from JS, where nothing is guaranteed:
// each failure is a TypeError or RangeError whose message starts with the entry point's name.
// Options objects are read once (their known keys copied), and an unknown key is an error that
// suggests the closest known one ("did you mean 'activation'?").

/** A value as a message shows it: numbers as JS writes them, strings quoted, the rest by kind. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return typeof value === 'bigint' ? `${value}n` : String(value);
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    case 'object': {
      if (value === null) return 'null';
      const proto: unknown = Object.getPrototypeOf(value);
      if (Array.isArray(value) || proto === Object.prototype || proto === null) {
        const json = safeJson(value);
        if (json !== undefined && json.length <= 60) return json;
        return Array.isArray(value) ? 'an array' : 'an object';
      }
      return articled((proto as { constructor?: { name?: unknown } } | null)?.constructor?.name);
    }
  }
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined; // a cycle, a BigInt, a getter that throws
  }
}

function articled(name: unknown): string {
  const text = typeof name === 'string' && name !== '' ? name : 'object';
  return text === 'Object' ? 'an object' : `${/^[AEIOU]/.test(text) ? 'an' : 'a'} ${text}`;
}

/** Throws a TypeError unless `value` is a function. */
export function expectFunction<T extends (...args: never[]) => unknown>(api: string, name: string, value: unknown): T {
  if (typeof value !== 'function') throw new TypeError(`${api}: ${name} must be a function, got ${describeValue(value)}`);
  return value as T;
}

/** Throws a TypeError unless `value` is a string. */
export function expectString(api: string, name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${api}: ${name} must be a string, got ${describeValue(value)}`);
  return value;
}

/**
 * The options object of a call, checked: undefined gives {}; anything but a plain object is a
 * TypeError; a key outside `known` is a RangeError suggesting the closest known key. Returns a
 * copy of the known keys that are present, each read once (a getter runs once, here).
 */
export function readOptions<T extends object>(
  api: string,
  value: unknown,
  known: readonly (keyof T & string)[],
  what = 'options',
): Partial<T> {
  if (value === undefined) return {};
  const proto: unknown = typeof value === 'object' && value !== null ? Object.getPrototypeOf(value) : undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || (proto !== Object.prototype && proto !== null)) {
    throw new TypeError(`${api}: ${what} must be a plain object, got ${describeValue(value)}`);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (!(known as readonly string[]).includes(key)) throw new RangeError(`${api}: unknown option '${key}'${suggestion(key, known)}`);
  }
  for (const key of known) {
    if (Object.hasOwn(value, key)) out[key] = (value as Record<string, unknown>)[key];
  }
  return out as Partial<T>;
}

/** ", did you mean 'activation'?" for a key close to a known one, else the list of known keys. */
export function suggestion(key: string, known: readonly string[]): string {
  const camel = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  if (camel !== key && known.includes(camel)) return ` (options are camelCase here: did you mean '${camel}'?)`;
  let best = '';
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(camel.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  if (best && bestDistance <= Math.max(2, Math.floor(best.length / 3))) return ` (did you mean '${best}'?)`;
  return ` (known options: ${known.join(', ')})`;
}

// Levenshtein distance, for suggestions.
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * Runs `fn`; an Error whose message starts with `from:` (the native binding that threw) is rethrown
 * as `to:`, the API the user called (`cuda()` for the `to` binding it calls, say).
 */
export function renamingErrors<T>(from: string, to: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(`${from}:`)) error.message = `${to}${error.message.slice(from.length)}`;
    throw error;
  }
}

/** `table[name]` when `name` is one of its own keys (never an inherited one such as 'constructor'). */
export function ownEntry<V>(table: Record<string, V>, name: unknown): V | undefined {
  return typeof name === 'string' && Object.hasOwn(table, name) ? table[name] : undefined;
}

/** `value` if it is a boolean, `fallback` if undefined; anything else is a TypeError. */
export function optionalBoolean(api: string, name: string, value: unknown, fallback: boolean): boolean {
  return value === undefined ? fallback : expectBoolean(api, name, value);
}

/** Throws a TypeError unless `value` is a boolean. */
export function expectBoolean(api: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${api}: ${name} must be a boolean, got ${describeValue(value)}`);
  return value;
}

/** Throws unless `value` is a safe integer ≥ `min`: a TypeError for a non-number, else a RangeError. */
export function expectInteger(api: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
    throw new (typeof value === 'number' ? RangeError : TypeError)(`${api}: ${name} must be ${what}, got ${describeValue(value)}`);
  }
  return value;
}

/** Throws unless `value` is a non-empty string (a folder, a URL). */
export function expectNonEmptyString(api: string, name: string, value: unknown): string {
  if (expectString(api, name, value) === '') throw new RangeError(`${api}: ${name} must not be empty`);
  return value as string;
}
