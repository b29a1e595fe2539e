// Reading ONNX node attributes, and the error for what cannot be lowered.
import { LowbitError } from '../errors.js';
import type { Attr, OnnxNode } from './decode.js';

export const cannot = (where: string, msg: string) => new LowbitError('CANNOT_COMPILE', `${where}: ${msg}`);

export function attr(n: OnnxNode, name: string): Attr | undefined { return n.attrs.get(name); }
export function attrInt(n: OnnxNode, name: string, d: number): number { const a = attr(n, name); return a?.kind === 'i' ? a.v : a?.kind === 'f' ? a.v : d; }
export function attrFloat(n: OnnxNode, name: string, d: number): number { const a = attr(n, name); return a?.kind === 'f' ? a.v : a?.kind === 'i' ? a.v : d; }
export function attrInts(n: OnnxNode, name: string): number[] | undefined { const a = attr(n, name); return a?.kind === 'ints' ? a.v : undefined; }
export function attrStr(n: OnnxNode, name: string, d: string): string { const a = attr(n, name); return a?.kind === 's' ? a.v : d; }
