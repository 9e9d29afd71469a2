// Builds the explorer into internal/web/explore/assets, which the amity binary embeds:
//
//   cd web/explore && npm ci && npm run build
//
// and copies axe-core into internal/web/explore/testdata for the browser test.
//
// Same inputs, same bytes: versions are pinned in package-lock.json, esbuild's output is
// deterministic, nothing time- or machine-dependent is written, and SOURCE.sha256 records
// the inputs so a Go test can tell when the committed bundle is older than its source.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "..", "internal", "web", "explore", "assets");
const read = (p) => readFileSync(join(here, p));
const mod = (p) => join(here, "node_modules", p);

// The world outline: Natural Earth 1:110m countries from world-atlas, each country
// tagged with its ISO 3166-1 alpha-2 code (the API's Country.code) from the ISO numeric
// code world-atlas gives. Only the codes are taken from i18n-iso-countries, at build time.
function worldModule() {
  const world = JSON.parse(readFileSync(mod("world-atlas/countries-110m.json"), "utf8"));
  const codes = JSON.parse(readFileSync(mod("i18n-iso-countries/codes.json"), "utf8"));
  const a2 = new Map(codes.map(([alpha2, , numeric]) => [numeric, alpha2]));
  for (const g of world.objects.countries.geometries) {
    g.properties = { name: g.properties.name, a2: (g.id && a2.get(g.id)) || null };
  }
  return JSON.stringify(world);
}

const virtualWorld = {
  name: "world",
  setup(build) {
    build.onResolve({ filter: /^virtual:world$/ }, () => ({ path: "world", namespace: "virtual" }));
    build.onLoad({ filter: /.*/, namespace: "virtual" }, () => ({ contents: worldModule(), loader: "json" }));
  },
};

const banner = "/* Amity explorer. Bundles d3-geo, d3-array, topojson-client and Natural Earth data (world-atlas): licenses at /explore/assets/LICENSES.txt */";

mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [join(here, "src", "main.js")],
  outfile: join(out, "explore.js"),
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  charset: "utf8",
  legalComments: "none",
  banner: { js: banner },
  loader: { ".graphql": "text" },
  plugins: [virtualWorld],
  logLevel: "warning",
});
await esbuild.build({
  entryPoints: [join(here, "src", "style.css")],
  outfile: join(out, "explore.css"),
  bundle: true,
  minify: true,
  charset: "utf8",
  logLevel: "warning",
});

// The documents the page sends, for the server's trusted-documents list and the tests.
writeFileSync(join(out, "queries.graphql"), read("src/queries.graphql"));

const licenses = [
  ["d3-geo", "d3-geo/LICENSE"],
  ["d3-array", "d3-array/LICENSE"],
  ["topojson-client", "topojson-client/LICENSE"],
  ["world-atlas (Natural Earth data, public domain; packaging ISC)", "world-atlas/LICENSE"],
  ["i18n-iso-countries (country codes, used at build time)", "i18n-iso-countries/LICENSE"],
];
writeFileSync(join(out, "LICENSES.txt"), licenses.map(([name, p]) => `== ${name}\n\n${readFileSync(mod(p), "utf8").trim()}\n`).join("\n"));

// axe-core, the accessibility checker that the browser test injects into the page, is
// neither bundled nor served: it is copied with its licenses under the test's testdata,
// so the test needs neither Node nor the network.
const axe = join(here, "..", "..", "internal", "web", "explore", "testdata", "axe-core");
mkdirSync(axe, { recursive: true });
for (const f of ["axe.min.js", "LICENSE", "LICENSE-3RD-PARTY.txt"]) writeFileSync(join(axe, f), readFileSync(mod("axe-core/" + f)));

// SOURCE.sha256: one line per input, sorted, as sha256sum prints them.
const inputs = ["build.mjs", "package.json", "package-lock.json", ...readdirSync(join(here, "src")).sort().map((f) => "src/" + f)];
writeFileSync(join(out, "SOURCE.sha256"), inputs.map((f) => `${createHash("sha256").update(read(f)).digest("hex")}  ${f}\n`).join(""));
