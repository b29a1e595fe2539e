/** Every error lowbit raises on purpose: `code` is stable, `message` says what is wrong and how to fix it. */
export class LowbitError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'LowbitError';
    this.code = code;
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
