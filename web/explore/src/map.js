// The world map: Natural Earth 1:110m countries (world-atlas, shipped in the bundle),
// projected in the browser with d3-geo, one great-circle arc per partnership.
//
// Cities without coordinates (the shipped knowledge states none) are not given invented
// ones: they are drawn as hollow "location unknown" markers at the centre of their
// country, their arcs dotted, and the legend says so.
import { geoArea, geoCentroid, geoGraticule10, geoNaturalEarth1, geoPath } from "d3-geo";
import { feature, mesh } from "topojson-client";
import world from "virtual:world";
import { clear, h, s } from "./dom.js";

const W = 960;
const H = 500;
const LABEL_LIMIT = 40;

export const KINDS = {
  SISTER_CITY: { label: "Sister city", cls: "sister" },
  FRIENDLY_EXCHANGE: { label: "Friendly exchange", cls: "friendly" },
};

const countries = feature(world, world.objects.countries).features;
const land = feature(world, world.objects.land);
const borders = mesh(world, world.objects.countries, (a, b) => a !== b);
const byCode = new Map(countries.filter((f) => f.properties.a2).map((f) => [f.properties.a2, f]));
const anchors = new Map();

// countryAnchor is where a city of unknown location is drawn: the centroid of the largest
// part of its country (so France's is in Europe, not between Europe and Guiana).
function countryAnchor(code) {
  if (anchors.has(code)) return anchors.get(code);
  const f = byCode.get(code);
  let at = null;
  if (f) {
    let g = f.geometry;
    if (g.type === "MultiPolygon") {
      let best = null;
      let bestArea = -1;
      for (const coordinates of g.coordinates) {
        const p = { type: "Polygon", coordinates };
        const a = geoArea(p);
        if (a > bestArea) [best, bestArea] = [p, a];
      }
      g = best;
    }
    at = geoCentroid(g);
  }
  anchors.set(code, at);
  return at;
}

// place returns a city's position and whether it is only its country's.
function place(city) {
  if (city.location) return { at: [city.location.longitude, city.location.latitude], approx: false };
  const at = city.country ? countryAnchor(city.country.code) : null;
  return { at, approx: true };
}

export function createMap(root, { href, onSelect }) {
  const titleId = "map-title";
  const descId = "map-desc";
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "map", role: "group", "aria-labelledby": titleId, "aria-describedby": descId });
  const title = s("title", { id: titleId }, "World map");
  const desc = s("desc", { id: descId }, "Search a city to see its partnerships.");
  const gBase = s("g", { class: "base", "aria-hidden": "true" });
  const gTint = s("g", { class: "tint", "aria-hidden": "true" });
  const gBorders = s("g", { class: "borders", "aria-hidden": "true" });
  const gArcs = s("g", { class: "arcs", "aria-hidden": "true" });
  const gMarkers = s("g", { class: "markers" });
  const gLabels = s("g", { class: "labels", "aria-hidden": "true" });
  svg.append(title, desc, gBase, gTint, gBorders, gArcs, gMarkers, gLabels);
  root.append(svg);

  let projection = geoNaturalEarth1();
  let path = geoPath(projection);

  function drawBase(lon) {
    projection = geoNaturalEarth1().rotate([-lon, 0]).fitExtent([[6, 6], [W - 6, H - 6]], { type: "Sphere" });
    path = geoPath(projection);
    clear(gBase).append(
      s("path", { class: "sphere", d: path({ type: "Sphere" }) }),
      s("path", { class: "graticule", d: path(geoGraticule10()) }),
      s("path", { class: "land", d: path(land) }),
    );
    clear(gBorders).append(s("path", { class: "border", d: path(borders) }));
  }
  drawBase(0);

  function marker(city, p, role, kind, offset) {
    const [x, y] = projection(p.at);
    const cx = x + offset[0];
    const cy = y + offset[1];
    const where = p.approx ? " — location unknown, shown at the centre of its country" : "";
    const label = `${city.name}, ${city.country ? city.country.name : "country unknown"}${where}`;
    const cls = `marker ${role}${kind ? " " + KINDS[kind]?.cls : ""}${p.approx ? " approx" : ""}`;
    const circle = s("circle", { cx: cx.toFixed(1), cy: cy.toFixed(1), r: role === "center" ? 6 : 4.5 });
    if (role === "center") {
      return { el: s("g", { class: cls, "data-name": city.name, "data-approx": p.approx ? "true" : null, role: "img", "aria-label": label }, s("title", null, label), circle), x: cx, y: cy };
    }
    const a = s("a", { href: href(city), class: cls, "data-id": city.id, "data-name": city.name, "data-approx": p.approx ? "true" : null, "aria-label": `Partner: ${label}` }, s("title", null, label), circle);
    a.addEventListener("click", (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      onSelect(city);
    });
    return { el: a, x: cx, y: cy };
  }

  // render draws a city and its partnerships. rows are { kind, partner } items.
  function render(city, rows) {
    const c = place(city);
    drawBase(c.at ? c.at[0] : 0);
    clear(gTint);
    clear(gArcs);
    clear(gMarkers);
    clear(gLabels);
    const tinted = new Set();
    const tint = (code, cls) => {
      const f = byCode.get(code);
      if (!f || tinted.has(code)) return;
      tinted.add(code);
      gTint.append(s("path", { class: cls, d: path(f) }));
    };
    if (city.country) tint(city.country.code, "home");
    const arcs = document.createDocumentFragment();
    const markers = document.createDocumentFragment();
    const labels = document.createDocumentFragment();
    // Cities drawn at the same anchor are spread on a small spiral so each stays visible
    // and clickable.
    const stacked = new Map();
    const spread = (at) => {
      const key = at.join(",");
      const n = stacked.get(key) || 0;
      stacked.set(key, n + 1);
      if (n === 0) return [0, 0];
      const r = 5 * Math.sqrt(n);
      const t = n * 2.39996;
      return [r * Math.cos(t), r * Math.sin(t)];
    };
    if (c.at) spread(c.at);
    const unplaced = [];
    let drawn = 0;
    for (const row of rows) {
      const partner = row.partner;
      if (partner.country) tint(partner.country.code, "partner");
      const p = place(partner);
      if (!p.at) {
        unplaced.push(partner);
        continue;
      }
      const cls = `arc ${KINDS[row.kind]?.cls || "other"}${p.approx || c.approx ? " approx" : ""}`;
      if (c.at) {
        const d = path({ type: "LineString", coordinates: [c.at, p.at] });
        if (d) arcs.append(s("path", { class: cls, d }));
      }
      const m = marker(partner, p, "partner", row.kind, spread(p.at));
      markers.append(m.el);
      if (rows.length <= LABEL_LIMIT) labels.append(s("text", { x: (m.x + 7).toFixed(1), y: (m.y + 4).toFixed(1), class: p.approx ? "approx" : null }, partner.name));
      drawn++;
    }
    if (c.at) {
      const m = marker(city, c, "center", null, [0, 0]);
      markers.append(m.el);
      labels.append(s("text", { x: (m.x + 9).toFixed(1), y: (m.y - 7).toFixed(1), class: `center${c.approx ? " approx" : ""}` }, city.name));
    }
    gArcs.append(arcs);
    gMarkers.append(markers);
    gLabels.append(labels);
    title.textContent = `Map of ${city.name}'s partnerships`;
    desc.textContent = `${city.name} and ${drawn} partner ${drawn === 1 ? "city" : "cities"} with a great-circle arc per partnership.` +
      (unplaced.length ? ` ${unplaced.length} not on the map: their country is not on it.` : "");
    return { unplaced, centerApprox: c.approx };
  }

  function reset() {
    drawBase(0);
    for (const g of [gTint, gArcs, gMarkers, gLabels]) clear(g);
    title.textContent = "World map";
    desc.textContent = "Search a city to see its partnerships.";
  }

  return { render, reset, isApprox: (city) => place(city).approx };
}

export function legend(counts) {
  return h("ul", { class: "legend", "aria-label": "Legend" },
    Object.entries(KINDS).map(([kind, k]) => h("li", null, h("span", { class: `swatch ${k.cls}`, "aria-hidden": "true" }), `${k.label} (${counts[kind] || 0})`)),
    h("li", null, h("span", { class: "swatch approx", "aria-hidden": "true" }), "Hollow marker, dotted arc: location unknown, shown at the centre of its country"),
  );
}
