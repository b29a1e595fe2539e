// The functional builder: symbolic values made by `input` and by applying layers to values.
//   const x = input([28, 28, 1]);
//   const h = apply(new Conv2d(16, 3), x);
//   const y = apply(new Add(), h, apply(new Conv2d(16, 3), h));   // fan-out and a merge
//   const model = new Model(lb.heap, { inputs: [x], outputs: [y] });
// A value's node is the layer application that made it (none for inputs); shapes are worked out
// when the Model is built. Nodes are numbered in creation order, which is a topological order.
import { LowbitError } from '../errors.js';
import { isMerge, type AnyLayer } from '../ops/layer.js';

let counter = 0;

export interface GraphNode {
  readonly id: number;
  readonly layer: AnyLayer;
  readonly inputs: readonly Value[];
}

/** A symbolic value: a graph input (node null, with its per-sample shape) or a layer's output. */
export class Value {
  readonly id = ++counter;
  constructor(readonly node: GraphNode | null, readonly inputShape: readonly number[] | null) {}
}

/** A graph input of per-sample shape `shape` ([height, width, channels] for images, [features] for vectors). */
export function input(shape: number[]): Value {
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 4 || !shape.every((d) => Number.isInteger(d) && d >= 1 && d <= 65536)) {
    throw new LowbitError('BAD_SHAPE', `input shape must be 1 to 4 dimensions, each an integer in [1, 65536], got ${JSON.stringify(shape)}`);
  }
  return new Value(null, [...shape]);
}

/** Apply `layer` to `inputs` (one for a plain layer, two or more for add / concat); returns its output. */
export function apply(layer: AnyLayer, ...inputs: Value[]): Value {
  if (!layer || typeof (layer as AnyLayer).build !== 'function') throw new LowbitError('BAD_ARGUMENT', 'apply needs a layer (e.g. new Dense(10)) as its first argument');
  if (!inputs.every((v) => v instanceof Value)) throw new LowbitError('BAD_ARGUMENT', `${layer.name}: apply takes values made by input() or apply()`);
  if (isMerge(layer) ? inputs.length < 2 : inputs.length !== 1) {
    throw new LowbitError('BAD_ARGUMENT', `${layer.name} takes ${isMerge(layer) ? 'two or more inputs' : 'one input'}, got ${inputs.length}`);
  }
  return new Value({ id: ++counter, layer, inputs }, null);
}
