// Train the first float CNN on Fashion-MNIST and print per-epoch loss, accuracy and speed.
// An early check of the training stack (issue 4), not yet the documented architecture or schedule.
//
//   npm run build && node bench/train-float-cnn.mjs [--data DIR] [--epochs N] [--batch N] [--lr X] [--seed N]
//
// Without --data: Debian's dataset-fashion-mnist when installed, else the shipped subset.
import { parseArgs } from 'node:util';
import { init, loadFashionMnist } from '../dist/node/index.js';
import { Sequential, Sgd, trainEpoch, evaluate } from '../dist/train/sequential.js';
import { Conv2d } from '../dist/layers/conv2d.js';
import { Dense } from '../dist/layers/dense.js';
import { ReLU, MaxPool, Flatten, BatchNorm } from '../dist/layers/simple.js';

const { values } = parseArgs({ options: {
  data: { type: 'string' }, epochs: { type: 'string', default: '3' }, batch: { type: 'string', default: '64' },
  lr: { type: 'string', default: '0.05' }, seed: { type: 'string', default: '1' },
} });
const epochs = Number(values.epochs), batch = Number(values.batch), lr = Number(values.lr), seed = Number(values.seed);
const lb = await init();
const data = await loadFashionMnist(values.data);
console.log(`data: ${data.source} (${data.train.count} training, ${data.test.count} test images); lowbit ${lb.relaxedSimd ? 'relaxed' : 'baseline'} build`);
console.log(`model: conv 16 3x3 - BN - ReLU - pool 2 - conv 32 3x3 - BN - ReLU - pool 2 - dense 10; SGD lr ${lr} momentum 0.9 wd 1e-4, batch ${batch}, seed ${seed}`);
const model = new Sequential(lb.heap, [new Conv2d(16, 3), new BatchNorm(), new ReLU(), new MaxPool(2), new Conv2d(32, 3), new BatchNorm(), new ReLU(), new MaxPool(2), new Flatten(), new Dense(10)], [28, 28, 1], seed);
const opt = new Sgd(lb.heap, model.params(), lr, 0.9, 1e-4);
for (let e = 0; e < epochs; e++) {
  const r = trainEpoch(model, opt, data.train, batch, seed * 1000 + e);
  console.log(`epoch ${e + 1}: loss ${r.loss.toFixed(4)}, train accuracy ${(100 * r.accuracy).toFixed(2)}%, ${(r.images / r.seconds).toFixed(0)} images/s, test accuracy ${(100 * evaluate(model, data.test)).toFixed(2)}%`);
}
