// PostGraphile v5 preset for the Amity benchmark: production settings over an Amity bench
// database (docs/benchmarks.md). No GraphiQL, no watch mode, no explain, no introspection
// of anything but the public schema. DATABASE_URL names the database; PG_POOL_MAX sizes this
// process's pool (server.mjs gives each worker its share of the total the harness passes).
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

if (!process.env.DATABASE_URL) {
  throw new Error("DATABASE_URL is not set");
}

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.PG_POOL_MAX || 20) },
    }),
  ],
  grafserv: {
    graphqlPath: "/graphql",
    graphiql: false,
    watch: false,
    maxRequestLength: 1 << 20,
  },
  grafast: {
    explain: false,
  },
};

export default preset;
