// The documented CNN in TensorFlow.js on its wasm backend (1 thread, float32), for the training
// speed comparison in bench/train-speed.mjs. Built from tfjs-core ops, not tfjs-layers: the wasm
// backend has no Conv2DBackpropFilter kernel (tfjs-layers' conv2d fails with "Kernel
// 'Conv2DBackpropFilter' not registered for backend 'wasm'"), so the convolutions use a custom
// gradient whose filter gradient is kh*kw matrix products over shifted input windows, all run by
// the wasm backend's own kernels (XNNPACK matmul). Its input gradient is tf.conv2dTranspose.
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export async function tfjsWasm() {
  setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  return tf;
}

/**
 * dW[kh][kw][c][f] = sum over n, y, x of xpad[n][y+kh][x+kw][c] * dy[n][y][x][f] ('same', stride 1):
 * im2col by k*k shifted slices concatenated on channels, then one matrix product. Of the forms
 * tried (k*k products with transposeA, one product with transposeA, this one) this was fastest.
 */
function filterGrad(x, dy, k) {
  const [n, h, w, c] = x.shape, f = dy.shape[3], p = (k - 1) >> 1;
  const xp = tf.pad(x, [[0, 0], [p, k - 1 - p], [p, k - 1 - p], [0, 0]]);
  const taps = [];
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) taps.push(tf.slice(xp, [0, i, j, 0], [n, h, w, c]));
  const cols = tf.reshape(tf.concat(taps, 3), [n * h * w, k * k * c]);
  return tf.reshape(tf.matMul(tf.transpose(cols), tf.reshape(dy, [n * h * w, f])), [k, k, c, f]);
}

function conv(first) {
  return tf.customGrad((x, w, save) => {
    save([x, w]);
    return {
      value: tf.conv2d(x, w, 1, 'same'),
      gradFunc: (dy, [xs, ws]) => [first ? tf.zerosLike(xs) : tf.conv2dTranspose(dy, ws, xs.shape, 1, 'same'), filterGrad(xs, dy, ws.shape[0])],
    };
  });
}

function batchNorm(x, gamma, beta) {
  const axes = x.rank === 4 ? [0, 1, 2] : [0];
  const { mean, variance } = tf.moments(x, axes);
  return tf.batchNorm(x, mean, variance, beta, gamma, 1e-3);
}

/** conv 32 - BN - ReLU - pool - conv 64 - BN - ReLU - pool - dense 256 - BN - ReLU - dense 10. */
export function makeCnn(seed = 1) {
  const he = (shape, fanIn, i) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed + i));
  const v = {
    w1: he([3, 3, 1, 32], 9, 1), g1: tf.variable(tf.ones([32])), b1: tf.variable(tf.zeros([32])),
    w2: he([3, 3, 32, 64], 288, 2), g2: tf.variable(tf.ones([64])), b2: tf.variable(tf.zeros([64])),
    w3: he([3136, 256], 3136, 3), g3: tf.variable(tf.ones([256])), b3: tf.variable(tf.zeros([256])),
    w4: he([256, 10], 256, 4), b4: tf.variable(tf.zeros([10])),
  };
  const conv1 = conv(true), conv2 = conv(false);
  const forward = (x) => {
    let y = tf.maxPool(tf.relu(batchNorm(conv1(x, v.w1), v.g1, v.b1)), 2, 2, 'valid');
    y = tf.maxPool(tf.relu(batchNorm(conv2(y, v.w2), v.g2, v.b2)), 2, 2, 'valid');
    y = tf.relu(batchNorm(tf.matMul(tf.reshape(y, [y.shape[0], 3136]), v.w3), v.g3, v.b3));
    return tf.add(tf.matMul(y, v.w4), v.b4);
  };
  return { vars: v, forward };
}

/** Trains on `count` images (u8, 28x28) with momentum SGD; returns images per second. */
export function trainSteps(model, images, labels, count, batch, lr = 0.05) {
  const opt = tf.train.momentum(lr, 0.9);
  const t0 = performance.now();
  for (let from = 0; from + batch <= count; from += batch) {
    tf.tidy(() => {
      const x = tf.div(tf.tensor4d(Float32Array.from(images.subarray(from * 784, (from + batch) * 784)), [batch, 28, 28, 1]), 255);
      const y = tf.oneHot(tf.tensor1d(labels.subarray(from, from + batch), 'int32'), 10);
      const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.forward(x)), true);
      cost.dataSync();
    });
  }
  opt.dispose();
  return (Math.floor(count / batch) * batch) / ((performance.now() - t0) / 1000);
}
