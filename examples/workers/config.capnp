# workerd configuration for examples/workers (build the bundle first: npm run build:worker).
#   npx workerd serve examples/workers/config.capnp --socket-addr http=127.0.0.1:8787
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/worker.js"),
    (name = "lowbit/lowbit-relaxed.wasm", wasm = embed "../../build/lowbit-relaxed.wasm"),
    (name = "model.lbm", data = embed "../../models/fashion-cnn-1w4a.lbm"),
    (name = "resnet.lbm", data = embed "../../models/fashion-resnet-1w1a.lbm"),
  ],
  compatibilityDate = "2025-01-01",
);
