// The integer node kinds of a graph plan besides weight steps, one file each. The model file's
// reader, its validation and the Engine find a kind here by its op name.
import type { NodeOp } from './node-op.js';
import { add, type AddNode } from './add.js';
import { avgpool, type AvgPoolNode } from './avgpool.js';
import { concat, type ConcatNode } from './concat.js';
import { prelu, type PReLUNode } from './prelu.js';
import { requant, type RequantNode } from './requant.js';
import { threshold, type ThresholdNode } from './threshold.js';

export type IntNode = AddNode | AvgPoolNode | ConcatNode | ThresholdNode | RequantNode | PReLUNode;

const NODES: Record<string, NodeOp<IntNode>> = { add, avgpool, concat, threshold, requant, prelu };

/** The integer node kind named `op`, if there is one. */
export const intNode = (op: unknown): NodeOp<IntNode> | undefined => (typeof op === 'string' && Object.hasOwn(NODES, op) ? NODES[op] : undefined);
