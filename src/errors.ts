/** The stable error codes (docs/errors.md says what each means and what to do). */
export type LowbitErrorCode =
  | 'BAD_ARGUMENT' | 'BAD_SHAPE' | 'OUT_OF_MEMORY' | 'DISPOSED'
  | 'BAD_MODEL' | 'BAD_CHECKPOINT' | 'BAD_IMAGE' | 'BAD_DATA' | 'BAD_FILE' | 'FILE_NOT_FOUND' | 'DATA_MISSING' | 'CANNOT_WRITE'
  | 'CANNOT_COMPILE' | 'NAN_LOSS'
  | 'NO_WASM_SIMD' | 'NO_RELAXED_SIMD' | 'WASM_LOAD' | 'WASM_INVALID' | 'WASM_ABORT';

/** Marks lowbit's errors across copies of the class (the 'lowbit' and 'lowbit/engine' bundles each carry one). */
const BRAND = Symbol.for('lowbit.LowbitError');

/** Every error lowbit raises on purpose: `code` is stable, `message` says what is wrong and how to fix it. */
export class LowbitError extends Error {
  readonly code: LowbitErrorCode;
  constructor(code: LowbitErrorCode, message: string) {
    super(message);
    this.name = 'LowbitError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** `e instanceof LowbitError` holds for errors from either entry point's copy of the class. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Throw LowbitError('BAD_ARGUMENT') unless `n` is an integer in [min, max]. */
export function checkInt(name: string, n: unknown, min = 1, max = 0x7fffffff): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new LowbitError('BAD_ARGUMENT', `${name} must be an integer in [${min}, ${max}], got ${String(n)}`);
  }
  return n;
}

type TypedArrayCtor = { new (...args: never[]): ArrayBufferView; readonly name: string };

/** Throw unless `a` is an instance of `ctor` with exactly `length` elements. */
export function checkArray(name: string, a: unknown, ctor: TypedArrayCtor, length: number, layout: string): void {
  if (!(a instanceof ctor)) {
    const got = a === null ? 'null' : typeof a === 'object' ? (a as object).constructor?.name : typeof a;
    const article = ctor.name.startsWith('Int') ? 'an' : 'a'; // an Int32Array, a Uint32Array
    throw new LowbitError('BAD_ARGUMENT', `${name} must be ${article} ${ctor.name}, got ${got}`);
  }
  const len = (a as unknown as { length: number }).length;
  if (len !== length) {
    throw new LowbitError('BAD_SHAPE', `${name} has ${len} elements but ${layout} needs ${length}`);
  }
}

/** Validate an optional output array: undefined, or a `ctor` of exactly `length` elements. */
export function checkOut<T>(out: T | undefined, ctor: TypedArrayCtor, length: number, layout: string): T | undefined {
  if (out !== undefined) checkArray('out', out, ctor, length, layout);
  return out;
}

/**
 * Throw LowbitError('BAD_ARGUMENT') when `options` has a key outside `allowed`, naming it and the
 * allowed keys: a misspelt or unsupported option must not be silently ignored. `hints`: what to say
 * of options other libraries take that this call does not implement.
 */
export function checkOptions(what: string, options: unknown, allowed: readonly string[], hints: Record<string, string> = {}): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new LowbitError('BAD_ARGUMENT', `${what} options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const why = Object.hasOwn(hints, key) ? hints[key] : undefined;
    throw new LowbitError('BAD_ARGUMENT', `${what}: ${why ? `option '${key}': ${why}` : `unknown option '${key}'`}; the options are ${allowed.join(', ')}`);
  }
}
