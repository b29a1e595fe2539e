// Failing comparisons of long typed arrays print a short summary (how many elements differ, the
// first few with their index) instead of a diff of every element, which for a 28x28x64 output took
// minutes and megabytes. Everything else goes to the built-in toEqual.
import { chai } from 'vitest';

const isTyped = (v: unknown): v is ArrayLike<number | bigint> & ArrayBufferView => ArrayBuffer.isView(v) && !(v instanceof DataView);
const LONG = 64;

function summary(got: ArrayLike<number | bigint> & ArrayBufferView, want: ArrayLike<number | bigint> & ArrayBufferView): string | undefined {
  const name = (a: ArrayBufferView) => a.constructor.name;
  if (name(got) !== name(want) || got.length !== want.length) return `expected ${name(want)}(${want.length}), got ${name(got)}(${got.length})`;
  const diffs: number[] = [];
  let count = 0;
  for (let i = 0; i < got.length; i++) {
    if (got[i] === want[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) continue;
    if (diffs.length < 5) diffs.push(i);
    count++;
  }
  if (!count) return undefined;
  return `${count} of ${got.length} elements of the ${name(got)} differ; first at ${diffs.map((i) => `[${i}]: got ${got[i]}, expected ${want[i]}`).join('; ')}`;
}

chai.use((c, utils) => {
  utils.overwriteMethod(c.Assertion.prototype, 'toEqual', (original: (...a: unknown[]) => unknown) => function (this: object, expected: unknown, ...rest: unknown[]) {
    const received = utils.flag(this, 'object');
    if (!isTyped(received) || !isTyped(expected) || Math.max(received.length, expected.length) <= LONG) return original.call(this, expected, ...rest);
    const differs = summary(received, expected), negate = !!utils.flag(this, 'negate'), what = utils.flag(this, 'message');
    const prefix = what ? `${what}: ` : '';
    if (!negate && differs) throw new c.AssertionError(`${prefix}${differs}`);
    if (negate && !differs) throw new c.AssertionError(`${prefix}expected the ${received.constructor.name}(${received.length}) to differ, but every element is equal`);
  });
});
