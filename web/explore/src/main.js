// Amity explorer: a city's international network on a world map. State lives in the URL
// (/explore?city=<name or id>&asOf=<date>), so every view can be shared.
import { GraphQLError, request } from "./api.js";
import { firstDay } from "./dates.js";
import { h } from "./dom.js";
import { createMap, legend } from "./map.js";
import { renderMessage, renderPanel } from "./panel.js";

const MAX_PARTNERSHIPS = 5000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
// Global IDs are opaque; this only decides which lookup to try first. A name that
// happens to look like one falls back to a lookup by name.
const ID_LIKE = /^[A-Za-z0-9_-]{20,}={0,2}$/;

const config = JSON.parse(document.getElementById("config").textContent);
const $ = (id) => document.getElementById(id);
const els = {
  form: $("search"), input: $("q"), list: $("suggestions"), status: $("status"), panel: $("panel"),
  map: $("map"), legend: $("legend"), unknown: $("unknown"), time: $("time"), year: $("year"),
  yearOut: $("year-out"), play: $("play"), today: $("today"),
};

let current = null; // { city, ref, asOf, years: [min, max] }
let controller = null;
const cache = new Map();

const call = (op, vars, signal) => request(config.endpoint, op, vars, signal);

function hrefFor(ref, asOf) {
  const q = new URLSearchParams({ city: ref });
  if (asOf) q.set("asOf", asOf);
  return `${location.pathname}?${q}`;
}
const partnerHref = (city) => hrefFor(city.id, current?.asOf);

const map = createMap(els.map, { href: partnerHref, onSelect: (c) => go(c.id, { push: true, asOf: current?.asOf }) });

function setStatus(text) {
  els.status.textContent = text;
}

function setState(state) {
  document.body.dataset.state = state;
  els.panel.setAttribute("aria-busy", state === "loading" ? "true" : "false");
}

async function fetchCity(ref, asOf, signal) {
  const vars = ID_LIKE.test(ref) ? { id: ref, asOf } : { name: ref, asOf };
  try {
    const { data } = await call("ExploreCity", vars, signal);
    if (data.city || !vars.id) return data.city;
  } catch (e) {
    if (!vars.id || !(e instanceof GraphQLError) || (e.code !== "BAD_USER_INPUT" && e.code !== "NOT_FOUND")) throw e;
  }
  const { data } = await call("ExploreCity", { name: ref, asOf }, signal);
  return data.city;
}

// fetchNetwork pages through the city's partnerships (100 a page) on a date.
async function fetchNetwork(id, asOf, first, signal) {
  const key = `${id}|${asOf || ""}`;
  if (cache.has(key)) return cache.get(key);
  let page = first;
  let network = first?.network;
  if (!page) {
    const { data } = await call("ExploreNetwork", { id, asOf }, signal);
    page = data.city.partnerships;
    network = data.city.network;
  } else {
    page = first.partnerships;
  }
  const rows = [...page.nodes];
  const total = page.totalCount;
  while (page.pageInfo.hasNextPage && rows.length < MAX_PARTNERSHIPS) {
    setStatus(`Loaded ${rows.length} of ${total} partnerships…`);
    const { data } = await call("ExploreNetwork", { id, asOf, after: page.pageInfo.endCursor }, signal);
    page = data.city.partnerships;
    rows.push(...page.nodes);
  }
  const result = { rows, total, network };
  cache.set(key, result);
  return result;
}

// withUndated adds to a past date's partnerships those whose start is unknown. The API
// leaves them out of every asOf, since it cannot say they stood then; leaving them out of
// the view too would make a city's history look emptier than it is (a gazetteer's ties
// are mostly undated), so they are shown at every date, marked as undated. They come
// from the list of today (every partnership), less those ended by the date (an end
// known by its year or month ends a tie from the first day of that period, as in the API).
// The same list frames the map at every date, so that the slider and Play do not
// move it from year to year.
async function withUndated(id, asOf, net, signal) {
  if (!asOf) return { ...net, added: 0, frame: net.rows };
  const all = await fetchNetwork(id, null, null, signal);
  const undated = all.rows.filter((r) => !r.since && !(r.until && firstDay(r.until) <= asOf));
  return { ...net, rows: [...net.rows, ...undated], added: undated.length, frame: all.rows };
}

// go shows a city: ref is a name (as typed) or a global ID (from a link).
async function go(ref, { push = false, asOf = null, focus = true } = {}) {
  ref = (ref || "").trim();
  if (!ref) return;
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  stopPlay();
  closeSuggestions();
  setState("loading");
  setStatus(`Looking up “${ref}”…`);
  if (push) history.pushState(null, "", hrefFor(ref, asOf));
  try {
    const city = await fetchCity(ref, asOf, signal);
    if (!city) {
      current = null;
      map.reset();
      els.legend.replaceChildren();
      els.unknown.replaceChildren();
      els.time.hidden = true;
      document.title = "Not found — Amity explorer";
      renderMessage(els.panel, "not-found", `No city is named “${ref}”. Try another name or spelling, in any language: Shenzhen, 深圳, Москва.`, await didYouMean(ref, signal));
      setStatus(`No city is named “${ref}”.`);
      setState("not-found");
      return;
    }
    const net = await withUndated(city.id, asOf, await fetchNetwork(city.id, asOf, city, signal), signal);
    current = { city, ref, asOf, years: yearsOf(city.network, asOf) };
    show(net, focus);
    setupTime();
  } catch (e) {
    if (e.name === "AbortError") return;
    showError(e, () => go(ref, { asOf }));
  }
}

function yearsOf(network, asOf) {
  const years = (network?.byYear || []).map((y) => y.year);
  if (asOf) years.push(Number(asOf.slice(0, 4)));
  const now = new Date().getFullYear();
  if (!years.length) return null;
  return [Math.min(...years), Math.max(now, ...years)];
}

function show(net, focus) {
  const { city, asOf } = current;
  const counts = {};
  for (const r of net.rows) counts[r.kind] = (counts[r.kind] || 0) + 1;
  const { unplaced } = map.render(city, net.rows, net.frame);
  const undated = net.rows.filter((r) => !r.since).length;
  els.legend.replaceChildren(legend(counts, undated));
  const unknown = [city, ...net.rows.map((r) => r.partner)].filter((c) => !c.location);
  const notes = [
    unknown.length
      ? h("p", null, h("strong", null, "Location unknown"), " (no source states it; hollow markers at the centre of their country): ",
          unknown.map((c, i) => [i ? ", " : "", c.id === city.id ? h("span", { "data-name": c.name }, c.name) : cityLink(c)]))
      : null,
    unplaced.length ? h("p", null, "Not on the map (country outside the world outline): ", unplaced.map((c, i) => [i ? ", " : "", cityLink(c)])) : null,
  ];
  els.unknown.replaceChildren(...notes.filter(Boolean));
  const total = net.total + net.added;
  const heading = renderPanel(els.panel, { city, rows: net.rows, network: net.network, asOf, total, added: net.added }, {
    href: partnerHref,
    onSelect: (c) => go(c.id, { push: true, asOf }),
  });
  if (document.activeElement !== els.input) els.input.value = city.name;
  document.title = `${city.name}${asOf ? " on " + asOf : ""} — Amity explorer`;
  setStatus(`${city.name}: ${total} ${total === 1 ? "partnership" : "partnerships"}${asOf ? " on " + asOf : ""}` +
    `${undated ? `, ${undated} of them undated` : ""}.`);
  if (focus) heading.focus({ preventScroll: false });
  setState("ready");
  performance.mark("amity:rendered");
}

function cityLink(c) {
  const a = h("a", { href: partnerHref(c), "data-name": c.name }, c.name);
  a.addEventListener("click", (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    go(c.id, { push: true, asOf: current?.asOf });
  });
  return a;
}

function showError(e, retry) {
  console.warn("amity explorer:", e);
  const text = e instanceof GraphQLError ? e.message : `Something went wrong: ${e.message}`;
  renderMessage(els.panel, "error", text, h("button", { type: "button", onclick: retry }, "Try again"));
  setStatus(text);
  setState("error");
}

async function didYouMean(ref, signal) {
  try {
    const { data } = await call("ExploreSearch", { query: ref }, signal);
    const hits = (data?.search?.edges || []).filter((e) => e.node?.id);
    if (!hits.length) return null;
    return h("p", null, "Did you mean: ", hits.map((e, i) => [i ? ", " : "", cityLink(e.node)]), "?");
  } catch {
    return null;
  }
}

// ---- The time slider: the network year by year (asOf = 31 December of the year).

let playing = null;

function setupTime() {
  const years = current?.years;
  els.time.hidden = !years;
  if (!years) return;
  const [min, max] = years;
  els.year.min = String(min);
  els.year.max = String(max);
  const y = current.asOf ? Number(current.asOf.slice(0, 4)) : max;
  els.year.value = String(y);
  els.yearOut.textContent = current.asOf ? current.asOf : "today";
  els.today.disabled = !current.asOf;
}

function asOfForYear(y) {
  return y >= Number(els.year.max) ? null : `${y}-12-31`;
}

async function showYear(y, push) {
  if (!current) return;
  const asOf = asOfForYear(y);
  if (asOf === current.asOf) return;
  controller?.abort();
  const signal = (controller = new AbortController()).signal;
  els.yearOut.textContent = asOf || "today";
  setState("loading");
  try {
    const net = await withUndated(current.city.id, asOf, await fetchNetwork(current.city.id, asOf, null, signal), signal);
    current.asOf = asOf;
    history[push ? "pushState" : "replaceState"](null, "", hrefFor(current.ref, asOf));
    show(net, false);
    setupTime();
  } catch (e) {
    if (e.name !== "AbortError") showError(e, () => showYear(y, push));
  }
}

function stopPlay() {
  if (playing) clearTimeout(playing);
  playing = null;
  els.play.textContent = "Play";
  els.play.setAttribute("aria-pressed", "false");
}

els.year.addEventListener("input", () => {
  stopPlay();
  els.yearOut.textContent = asOfForYear(Number(els.year.value)) || "today";
});
els.year.addEventListener("change", () => showYear(Number(els.year.value), true));
els.today.addEventListener("click", () => {
  stopPlay();
  els.year.value = els.year.max;
  showYear(Number(els.year.max), true);
});
els.play.addEventListener("click", () => {
  if (playing) return stopPlay();
  let y = Number(els.year.min);
  els.play.textContent = "Pause";
  els.play.setAttribute("aria-pressed", "true");
  const step = async () => {
    els.year.value = String(y);
    await showYear(y, false);
    if (!playing) return;
    if (y >= Number(els.year.max)) return stopPlay();
    y++;
    playing = setTimeout(step, 900);
  };
  playing = setTimeout(step, 0);
});

// ---- Search box with suggestions (the ARIA combobox pattern).

let suggestTimer = null;
let suggestCtl = null;
let active = -1;

function closeSuggestions() {
  clearTimeout(suggestTimer);
  suggestCtl?.abort();
  els.list.replaceChildren();
  els.list.hidden = true;
  els.input.setAttribute("aria-expanded", "false");
  els.input.removeAttribute("aria-activedescendant");
  active = -1;
}

function options() {
  return [...els.list.querySelectorAll("[role=option]")];
}

function setActive(i) {
  const opts = options();
  if (!opts.length) return;
  active = (i + opts.length) % opts.length;
  opts.forEach((o, j) => o.setAttribute("aria-selected", j === active ? "true" : "false"));
  els.input.setAttribute("aria-activedescendant", opts[active].id);
  opts[active].scrollIntoView({ block: "nearest" });
}

// place is where a suggested city lies, after its name: "Córdoba, Córdoba, AR" where
// its division is known (the name alone cannot tell Córdoba, AR from Córdoba, ES),
// else its country's name.
function place(c) {
  if (c.division?.name && c.country) return `, ${c.division.name}, ${c.country.code}`;
  return c.country ? `, ${c.country.name}` : "";
}

async function suggest(q) {
  suggestCtl?.abort();
  suggestCtl = new AbortController();
  try {
    const { data } = await call("ExploreSearch", { query: q }, suggestCtl.signal);
    const hits = (data?.search?.edges || []).filter((e) => e.node?.id);
    if (els.input.value.trim() !== q) return;
    els.list.replaceChildren(...hits.map((e, i) => {
      const c = e.node;
      const li = h("li", { role: "option", id: `suggestion-${i}`, "aria-selected": "false", "data-id": c.id },
        h("span", { class: "name" }, c.name), place(c),
        e.matched && e.matched !== c.name ? h("span", { class: "matched" }, ` (${e.matched})`) : "");
      li.addEventListener("mousedown", (ev) => ev.preventDefault());
      li.addEventListener("click", () => {
        els.input.value = c.name;
        go(c.id, { push: true });
      });
      return li;
    }));
    els.list.hidden = !hits.length;
    els.input.setAttribute("aria-expanded", hits.length ? "true" : "false");
    active = -1;
  } catch {
    // Suggestions are a convenience: the search button still works without them.
    els.list.hidden = true;
  }
}

els.input.addEventListener("input", () => {
  clearTimeout(suggestTimer);
  const q = els.input.value.trim();
  if (!q) return closeSuggestions();
  suggestTimer = setTimeout(() => suggest(q), 150);
});
els.input.addEventListener("keydown", (e) => {
  const open = !els.list.hidden;
  if (e.key === "ArrowDown" && open) {
    e.preventDefault();
    setActive(active + 1);
  } else if (e.key === "ArrowUp" && open) {
    e.preventDefault();
    setActive(active - 1);
  } else if (e.key === "Escape" && open) {
    e.preventDefault();
    closeSuggestions();
  } else if (e.key === "Enter" && open && active >= 0) {
    e.preventDefault();
    options()[active].click();
  }
});
els.input.addEventListener("blur", () => setTimeout(closeSuggestions, 100));
els.form.addEventListener("submit", (e) => {
  e.preventDefault();
  go(els.input.value, { push: true });
});

// ---- URL state.

function fromURL(focus) {
  const q = new URLSearchParams(location.search);
  const ref = q.get("city");
  const asOf = DATE.test(q.get("asOf") || "") ? q.get("asOf") : null;
  if (ref) {
    if (!ID_LIKE.test(ref)) els.input.value = ref;
    go(ref, { asOf, focus });
  } else {
    current = null;
    map.reset();
    setState("idle");
  }
}

window.addEventListener("popstate", () => fromURL(true));
fromURL(false);
