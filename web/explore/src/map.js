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
// A network's extent is framed with this margin (labels need room), and never magnified
// more than MAX_ZOOM times the world view: the 1:110m outline turns to polygons beyond it.
const PAD = 36;
const MAX_ZOOM = 6;
const LABEL_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif';
const CENTER_FONT = '700 13px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif';

export const KINDS = {
  SISTER_CITY: { label: "Sister city", cls: "sister" },
  FRIENDLY_EXCHANGE: { label: "Friendly exchange", cls: "friendly" },
};

const countries = feature(world, world.objects.countries).features;
const land = feature(world, world.objects.land);
const borders = mesh(world, world.objects.countries, (a, b) => a !== b);
const byCode = new Map(countries.filter((f) => f.properties.a2).map((f) => [f.properties.a2, f]));
const anchors = new Map();

// mainPart is the largest part of a country (so France's is in Europe, not spread to
// Guiana): where a city of unknown location may be.
const parts = new Map();
function mainPart(code) {
  if (parts.has(code)) return parts.get(code);
  const f = byCode.get(code);
  let g = f ? f.geometry : null;
  if (g && g.type === "MultiPolygon") {
    let best = null;
    let bestArea = -1;
    for (const coordinates of g.coordinates) {
      const p = { type: "Polygon", coordinates };
      const a = geoArea(p);
      if (a > bestArea) [best, bestArea] = [p, a];
    }
    g = best;
  }
  parts.set(code, g);
  return g;
}

// countryAnchor is where a city of unknown location is drawn: the centroid of its
// country's largest part.
function countryAnchor(code) {
  if (anchors.has(code)) return anchors.get(code);
  const g = mainPart(code);
  const at = g ? geoCentroid(g) : null;
  anchors.set(code, at);
  return at;
}

// place returns a city's position and whether it is only its country's.
function place(city) {
  if (city.location) return { at: [city.location.longitude, city.location.latitude], approx: false };
  const at = city.country ? countryAnchor(city.country.code) : null;
  return { at, approx: true };
}

// projectionFor frames the network (the city and its partners: where each is, or the
// country it is somewhere in when its location is unknown) or, when the world is asked
// for or there is no network to frame, the whole world; either way centred on the city's
// longitude.
function projectionFor(lon, points, areas, wholeWorld) {
  const whole = geoNaturalEarth1().rotate([-lon, 0]).fitExtent([[6, 6], [W - 6, H - 6]], { type: "Sphere" });
  if (wholeWorld || points.length + 2 * areas.length < 2) return whole;
  const multi = { type: "GeometryCollection", geometries: [{ type: "MultiPoint", coordinates: points }, ...areas] };
  const p = geoNaturalEarth1().rotate([-lon, 0]).fitExtent([[PAD, PAD], [W - PAD, H - PAD]], multi);
  const zoom = p.scale() / whole.scale();
  if (!(zoom > 1)) return whole; // NaN too: points that project to one spot
  if (zoom > MAX_ZOOM) {
    p.scale(whole.scale() * MAX_ZOOM);
    const [[x0, y0], [x1, y1]] = geoPath(p).bounds(multi);
    const [tx, ty] = p.translate();
    p.translate([tx + W / 2 - (x0 + x1) / 2, ty + H / 2 - (y0 + y1) / 2]);
  }
  return p;
}

// measure gives a label's width, ascent and descent in the map's units (the SVG's text
// is sized in them), from the font the stylesheet gives it.
const measure = (() => {
  let ctx = null;
  return (text, font, size) => {
    ctx = ctx || document.createElement("canvas").getContext("2d");
    if (!ctx) return { w: text.length * size * 0.6, asc: size, desc: size * 0.3 };
    ctx.font = font;
    const m = ctx.measureText(text);
    return { w: m.width, asc: m.fontBoundingBoxAscent ?? size, desc: m.fontBoundingBoxDescent ?? size * 0.3 };
  };
})();

const overlaps = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

// Where a label may sit around a marker of radius r, in order of preference: right,
// left, above, below. y is the text's baseline; the box is what its glyphs may cover,
// with a unit to spare so that neighbours do not touch.
function spots(x, y, { w, asc, desc }, r) {
  const mid = y + (asc - desc) / 2;
  const box = (x0, base) => ({ x0: x0 - 1, x1: x0 + w + 1, y0: base - asc - 0.5, y1: base + desc + 0.5 });
  const above = y - r - 2 - desc;
  const below = y + r + 2 + asc;
  return [
    { x: x + r + 3, y: mid, anchor: "start", box: box(x + r + 3, mid) },
    { x: x - r - 3, y: mid, anchor: "end", box: box(x - r - 3 - w, mid) },
    { x, y: above, anchor: "middle", box: box(x - w / 2, above) },
    { x, y: below, anchor: "middle", box: box(x - w / 2, below) },
  ];
}

// importance orders partners for a label, the most important first: the most populous,
// then those whose population is known, then by name. The labels that would overlap a
// more important one are left out (shown on hover and focus instead).
function byImportance(a, b) {
  const pa = a.city.population ?? -1;
  const pb = b.city.population ?? -1;
  return pb - pa || (a.city.name < b.city.name ? -1 : a.city.name > b.city.name ? 1 : 0);
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
  // The label of a marker under the pointer or the keyboard's focus, when its own label
  // was left out for want of room; drawn last, so above everything.
  const hover = s("text", { class: "hover-label", "aria-hidden": "true", visibility: "hidden" });
  svg.append(title, desc, gBase, gTint, gBorders, gArcs, gMarkers, gLabels, hover);
  const worldButton = h("button", { type: "button", class: "world", "aria-pressed": "false", hidden: true }, "World view");
  root.append(svg, h("div", { class: "map-tools" }, worldButton));

  let projection = geoNaturalEarth1();
  let path = geoPath(projection);
  let worldView = false;
  let last = null;

  worldButton.addEventListener("click", () => {
    worldView = !worldView;
    worldButton.setAttribute("aria-pressed", String(worldView));
    if (last) render(last.city, last.rows, last.frame);
  });

  const showHover = (e) => {
    const a = e.target.closest?.("a.marker");
    if (!a || a.dataset.labelled === "true") return;
    const x = Number(a.dataset.x);
    const y = Number(a.dataset.y);
    const { w } = measure(a.dataset.name, LABEL_FONT, 12);
    const right = x + 10 + w <= W - 2;
    hover.textContent = a.dataset.name;
    hover.setAttribute("x", (right ? x + 8 : x - 8).toFixed(1));
    hover.setAttribute("y", (y + 4).toFixed(1));
    hover.setAttribute("text-anchor", right ? "start" : "end");
    hover.setAttribute("class", `hover-label${a.classList.contains("approx") ? " approx" : ""}`);
    hover.setAttribute("visibility", "visible");
    hover.dataset.for = a.dataset.id;
  };
  const hideHover = (e) => {
    const a = e.target.closest?.("a.marker");
    if (a && hover.dataset.for === a.dataset.id) hover.setAttribute("visibility", "hidden");
  };
  gMarkers.addEventListener("mouseover", showHover);
  gMarkers.addEventListener("focusin", showHover);
  gMarkers.addEventListener("mouseout", hideHover);
  gMarkers.addEventListener("focusout", hideHover);

  function drawBase(lon, points, areas) {
    projection = projectionFor(lon, points, areas, worldView);
    path = geoPath(projection);
    clear(gBase).append(
      s("path", { class: "sphere", d: path({ type: "Sphere" }) }),
      s("path", { class: "graticule", d: path(geoGraticule10()) }),
      s("path", { class: "land", d: path(land) }),
    );
    clear(gBorders).append(s("path", { class: "border", d: path(borders) }));
  }
  drawBase(0, [], []);

  function marker(city, p, role, kind, offset, undated) {
    const [x, y] = projection(p.at);
    const cx = x + offset[0];
    const cy = y + offset[1];
    const where = p.approx ? " — location unknown, shown at the centre of its country" : "";
    const when = undated ? " — partnership undated (start unknown), shown at every date" : "";
    const label = `${city.name}, ${city.country ? city.country.name : "country unknown"}${where}${when}`;
    const cls = `marker ${role}${kind ? " " + KINDS[kind]?.cls : ""}${p.approx ? " approx" : ""}${undated ? " undated" : ""}`;
    const circle = s("circle", { cx: cx.toFixed(1), cy: cy.toFixed(1), r: role === "center" ? 6 : 4.5 });
    if (role === "center") {
      return { el: s("g", { class: cls, "data-name": city.name, "data-approx": p.approx ? "true" : null, role: "img", "aria-label": label }, s("title", null, label), circle), x: cx, y: cy };
    }
    const a = s("a", {
      href: href(city), class: cls, "data-id": city.id, "data-name": city.name, "data-approx": p.approx ? "true" : null,
      "data-undated": undated ? "true" : null, "data-x": cx.toFixed(1), "data-y": cy.toFixed(1), "aria-label": `Partner: ${label}`,
    }, s("title", null, label), circle);
    a.addEventListener("click", (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      onSelect(city);
    });
    return { el: a, x: cx, y: cy };
  }

  // render draws a city and its partnerships, framed to their extent unless the world
  // view is on. rows are { kind, since, partner } items; a row without since is undated.
  // frame are the rows whose extent the map shows (all of the city's partnerships, so
  // that the frame stays put as the date changes); by default rows.
  function render(city, rows, frame = rows) {
    last = { city, rows, frame };
    worldButton.hidden = false;
    hover.setAttribute("visibility", "hidden");
    const c = place(city);
    const placed = rows.map((row) => ({ row, p: place(row.partner) }));
    const points = [];
    const areas = new Map();
    const framed = [{ city, p: c }, ...frame.map((row) => ({ city: row.partner, p: place(row.partner) }))].filter((x) => x.p.at);
    for (const { city: k, p } of framed) {
      const area = p.approx && mainPart(k.country.code);
      if (area) areas.set(k.country.code, area);
      else points.push(p.at);
    }
    // A city alone has no network to frame.
    const alone = framed.length < (c.at ? 2 : 1);
    drawBase(c.at ? c.at[0] : 0, alone ? [] : points, alone ? [] : [...areas.values()]);
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
    const candidates = [];
    let drawn = 0;
    for (const { row, p } of placed) {
      const partner = row.partner;
      if (partner.country) tint(partner.country.code, "partner");
      if (!p.at) {
        unplaced.push(partner);
        continue;
      }
      const undated = !row.since;
      const cls = `arc ${KINDS[row.kind]?.cls || "other"}${p.approx || c.approx ? " approx" : ""}${undated ? " undated" : ""}`;
      if (c.at) {
        const d = path({ type: "LineString", coordinates: [c.at, p.at] });
        if (d) arcs.append(s("path", { class: cls, d }));
      }
      const m = marker(partner, p, "partner", row.kind, spread(p.at), undated);
      markers.append(m.el);
      candidates.push({ city: partner, m, approx: p.approx });
      drawn++;
    }
    gArcs.append(arcs);
    gMarkers.append(markers);

    // Labels: the city's own first, then the partners' by importance, each where it
    // overlaps no label already placed and stays inside the map; the rest are left out.
    const taken = [];
    const inside = (b) => b.x0 >= 0 && b.x1 <= W && b.y0 >= 0 && b.y1 <= H;
    const labels = document.createDocumentFragment();
    const label = (text, x, y, r, font, size, cls) => {
      const spot = spots(x, y, measure(text, font, size), r).find((sp) => inside(sp.box) && !taken.some((b) => overlaps(b, sp.box)));
      if (!spot) return false;
      taken.push(spot.box);
      labels.append(s("text", { x: spot.x.toFixed(1), y: spot.y.toFixed(1), "text-anchor": spot.anchor, class: cls }, text));
      return true;
    };
    if (c.at) {
      const m = marker(city, c, "center", null, [0, 0]);
      gMarkers.append(m.el);
      // The city's own marker is never covered by a partner's label.
      taken.push({ x0: m.x - 7, x1: m.x + 7, y0: m.y - 7, y1: m.y + 7 });
      label(city.name, m.x, m.y, 7, c.approx ? `italic ${CENTER_FONT}` : CENTER_FONT, 13, `center${c.approx ? " approx" : ""}`);
    }
    candidates.sort(byImportance);
    for (const k of candidates) {
      const ok = label(k.city.name, k.m.x, k.m.y, 5, k.approx ? `italic ${LABEL_FONT}` : LABEL_FONT, 12, k.approx ? "approx" : null);
      k.m.el.dataset.labelled = String(ok);
    }
    gLabels.append(labels);
    title.textContent = `Map of ${city.name}'s partnerships`;
    const shown = gLabels.childElementCount - (c.at ? 1 : 0);
    desc.textContent = `${city.name} and ${drawn} partner ${drawn === 1 ? "city" : "cities"} with a great-circle arc per partnership, ` +
      (worldView ? "on the world map." : "framed to the network's extent.") +
      (shown < drawn ? ` ${drawn - shown} names are left out where they would overlap; each shows on hover or focus.` : "") +
      (unplaced.length ? ` ${unplaced.length} not on the map: their country is not on it.` : "");
    return { unplaced, centerApprox: c.approx };
  }

  function reset() {
    last = null;
    worldButton.hidden = true;
    hover.setAttribute("visibility", "hidden");
    drawBase(0, [], []);
    for (const g of [gTint, gArcs, gMarkers, gLabels]) clear(g);
    title.textContent = "World map";
    desc.textContent = "Search a city to see its partnerships.";
  }

  return { render, reset, isApprox: (city) => place(city).approx };
}

export function legend(counts, undated) {
  return h("ul", { class: "legend", "aria-label": "Legend" },
    Object.entries(KINDS).map(([kind, k]) => h("li", null, h("span", { class: `swatch ${k.cls}`, "aria-hidden": "true" }), `${k.label} (${counts[kind] || 0})`)),
    h("li", null, h("span", { class: "swatch approx", "aria-hidden": "true" }), "Hollow marker, dotted arc: location unknown, shown at the centre of its country"),
    undated ? h("li", { class: "undated" }, h("span", { class: "swatch undated", "aria-hidden": "true" }), `Faded arc: undated, start unknown, shown at every date (${undated})`) : null,
  );
}
