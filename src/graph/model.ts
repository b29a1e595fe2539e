// A trainable graph model: layers in a topological order over values in wasm memory. Forward runs
// the nodes in order; backward runs them in reverse, summing the gradients of a value that feeds
// several nodes (fan-out). Values are numbered inputs first, then node i's output = inputs + i.
import { LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import { isMerge, Slot, type AnyLayer, type Param } from '../ops/layer.js';
import { layerFromJson } from '../ops/registry.js';
import { Value, type GraphNode } from './graph.js';

/** A node of a built model: its layer and the indices of the values it reads. */
export interface ModelNode { readonly layer: AnyLayer; readonly inputs: readonly number[] }

/** The indexed form of a graph (what `Model.toJSON` writes and `modelFromJson` reads). */
export interface GraphJson {
  format: 'lowbit-graph';
  version: 1;
  inputs: number[][];
  nodes: { op: string; config: Record<string, unknown>; inputs: number[] }[];
  outputs: number[];
}

interface Indexed { inputShapes: number[][]; nodes: ModelNode[]; outputs: number[] }

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The builder's values to indexed form: nodes reachable from the outputs, in creation order. */
function index(spec: { inputs: Value[]; outputs: Value[] }): Indexed {
  const { inputs, outputs } = spec;
  if (!Array.isArray(inputs) || inputs.length < 1 || !inputs.every((v) => v instanceof Value && v.node === null)) throw new LowbitError('BAD_ARGUMENT', 'Model inputs must be a non-empty array of values made by input()');
  if (!Array.isArray(outputs) || outputs.length < 1 || !outputs.every((v) => v instanceof Value)) throw new LowbitError('BAD_ARGUMENT', 'Model outputs must be a non-empty array of values made by input() or apply()');
  const reached = new Map<number, GraphNode>(), stack = [...outputs];
  while (stack.length) {
    const v = stack.pop()!;
    if (!v.node) {
      if (!inputs.includes(v)) throw new LowbitError('BAD_ARGUMENT', `an output depends on an input of shape [${v.inputShape!.join(', ')}] that is not in the model's inputs`);
      continue;
    }
    if (!reached.has(v.node.id)) { reached.set(v.node.id, v.node); stack.push(...v.node.inputs); }
  }
  const order = [...reached.values()].sort((a, b) => a.id - b.id);
  const layers = new Set<AnyLayer>();
  for (const n of order) {
    if (layers.has(n.layer)) throw new LowbitError('BAD_ARGUMENT', `${n.layer.name} is applied twice; make a new layer for each use (shared weights are not supported)`);
    layers.add(n.layer);
  }
  const at = new Map<Value, number>(inputs.map((v, i) => [v, i]));
  const outOf = new Map<number, number>(order.map((n, i) => [n.id, inputs.length + i]));
  const valueIndex = (v: Value) => (v.node ? outOf.get(v.node.id)! : at.get(v)!);
  return {
    inputShapes: inputs.map((v) => [...v.inputShape!]),
    nodes: order.map((n) => ({ layer: n.layer, inputs: n.inputs.map(valueIndex) })),
    outputs: outputs.map(valueIndex),
  };
}

export class Model {
  readonly nodes: readonly ModelNode[];
  readonly inputShapes: number[][];
  readonly outputs: readonly number[];
  /** per-sample shape of every value (inputs first, then node outputs) */
  readonly shapes: number[][];
  private readonly needsGrad: boolean[];
  private readonly acc: Slot[];

  /** Build every layer (allocating its parameters) for a graph given as builder values or indexed form. */
  constructor(readonly heap: Heap, spec: { inputs: Value[]; outputs: Value[] } | Indexed, seed = 1) {
    const g = 'inputShapes' in spec ? spec : index(spec);
    this.inputShapes = g.inputShapes; this.nodes = g.nodes; this.outputs = g.outputs;
    this.shapes = g.inputShapes.map((s) => [...s]);
    this.needsGrad = g.inputShapes.map(() => false);
    const built: AnyLayer[] = [];
    try {
      g.nodes.forEach((n, i) => {
        const l = n.layer, ins = n.inputs.map((v) => this.shapes[v]);
        const out = isMerge(l) ? l.build(heap, ins, seed * 7919 + i) : l.build(heap, ins[0], seed * 7919 + i);
        built.push(l);
        const wantIn = n.inputs.some((v) => this.needsGrad[v]);
        if (!isMerge(l) && 'inputGrad' in l) l.inputGrad = wantIn;
        this.shapes.push(out);
        this.needsGrad.push(wantIn || l.params().length > 0);
      });
    } catch (e) {
      for (const l of built) l.dispose();
      throw e;
    }
    this.acc = this.shapes.map(() => new Slot(heap));
  }

  /** The layers in topological order. */
  get layers(): AnyLayer[] { return this.nodes.map((n) => n.layer); }
  /** The first input's per-sample shape. */
  get inShape(): number[] { return this.inputShapes[0]; }
  /** The first output's per-sample shape. */
  get outShape(): number[] { return this.shapes[this.outputs[0]]; }

  /** Run a single-input model; returns a pointer to its first output (valid until the next pass). */
  forward(x: number, batch: number, training: boolean): number { return this.forwardAll([x], batch, training)[0]; }

  /** Run the graph on one pointer per input; returns one pointer per output. */
  forwardAll(xs: number[], batch: number, training: boolean): number[] {
    if (xs.length !== this.inputShapes.length) throw new LowbitError('BAD_ARGUMENT', `the model has ${this.inputShapes.length} inputs, got ${xs.length}`);
    const v = [...xs];
    for (const n of this.nodes) {
      const l = n.layer;
      v.push(isMerge(l) ? l.forward(n.inputs.map((i) => v[i]), batch, training) : l.forward(v[n.inputs[0]], batch, training));
    }
    return this.outputs.map((o) => v[o]);
  }

  /** Gradient of the loss with respect to the first output; leaves parameter gradients in the params. */
  backward(dy: number, batch: number): void { this.backwardAll([dy], batch); }

  /** One gradient pointer per output (0: none). */
  backwardAll(dys: number[], batch: number): void {
    const grads = this.shapes.map(() => 0);
    const add = (v: number, p: number) => {
      if (!p || !this.needsGrad[v]) return;
      if (!grads[v]) { grads[v] = p; return; }
      const n = batch * size(this.shapes[v]), acc = this.acc[v].get(n * 4);
      this.heap.wasm.addF32(grads[v], p, acc, n);
      grads[v] = acc;
    };
    this.outputs.forEach((o, k) => add(o, dys[k]));
    const first = this.inputShapes.length;
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i], g = grads[first + i], l = n.layer;
      if (!g) continue;
      if (isMerge(l)) l.backward(g, batch).forEach((d, k) => add(n.inputs[k], d));
      else add(n.inputs[0], l.backward(g, batch));
    }
  }

  params(): Param[] { return this.layers.flatMap((l) => l.params()); }

  /** The graph as JSON: ops, their configs and edges (no weights). */
  toJSON(): GraphJson {
    return {
      format: 'lowbit-graph', version: 1, inputs: this.inputShapes.map((s) => [...s]),
      nodes: this.nodes.map((n) => ({ op: n.layer.op, config: JSON.parse(JSON.stringify(n.layer.config())) as Record<string, unknown>, inputs: [...n.inputs] })),
      outputs: [...this.outputs],
    };
  }

  /**
   * A Larq-style summary: weights, their storage once quantized, and multiply-accumulates per
   * sample, by weight precision ("1-bit: 819,200 weights (100 KiB), 3.6 M MACs; ...").
   */
  summary(): string {
    const by = new Map<number, { weights: number; macs: number }>();
    for (const l of this.layers) {
      const c = l.cost?.();
      if (!c) continue;
      const e = by.get(c.weightBits) ?? { weights: 0, macs: 0 };
      e.weights += c.weights; e.macs += c.macs;
      by.set(c.weightBits, e);
    }
    const kib = (bits: number) => `${(bits / 8 / 1024).toFixed(1)} KiB`;
    const total = [...by].reduce((a, [b, e]) => a + b * e.weights, 0);
    const parts = [...by].sort((a, b) => a[0] - b[0]).map(([b, e]) =>
      `${b === 32 ? 'float32' : `${b}-bit`}: ${e.weights.toLocaleString('en-US')} weights (${kib(b * e.weights)}), ${(e.macs / 1e6).toFixed(2)} M MACs`);
    return `${parts.join('; ')}; weights stored in ${kib(total)} (float32: ${kib(32 * [...by.values()].reduce((a, e) => a + e.weights, 0))})`;
  }

  dispose(): void { for (const l of this.layers) l.dispose(); for (const s of this.acc) s.free(); }
}

const MAX_NODES = 10000;

/**
 * Rebuild a model from its JSON (a checkpoint's or a graph file's), checking every field first:
 * shapes, known ops, edges that point only backwards (so no cycles), outputs in range.
 */
export function modelFromJson(heap: Heap, json: unknown, seed = 1, what = 'model graph', code: 'BAD_MODEL' | 'BAD_CHECKPOINT' = 'BAD_MODEL'): Model {
  const bad = (msg: string) => new LowbitError(code, `${what}: ${msg}`);
  const j = json as GraphJson;
  if (typeof j !== 'object' || j === null || j.format !== 'lowbit-graph' || j.version !== 1) throw bad('not a lowbit graph (format lowbit-graph, version 1)');
  if (!Array.isArray(j.inputs) || j.inputs.length < 1 || j.inputs.length > 16) throw bad('inputs must be an array of 1 to 16 shapes');
  for (const s of j.inputs) {
    if (!Array.isArray(s) || s.length < 1 || s.length > 4 || !s.every((d) => Number.isInteger(d) && d >= 1 && d <= 65536)) throw bad(`input shape ${JSON.stringify(s)} is not 1 to 4 integers in [1, 65536]`);
  }
  if (!Array.isArray(j.nodes) || j.nodes.length < 1 || j.nodes.length > MAX_NODES) throw bad(`nodes must be an array of 1 to ${MAX_NODES}`);
  const nodes: ModelNode[] = [];
  j.nodes.forEach((n, i) => {
    const have = j.inputs.length + i;
    if (typeof n !== 'object' || n === null || !Array.isArray(n.inputs) || n.inputs.length < 1 || n.inputs.length > 64 || !n.inputs.every((v) => Number.isInteger(v) && v >= 0 && v < have)) {
      throw bad(`node ${i} must read 1 to 64 earlier values (indices below ${have})`);
    }
    let layer: AnyLayer;
    try { layer = layerFromJson(n.op, n.config); } catch (e) { throw bad(`node ${i} (${String(n.op)}): ${(e as Error).message}`); }
    if (isMerge(layer) ? n.inputs.length < 2 : n.inputs.length !== 1) throw bad(`node ${i} (${layer.name}) takes ${isMerge(layer) ? 'two or more inputs' : 'one input'}, got ${n.inputs.length}`);
    nodes.push({ layer, inputs: [...n.inputs] });
  });
  const values = j.inputs.length + nodes.length;
  if (!Array.isArray(j.outputs) || j.outputs.length < 1 || j.outputs.length > 16 || !j.outputs.every((v) => Number.isInteger(v) && v >= 0 && v < values)) throw bad(`outputs must be 1 to 16 value indices below ${values}`);
  try {
    return new Model(heap, { inputShapes: j.inputs.map((s) => [...s]), nodes, outputs: [...j.outputs] }, seed);
  } catch (e) {
    if (e instanceof LowbitError) throw bad(e.message);
    throw e;
  }
}
