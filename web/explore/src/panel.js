// The side panel: the city, reported figures beside counted ones, partnerships,
// agreements, institutions, and every source cited in the view.
import { lastDay } from "./dates.js";
import { h } from "./dom.js";
import { KINDS } from "./map.js";

const METRICS = {
  FRIENDLY_CITIES: { label: "Friendly cities (sister and friendly-exchange)", counted: "partnerCities" },
  FRIENDLY_COUNTRIES: { label: "Countries of those cities", counted: "partnerCountries" },
  SISTER_CITIES: { label: "Sister cities", counted: "sisterCities" },
  FRIENDLY_EXCHANGE_CITIES: { label: "Friendly-exchange cities", counted: "friendlyExchangeCities" },
};

// A city's other names shown before "n more": a gazetteer gives a capital scores of them
// (Buenos Aires has 86 in GeoNames), which would push the partnerships out of sight.
const NAMES_SHOWN = 5;
const LANG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

const words = (e) => e.toLowerCase().replace(/_/g, " ");
const cap = (t) => t.charAt(0).toUpperCase() + t.slice(1);

// Sources collects every source cited in the view, numbered in order of first citation.
class Sources {
  constructor() {
    this.list = [];
    this.index = new Map();
  }
  cite(sources) {
    if (!sources || !sources.length) return null;
    return h("span", { class: "cites" }, sources.map((src) => {
      if (!this.index.has(src.id)) {
        this.list.push(src);
        this.index.set(src.id, this.list.length);
      }
      const n = this.index.get(src.id);
      const text = `[${n}]`;
      const label = `Source ${n}: ${src.title}${src.publisher ? ", " + src.publisher : ""}${src.publishedOn ? ", " + src.publishedOn : ""}`;
      return src.url
        ? h("a", { class: "cite", href: src.url, rel: "noopener noreferrer external", target: "_blank", title: label, "aria-label": label }, text)
        : h("a", { class: "cite", href: `#source-${n}`, title: label, "aria-label": label }, text);
    }));
  }
}

// otherNames orders a city's other names for the reader: those in the reader's languages
// first (the browser's, then English), then those in any other known language, then those
// whose language is undetermined (a gazetteer's alternate names), each group in the API's
// order. A spelling is listed once.
function otherNames(city, languages = navigator.languages || []) {
  const prefs = [...languages, "en"].map((l) => l.toLowerCase().split("-")[0]);
  const rank = (n) => {
    const base = (n.language || "").toLowerCase().split("-")[0];
    const i = prefs.indexOf(base);
    if (i >= 0) return i;
    return base && base !== "und" ? prefs.length : prefs.length + 1;
  };
  const seen = new Set([city.name]);
  const out = [];
  (city.names || []).forEach((n, i) => {
    if (seen.has(n.name)) return;
    seen.add(n.name);
    out.push({ n, r: rank(n), i });
  });
  return out.sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.n);
}

function namesLine(city) {
  const others = otherNames(city);
  if (!others.length) return null;
  // lang only where it is a language: "und" says nothing, and an invalid tag is worse.
  const name = (n) => h("span", { lang: LANG.test(n.language) && n.language !== "und" ? n.language : null }, n.name);
  const list = (ns, from) => ns.map((n, i) => [i + from ? ", " : "", name(n)]);
  const first = others.slice(0, NAMES_SHOWN);
  const rest = others.slice(NAMES_SHOWN);
  if (!rest.length) return h("p", { class: "names" }, "Also: ", list(first, 0));
  const more = h("span", { id: "more-names", class: "more-names", hidden: true }, list(rest, first.length));
  const toggle = h("button", { type: "button", class: "linkish", "aria-expanded": "false", "aria-controls": "more-names" }, `${rest.length} more names`);
  toggle.addEventListener("click", () => {
    const open = more.hidden;
    more.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? "fewer names" : `${rest.length} more names`;
  });
  return h("p", { class: "names", "data-names": others.length }, "Also: ", list(first, 0), more, " ", toggle);
}

// undatedExtra counts, for each figure, what the undated ties add to the API's count on a
// past date (which leaves them out): partners and countries not already counted there.
function undatedExtra(rows) {
  const dated = rows.filter((r) => r.since);
  const undated = rows.filter((r) => !r.since);
  const fresh = (key, filter = () => true) => {
    const have = new Set(dated.filter(filter).map(key));
    return new Set(undated.filter(filter).map(key).filter((k) => !have.has(k))).size;
  };
  return {
    partnerCities: fresh((r) => r.partner.id),
    partnerCountries: fresh((r) => r.partner.country?.code),
    sisterCities: fresh((r) => r.partner.id, (r) => r.kind === "SISTER_CITY"),
    friendlyExchangeCities: fresh((r) => r.partner.id, (r) => r.kind === "FRIENDLY_EXCHANGE"),
  };
}

export function renderPanel(panel, view, { href, onSelect }) {
  const { city, rows, network, asOf, total, added = 0 } = view;
  const undatedCount = rows.filter((r) => !r.since).length;
  // Today's count already holds the undated ties; a past date's does not.
  const extra = asOf && undatedCount ? undatedExtra(rows) : null;
  const sources = new Sources();
  const link = (c) => {
    const a = h("a", { href: href(c), class: "city-link", "data-id": c.id }, c.name);
    a.addEventListener("click", (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      onSelect(c);
    });
    return a;
  };
  const heading = h("h2", { id: "city-heading", tabindex: "-1" }, city.name);
  const header = h("header", { class: "city" },
    heading,
    h("p", { class: "meta" },
      // "Córdoba, Argentina (AR)": the division, where its name is known, then the country.
      city.division?.name ? `${city.division.name}, ` : "",
      city.country ? `${city.country.name} (${city.country.code})` : "Country unknown",
      city.population ? ` · population ${city.population.toLocaleString("en")}` : "",
    ),
    namesLine(city),
    h("p", { class: "meta" }, city.location
      ? `Location: ${city.location.latitude.toFixed(2)}, ${city.location.longitude.toFixed(2)}`
      : h("span", { class: "unknown-loc" }, "Location unknown: no source states it. The map shows the city at the centre of its country.")),
    city.sources?.length ? h("p", { class: "meta" }, "About the city: ", sources.cite(city.sources)) : null,
  );

  const when = asOf ? `on ${asOf}` : "today";
  const figures = h("section", { "aria-labelledby": "h-figures" },
    h("h3", { id: "h-figures" }, "Reported and counted"),
    h("p", { class: "hint" }, `What sources report, beside what Amity's graph holds ${when}.`),
    h("table", { class: "figures" },
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "Figure"), h("th", { scope: "col" }, "Reported"), h("th", { scope: "col" }, "Counted"))),
      h("tbody", null,
        Object.entries(METRICS).map(([metric, m]) => {
          const reported = (city.reportedFigures || []).filter((f) => f.metric === metric);
          return h("tr", { "data-metric": metric },
            h("th", { scope: "row" }, m.label),
            h("td", null, reported.length
              ? reported.map((f, i) => [i ? h("br") : null, h("strong", null, String(f.value)), f.asOf ? ` as of ${f.asOf} ` : " ", sources.cite([f.source])])
              : h("span", { class: "none" }, "none reported")),
            h("td", null, network ? String(network[m.counted]) : "—",
              extra?.[m.counted] ? h("span", { class: "undated-note" }, ` + ${extra[m.counted]} undated`) : null),
          );
        }),
        h("tr", null, h("th", { scope: "row" }, "Partnerships in the graph"), h("td", null, h("span", { class: "none" }, "—")), h("td", { "data-counted": "partnerships" }, String(total - added),
          added ? h("span", { class: "undated-note" }, ` + ${added} undated`) : null)),
      ),
    ),
  );

  const partnerships = h("section", { "aria-labelledby": "h-partnerships" },
    h("h3", { id: "h-partnerships" }, `Partnerships (${total})`),
    rows.length
      ? h("table", { class: "partnerships" },
          h("caption", { class: "sr-only" }, `Partnerships of ${city.name} ${when}`),
          h("thead", null, h("tr", null, ["Partner", "Country", "Kind", "Since", "Sources"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", null, rows.map((p) => h("tr", { "data-partner": p.partner.name, "data-undated": p.since ? null : "true" },
            h("td", null, link(p.partner), p.partner.location ? null : h("span", { class: "unknown-loc", title: "Location unknown" }, " (location unknown)")),
            h("td", null, p.partner.division?.name ? `${p.partner.division.name}, ` : "",
              p.partner.country ? p.partner.country.name : "—"),
            h("td", null, h("span", { class: `kind ${KINDS[p.kind]?.cls || ""}` }, KINDS[p.kind]?.label || cap(words(p.kind)))),
            h("td", null, p.since || h("span", { class: "undated-tag" }, "undated"), p.until ? ` – ${p.until}` : ""),
            h("td", null, sources.cite(p.sources) || h("span", { class: "none" }, "none")),
          ))),
        )
      : h("p", { class: "none" }, asOf ? `No partnerships stood on ${asOf}.` : "No partnerships in the graph yet."),
    rows.length < total ? h("p", { class: "hint" }, `Showing ${rows.length} of ${total}.`) : null,
    undatedCount
      ? h("p", { class: "hint undated-hint" }, `${undatedCount} undated: no source gives ${undatedCount === 1 ? "its" : "their"} start, so ${undatedCount === 1 ? "it is" : "they are"} shown at every date of the time slider.`)
      : null,
  );

  // An agreement whose signing date no source gives is shown at every date too (its
  // "date unknown" says why), as the undated ties are. One "signed in 1994" is listed
  // from 1994-12-31, as network.agreements counts it: on 1994-06-30 it may not be signed yet.
  const agreementsShown = (city.agreements?.nodes || []).filter((a) => !asOf || !a.signedOn || lastDay(a.signedOn) <= asOf);
  const agreements = h("section", { "aria-labelledby": "h-agreements" },
    h("h3", { id: "h-agreements" }, `Agreements (${agreementsShown.length})`),
    agreementsShown.length
      ? h("ul", { class: "agreements" }, agreementsShown.map((a) => h("li", null,
          h("p", { class: "title" }, h("strong", null, a.title), " ", sources.cite(a.sources)),
          h("p", { class: "meta" }, cap(words(a.kind)), " · ", a.signedOn ? `signed ${a.signedOn}` : "date unknown", a.signedIn ? [" in ", link(a.signedIn)] : ""),
          a.parties?.length ? h("p", { class: "meta" }, "Parties: ", a.parties.map((c, i) => [i ? ", " : "", c.id === city.id ? c.name : link(c)])) : null,
          a.areas?.length ? h("p", { class: "areas" }, h("span", { class: "sr-only" }, "Areas: "), a.areas.map((x) => h("span", { class: "area" }, words(x)))) : null,
          a.signatories?.length ? h("div", null, h("p", { class: "meta" }, "Signed by:"), h("ul", { class: "signatories" }, a.signatories.map((sg) => h("li", null,
            h("strong", null, sg.official.name),
            sg.official.title ? `, ${sg.official.title}` : "",
            sg.party ? ` — for ${sg.party.name}` : "",
            sg.role && sg.role !== sg.official.title ? ` (as ${sg.role})` : "",
          )))) : null,
          a.institutions?.length ? h("p", { class: "meta" }, "Institutions: ", a.institutions.map((i) => i.name).join(", ")) : null,
        )))
      : h("p", { class: "none" }, asOf ? `No agreements signed by ${asOf}.` : "No agreements in the graph yet."),
  );

  const institutions = h("section", { "aria-labelledby": "h-institutions" },
    h("h3", { id: "h-institutions" }, `Institutions (${city.institutions?.totalCount ?? 0})`),
    city.institutions?.nodes?.length
      ? h("ul", { class: "institutions" }, city.institutions.nodes.map((i) => h("li", null,
          h("strong", null, i.name), ` — ${words(i.kind)}`, i.foundedOn ? `, founded ${i.foundedOn}` : "", " ", sources.cite(i.sources),
          i.description ? h("p", { class: "meta" }, i.description) : null,
        )))
      : h("p", { class: "none" }, "No institutions in the graph yet."),
  );

  // Built last: every citation above has registered its source by now.
  const cited = h("section", { "aria-labelledby": "h-sources" },
    h("h3", { id: "h-sources" }, `Sources (${sources.list.length})`),
    sources.list.length
      ? h("ol", { class: "sources" }, sources.list.map((src, i) => h("li", { id: `source-${i + 1}` },
          src.url ? h("a", { href: src.url, rel: "noopener noreferrer external", target: "_blank" }, src.title) : src.title,
          src.publisher ? ` — ${src.publisher}` : "", src.publishedOn ? `, ${src.publishedOn}` : "",
        )))
      : h("p", { class: "none" }, "No sources cited."),
  );

  panel.replaceChildren(header, figures, partnerships, agreements, institutions, cited);
  return heading;
}

export function renderMessage(panel, kind, text, extra) {
  panel.replaceChildren(h("div", { class: `message ${kind}`, role: "alert" }, h("p", null, text), extra || null));
}
