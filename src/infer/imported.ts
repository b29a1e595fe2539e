// Imported (ONNX) models in the Engine: their float nodes, float input and output. The 'lowbit'
// entry installs this; lowbit/engine leaves it out to stay small.
import { setFloatFormat, setMultiIOFormat } from './format.js';
import { multiIOFormat } from './multi-io-format.js';
import { floatFormat } from './float-format.js';
import { setFloatRunners } from './nodes.js';
import { makeFloatNodeRunner } from './float-nodes.js';
import { setImportedRun, setRunAll } from './engine.js';
import { runAll } from './run-all.js';
import { runImported } from './imported-run.js';

export function enableImportedModels(): void {
  setFloatFormat(floatFormat);
  setMultiIOFormat(multiIOFormat);
  setFloatRunners(makeFloatNodeRunner);
  setImportedRun(runImported);
  setRunAll(runAll);
}
