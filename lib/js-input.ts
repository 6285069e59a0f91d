// Arguments from JS carry no guarantee: a JS caller, or a TypeScript one with a cast, can pass
// anything. Validation code reads them through this type, so that every check it makes is one
// the compiler agrees is needed (and lint's no-unnecessary-condition does not flag).

/** An options object as it may arrive from JS: possibly absent, any field of any type. */
export type JsInput<T> = { readonly [K in keyof T]?: unknown } | null | undefined;
