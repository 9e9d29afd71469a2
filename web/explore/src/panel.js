// The side panel: the city, reported figures beside counted ones, partnerships,
// agreements, institutions, and every source cited in the view.
import { h } from "./dom.js";
import { KINDS } from "./map.js";

const METRICS = {
  FRIENDLY_CITIES: { label: "Friendly cities (sister and friendly-exchange)", counted: "partnerCities" },
  FRIENDLY_COUNTRIES: { label: "Countries of those cities", counted: "partnerCountries" },
  SISTER_CITIES: { label: "Sister cities", counted: "sisterCities" },
  FRIENDLY_EXCHANGE_CITIES: { label: "Friendly-exchange cities", counted: "friendlyExchangeCities" },
};

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

export function renderPanel(panel, view, { href, onSelect }) {
  const { city, rows, network, asOf, total } = view;
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
  const others = (city.names || []).filter((n) => n.name !== city.name);
  const heading = h("h2", { id: "city-heading", tabindex: "-1" }, city.name);
  const header = h("header", { class: "city" },
    heading,
    h("p", { class: "meta" },
      city.country ? `${city.country.name} (${city.country.code})` : "Country unknown",
      city.population ? ` · population ${city.population.toLocaleString("en")}` : "",
    ),
    others.length ? h("p", { class: "names" }, "Also: ", others.map((n, i) => [i ? ", " : "", h("span", { lang: n.language }, n.name)])) : null,
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
            h("td", null, network ? String(network[m.counted]) : "—"),
          );
        }),
        h("tr", null, h("th", { scope: "row" }, "Partnerships in the graph"), h("td", null, h("span", { class: "none" }, "—")), h("td", { "data-counted": "partnerships" }, String(total))),
      ),
    ),
  );

  const partnerships = h("section", { "aria-labelledby": "h-partnerships" },
    h("h3", { id: "h-partnerships" }, `Partnerships (${total})`),
    rows.length
      ? h("table", { class: "partnerships" },
          h("caption", { class: "sr-only" }, `Partnerships of ${city.name} ${when}`),
          h("thead", null, h("tr", null, ["Partner", "Country", "Kind", "Since", "Sources"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", null, rows.map((p) => h("tr", { "data-partner": p.partner.name },
            h("td", null, link(p.partner), p.partner.location ? null : h("span", { class: "unknown-loc", title: "Location unknown" }, " (location unknown)")),
            h("td", null, p.partner.country ? p.partner.country.name : "—"),
            h("td", null, h("span", { class: `kind ${KINDS[p.kind]?.cls || ""}` }, KINDS[p.kind]?.label || cap(words(p.kind)))),
            h("td", null, p.since || "unknown", p.until ? ` – ${p.until}` : ""),
            h("td", null, sources.cite(p.sources) || h("span", { class: "none" }, "none")),
          ))),
        )
      : h("p", { class: "none" }, asOf ? `No partnerships stood on ${asOf}.` : "No partnerships in the graph yet."),
    rows.length < total ? h("p", { class: "hint" }, `Showing the first ${rows.length}.`) : null,
  );

  const agreementsShown = (city.agreements?.nodes || []).filter((a) => !asOf || (a.signedOn && a.signedOn <= asOf));
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
