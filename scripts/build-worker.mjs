// Bundle examples/workers/worker.js for workerd: 'lowbit' is this repository's web-standard build
// (in a project of your own it is the installed package, and wrangler bundles it itself); the wasm
// and the model stay imports, which config.capnp provides as modules.
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
await build({
  entryPoints: [`${root}examples/workers/worker.js`],
  bundle: true, format: 'esm', platform: 'neutral', logLevel: 'warning',
  outfile: `${root}examples/workers/dist/worker.js`,
  external: ['lowbit/lowbit-relaxed.wasm', './model.lbm', './resnet.lbm'],
  plugins: [{
    name: 'lowbit-from-this-repository',
    setup(b) { b.onResolve({ filter: /^lowbit$/ }, () => ({ path: `${root}dist/lowbit.js` })); },
  }],
});
