package explore_test

// End-to-end: the whole server over a fresh database holding the shipped knowledge, the
// explorer in a real headless Chromium (Debian's chromium package) driven by chromedp.
// The test fails on any console error, uncaught exception or browser-logged error (a CSP
// violation, a failed load).

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/ingest/seed"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "write the Shenzhen screenshot to docs/explore.png (the README's)")

// chromiumPath finds Debian's chromium, or the one AMITY_CHROMIUM names. Without one the
// test skips, except in CI (CI=true), where it fails: .ci/run installs chromium.
func chromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("AMITY_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "no chromium found (apt-get install -y chromium, or set AMITY_CHROMIUM): the explorer's browser test cannot run"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browser is a headless Chromium tab that records every error the page reports.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first call starts the browser; it must not carry a timeout (that would stop
	// the browser with it), so the steps below get theirs one by one.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium (%s): %v", exe, err)
	}
	b := &browser{ctx: ctx}
	// Console errors, uncaught exceptions and browser-logged errors (a CSP violation, a
	// failed load) all fail the test.
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.fail(fmt.Sprintf("%s (%s %s:%d)", m, m.Source, m.URL, m.Line))
			}
		}
	}()
	return b
}

func (b *browser) fail(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errors = append(b.errors, msg)
}

// checkErrors fails the test on anything the page reported so far.
func (b *browser) checkErrors(t *testing.T) {
	t.Helper()
	time.Sleep(50 * time.Millisecond) // let the console stream catch up
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("page error: %s", e)
	}
	b.errors = nil
}

// do runs steps with a timeout, failing the test with what was being done.
func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.checkErrors(t)
		t.Fatalf("%s: %v", what, err)
	}
}

func get[T any](t *testing.T, b *browser, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.checkErrors(t)
		t.Fatal(err)
	}
	return v
}

// waitState waits until the page reports the given state on <body data-state>.
func waitState(state string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(`body[data-state="` + state + `"]`))
}

func text(t *testing.T, b *browser, sel string) string {
	t.Helper()
	return get(t, b, chromedp.Text(chromedp.CSS(sel)))
}

func count(t *testing.T, b *browser, sel string) int {
	t.Helper()
	return get(t, b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}

func serve(t *testing.T, db *postgres.DB) string {
	t.Helper()
	srv := httptest.NewServer(server.New(db, server.DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return srv.URL
}

// browserOn skips in -short mode; otherwise it returns a browser and the server's URL
// over a fresh database holding the rows the statements sql write.
func browserOn(t *testing.T, sql string) (*browser, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	b := newBrowser(t)
	db := pgtest.MustOpen(t)
	if _, err := db.ExecContext(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
	return b, serve(t, db)
}

func shippedDB(t *testing.T) *postgres.DB {
	t.Helper()
	db := pgtest.MustOpen(t)
	b, err := seed.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.ApplyBundle(context.Background(), db.DB, b, seed.ShippedDigest(), "shipped"); err != nil {
		t.Fatal(err)
	}
	return db
}

func screenshot(t *testing.T, b *browser, name string) string {
	t.Helper()
	png := get(t, b, chromedp.CaptureScreenshot())
	dir := os.Getenv("AMITY_SCREENSHOT_DIR") // to keep them, as CI artefacts
	if dir == "" {
		dir = t.TempDir()
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
	return p
}

// axeViolation is one rule that axe-core finds broken, with the elements that break it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAxe runs axe-core (vendored under testdata/axe-core by web/explore's build, with
// its licenses: never fetched from the network) on the page as it stands, and fails the
// test on any violation. DevTools evaluation is not subject to the page's CSP, so the
// page's policy stays as strict as it ships.
func checkAxe(t *testing.T, b *browser, what string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core: %v (rebuild web/explore: docs/explore.md)", err)
	}
	get(t, b, chromedp.Evaluate[bool](`window.axe ? true : (function () {`+string(src)+`
return true; })()`))
	out := get(t, b, chromedp.Evaluate[string](`axe.run(document, { resultTypes: ["violations"] }).then((r) => JSON.stringify(r.violations.map((v) => ({
		id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.map((n) => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " ")),
	}))))`, chromedp.EvalAwaitPromise))
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe-core's answer: %v", err)
	}
	for _, v := range vs {
		t.Errorf("axe-core on %s: %s (%s): %s\n\t%s", what, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
}

// TestBrowser is issue 7's acceptance test: open /explore, search "深圳", see Moscow
// among the partners on the map and in the panel, follow the link to Moscow.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	b := newBrowser(t)
	base := serve(t, shippedDB(t))
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	// First meaningful paint: the page's header, search box and introduction.
	b.do(t, "open /explore",
		chromedp.Navigate(base+"/explore"),
		chromedp.WaitVisible(css(`#map svg path.land`)),
		waitState("idle"),
	)
	// The paint entry can arrive a frame after the script ran, so wait for it.
	fcp := get(t, b, chromedp.Poll[float64](`(performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime`,
		chromedp.WithPollingTimeout(10*time.Second)))
	t.Logf("first contentful paint: %.0f ms", fcp)
	if fcp < 0 || fcp > 1000 {
		t.Errorf("first contentful paint = %.0f ms, want under 1000 ms", fcp)
	}
	checkAxe(t, b, "/explore")

	// Search 深圳, typed as a user would, submitted with Enter.
	b.do(t, "search 深圳",
		chromedp.Focus(css(`#q`)),
		chromedp.SendKeys(css(`#q`), "深圳"),
		chromedp.SendKeys(css(`#q`), kb.Enter),
		waitState("ready"),
	)
	if h := text(t, b, `#city-heading`); h != "Shenzhen" {
		t.Errorf("heading = %q, want Shenzhen", h)
	}
	if loc := get(t, b, chromedp.Location()); !strings.HasSuffix(loc, "/explore?city="+url.QueryEscape("深圳")) {
		t.Errorf("URL = %q, want /explore?city=深圳", loc)
	}
	if n, m := count(t, b, `#panel tr[data-partner="Moscow"] a.city-link`), count(t, b, `#map svg a.marker.partner[data-name="Moscow"]`); n != 1 || m != 1 {
		t.Errorf("Moscow: %d rows in the panel, %d markers on the map; want 1 and 1", n, m)
	}
	if n := count(t, b, `#unknown [data-name="Moscow"]`); n != 1 {
		t.Error("Moscow is not listed as a city of unknown location (the shipped knowledge has no coordinates)")
	}
	if n := count(t, b, `#panel ol.sources a[href^="http"]`); n < 2 {
		t.Errorf("%d sources cited as links, want both shipped sources", n)
	}
	if k := text(t, b, `#panel tr[data-partner="Moscow"] .kind`); k != "Friendly exchange" {
		t.Errorf("Moscow's partnership kind = %q", k)
	}
	if f := text(t, b, `#panel table.figures tr[data-metric="FRIENDLY_CITIES"]`); !strings.Contains(f, "93") {
		t.Errorf("reported figure row = %q, want the reported 93", f)
	}
	agreement := text(t, b, `#panel ul.agreements`)
	for _, want := range []string{"Memorandum of Friendly Exchange and Cooperation", "2024-03-06", "Wang Shourui", "Vice Mayor of Shenzhen", "Sergey Cheremin"} {
		if !strings.Contains(agreement, want) {
			t.Errorf("agreements section lacks %q:\n%s", want, agreement)
		}
	}
	checkAxe(t, b, "Shenzhen")
	shot := screenshot(t, b, "explore-shenzhen.png")
	if *updateScreenshot {
		png, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "..", "docs", "explore.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.checkErrors(t)

	// Follow the link to Moscow: the view and the URL move to Moscow.
	b.do(t, "follow the link to Moscow",
		chromedp.Click(css(`#panel tr[data-partner="Moscow"] a.city-link`)),
		chromedp.WaitVisible(css(`#panel tr[data-partner="Shenzhen"]`)),
		waitState("ready"),
	)
	if h := text(t, b, `#city-heading`); h != "Moscow" {
		t.Errorf("after following the link: heading %q, want Moscow", h)
	}
	moscowURL := get(t, b, chromedp.Location())
	if u, _ := url.Parse(moscowURL); u == nil || u.Query().Get("city") == "" || u.Query().Get("city") == "深圳" {
		t.Errorf("URL after the link = %q, want Moscow's", moscowURL)
	}
	screenshot(t, b, "explore-moscow.png")

	// The URL is the state: loading it shows Moscow again, and Back returns to Shenzhen.
	b.do(t, "reload", chromedp.Navigate(moscowURL), waitState("ready"))
	if h := text(t, b, `#city-heading`); h != "Moscow" {
		t.Errorf("loading %s shows %q", moscowURL, h)
	}
	b.do(t, "back to Shenzhen", chromedp.NavigateBack(),
		chromedp.Poll[chromedp.Void](`document.getElementById("city-heading")?.textContent === "Shenzhen" && document.body.dataset.state === "ready"`))

	// Keyboard only: type a spelling, choose the suggestion with the arrow keys.
	b.do(t, "keyboard search",
		chromedp.Navigate(base+"/explore"),
		waitState("idle"),
		chromedp.Focus(css(`#q`)),
		chromedp.SendKeys(css(`#q`), "Москва"),
		chromedp.WaitVisible(css(`#suggestions [role=option]`)),
		chromedp.SendKeys(css(`#q`), kb.ArrowDown+kb.Enter),
		waitState("ready"),
	)
	if h := text(t, b, `#city-heading`); h != "Moscow" {
		t.Errorf("keyboard search for Москва shows %q", h)
	}

	// The network as of a date before the memorandum: no partnerships yet.
	b.do(t, "asOf before the memorandum",
		chromedp.Navigate(base+"/explore?city=Shenzhen&asOf=2023-12-31"),
		waitState("ready"),
	)
	if none := text(t, b, `#panel section[aria-labelledby="h-partnerships"] p.none`); !strings.Contains(none, "No partnerships stood on 2023-12-31") {
		t.Errorf("as of 2023-12-31: %q, want no partnerships", none)
	}
	if n := count(t, b, `#map svg a.marker.partner`); n != 0 {
		t.Errorf("as of 2023-12-31: %d partner markers, want 0", n)
	}
	if get(t, b, chromedp.Evaluate[bool](`document.getElementById("time").hidden`)) {
		t.Error("the time slider is hidden for Shenzhen, whose tie has a date")
	}

	// The slider, by keyboard: End replays up to today, when Moscow is a partner again.
	b.do(t, "time slider to today",
		chromedp.Focus(css(`#year`)),
		chromedp.SendKeys(css(`#year`), kb.End),
		chromedp.WaitVisible(css(`#map svg a.marker.partner[data-name="Moscow"]`)),
		waitState("ready"),
	)
	if loc := get(t, b, chromedp.Location()); strings.Contains(loc, "asOf=") {
		t.Errorf("URL at today = %q, want no asOf", loc)
	}

	// A narrow screen: one column, nothing wider than the viewport.
	b.do(t, "narrow screen",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/explore?city=Shenzhen"),
		waitState("ready"),
	)
	if w := get(t, b, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); w > 0 {
		t.Errorf("at 390 px wide the page overflows by %d px", w)
	}
	screenshot(t, b, "explore-narrow.png")
	checkAxe(t, b, "Shenzhen at 390 px")
	b.do(t, "wide screen", chromedp.ResetViewport())

	// Nothing found: a clear message, not an error.
	b.do(t, "unknown city", chromedp.Navigate(base+"/explore?city=Atlantis"), waitState("not-found"))
	if msg := text(t, b, `#panel .message`); !strings.Contains(msg, "No city is named “Atlantis”") {
		t.Errorf("not-found message = %q", msg)
	}
	checkAxe(t, b, "an unknown city")
	b.checkErrors(t)
}

// syntheticNetwork is a hub city with 1,000 partners, with made-up coordinates, for the
// issue's performance bar. It goes only into the test's own database.
const syntheticNetwork = `
INSERT INTO countries (code, name) VALUES ('AU', 'Australia'), ('BR', 'Brazil'), ('CN', 'China'),
  ('DE', 'Germany'), ('FR', 'France'), ('IN', 'India'), ('JP', 'Japan'), ('RU', 'Russian Federation'),
  ('US', 'United States of America'), ('ZA', 'South Africa');
WITH hub AS (
  INSERT INTO cities (country_id, name, latitude, longitude)
  SELECT id, 'Hubton', 22.54, 114.06 FROM countries WHERE code = 'CN' RETURNING id
), partners AS (
  INSERT INTO cities (country_id, name, latitude, longitude)
  SELECT (SELECT id FROM countries ORDER BY code OFFSET g % 10 LIMIT 1), 'Partner ' || g,
         -55 + (g * 37) % 125, -180 + (g * 71) % 360
  FROM generate_series(1, 1000) g RETURNING id, name
)
INSERT INTO partnerships (kind, city_a_id, city_b_id, since)
SELECT CASE WHEN n % 3 = 0 THEN 'SISTER_CITY' ELSE 'FRIENDLY_EXCHANGE' END,
       LEAST(h.id, p.id), GREATEST(h.id, p.id), make_date(1980 + (n % 45)::int, 1 + (n % 12)::int, 1)
FROM hub h, (SELECT id, row_number() OVER (ORDER BY name) AS n FROM partners) p;
`

// TestBrowserThousandPartners: the map and panel of a city with 1,000 partners are
// drawn, all pages of partnerships fetched, labels without overlap. How long it takes
// is logged, not asserted: a timing bound in a test fails on a loaded machine and says
// nothing there (0.44–0.75 s on an idle one, 3 s once under a load average of 20).
func TestBrowserThousandPartners(t *testing.T) {
	b, base := browserOn(t, syntheticNetwork)
	b.do(t, "open Hubton", chromedp.Navigate(base+"/explore?city=Hubton"), waitState("ready"))
	ms := get(t, b, chromedp.Evaluate[float64](`performance.getEntriesByName("amity:rendered")[0].startTime`))
	t.Logf("1,000 partners: rendered %.0f ms after navigation start", ms)
	t.Logf("timings: %s", get(t, b, chromedp.Evaluate[string](`JSON.stringify({
		dcl: Math.round(performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd),
		api: performance.getEntriesByType("resource").filter((r) => r.name.endsWith("/graphql")).map((r) => [Math.round(r.startTime), Math.round(r.duration)]),
	})`)))
	for sel, want := range map[string]int{
		`#map svg a.marker.partner`:            1000,
		`#map svg path.arc`:                    1000,
		`#panel table.partnerships tbody tr`:   1000,
		`#map svg a.marker.partner.approx`:     0,
		`#map svg path.arc.sister`:             333,
		`#panel td[data-counted=partnerships]`: 1,
	} {
		if n := count(t, b, sel); n != want {
			t.Errorf("%s: %d, want %d", sel, n, want)
		}
	}
	if n := get(t, b, chromedp.Evaluate[int](overlappingLabels)); n != 0 {
		t.Errorf("1,000 partners: %d pairs of labels overlap", n)
	}
	if n := count(t, b, `#map svg .labels text`); n < 10 {
		t.Errorf("1,000 partners: %d labels, want the map's room used", n)
	}
	screenshot(t, b, "explore-1000.png")
	b.checkErrors(t)
}

// overlappingLabels counts the pairs of map labels whose boxes overlap (by more than
// half a unit: neighbours may touch).
const overlappingLabels = `(() => {
	const bs = [...document.querySelectorAll("#map svg .labels text")].map((t) => t.getBBox());
	let n = 0;
	for (let i = 0; i < bs.length; i++) for (let j = i + 1; j < bs.length; j++) {
		const a = bs[i], b = bs[j];
		if (a.x + 0.5 < b.x + b.width && b.x + 0.5 < a.x + a.width && a.y + 0.5 < b.y + b.height && b.y + 0.5 < a.y + a.height) n++;
	}
	return n;
})()`

// realWorldNetwork is a city as a gazetteer and a partner's spreadsheet leave it: scores of
// alternate names (Buenos Aires has 86 in GeoNames; Testville has as many), partners close
// together whose labels would overlap, and ties whose start no source gives. Synthetic
// names and coordinates, an example.org source, in the test's own database only. One
// agreement has no date either.
const realWorldNetwork = `
INSERT INTO countries (code, name) VALUES ('AR', 'Argentina'), ('BR', 'Brazil'), ('CL', 'Chile'),
  ('PY', 'Paraguay'), ('UY', 'Uruguay');
INSERT INTO sources (title, publisher, url) VALUES ('Testville twin towns', 'Example', 'https://example.org/testville-twins');
WITH src AS (
  SELECT id FROM sources WHERE url = 'https://example.org/testville-twins'
), hub AS (
  INSERT INTO cities (country_id, name, population, latitude, longitude)
  SELECT id, 'Testville', 3000000, -34.6, -58.4 FROM countries WHERE code = 'AR' RETURNING id
), names AS (
  INSERT INTO city_names (city_id, language, name)
  SELECT hub.id, l.language, l.name FROM hub, (VALUES ('en', 'Testville'), ('en', 'Test Town'), ('es', 'Villa Prueba'), ('fr', 'Villetest'),
    ('de', 'Teststadt'), ('ru', 'Тествиль'), ('zh', '测试城'), ('ja', 'テストヴィル')) AS l (language, name)
  UNION ALL
  SELECT hub.id, 'und', 'Testville ' || g FROM hub, generate_series(1, 79) g
), partners AS (
  INSERT INTO cities (country_id, name, population, latitude, longitude)
  SELECT (SELECT id FROM countries ORDER BY code OFFSET g % 5 LIMIT 1), 'Testburg ' || g, 1000 * g * g,
         -34.6 + ((g * 37) % 17 - 8) * 0.6, -58.4 + ((g * 53) % 19 - 9) * 0.7
  FROM generate_series(1, 40) g RETURNING id, name
), ties AS (
  INSERT INTO partnerships (kind, city_a_id, city_b_id, since, until)
  SELECT CASE WHEN n % 2 = 0 THEN 'SISTER_CITY' ELSE 'FRIENDLY_EXCHANGE' END, LEAST(h.id, p.id), GREATEST(h.id, p.id),
         CASE WHEN n > 10 THEN make_date(1991 + (n % 30)::int, 6, 1) END,
         CASE WHEN n = 1 THEN DATE '2001-01-01' END
  FROM hub h, (SELECT id, row_number() OVER (ORDER BY name) AS n FROM partners) p RETURNING id
)
INSERT INTO partnership_sources (partnership_id, source_id) SELECT ties.id, src.id FROM ties, src;
WITH a AS (
  INSERT INTO agreements (title, kind) VALUES ('Testville–Testburg 3 memorandum', 'MEMORANDUM') RETURNING id
), parties AS (
  INSERT INTO agreement_parties (agreement_id, city_id, position)
  SELECT a.id, c.id, (row_number() OVER (ORDER BY c.name) - 1)::smallint FROM a, cities c
  WHERE c.name IN ('Testville', 'Testburg 3') RETURNING agreement_id
)
INSERT INTO agreement_sources (agreement_id, source_id)
SELECT a.id, s.id FROM a, sources s WHERE s.url = 'https://example.org/testville-twins';
`

// TestBrowserRealWorld: issue 13's explorer on real-ish data. The names are collapsed and
// the partnerships stay in view; the map frames the network (a button for the world) and
// no two labels overlap, a left-out one showing on hover and focus; undated ties are
// shown, marked, at every date of the slider; axe-core finds nothing throughout.
func TestBrowserRealWorld(t *testing.T) {
	b, base := browserOn(t, realWorldNetwork)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	eval := func(js string) string { return get(t, b, chromedp.Evaluate[string](js)) }
	num := func(js string) float64 { return get(t, b, chromedp.Evaluate[float64](js)) }

	b.do(t, "open Testville", chromedp.Navigate(base+"/explore?city=Testville"), waitState("ready"))

	// Names: five in view (the reader's language first), the other 81 behind a button.
	if n := count(t, b, `#panel .names > span[lang], #panel .names > span:not(.more-names)`); n != 5 {
		t.Errorf("%d names in view, want 5", n)
	}
	if got := text(t, b, `#panel .names > span`); got != "Test Town" {
		t.Errorf("first name shown = %q, want the other English one (the browser's language) first", got)
	}
	if got := text(t, b, `#panel .names button`); got != "81 more names" {
		t.Errorf("names button = %q, want 81 more names", got)
	}
	if top, h := num(`document.querySelector("#panel table.partnerships tbody tr").getBoundingClientRect().top`), num(`window.innerHeight`); top+10 > h {
		t.Errorf("the first partnership is below the fold (%.0f px, window %.0f px)", top, h)
	}
	checkAxe(t, b, "Testville")
	b.do(t, "expand the names", chromedp.Click(css(`#panel .names button`)))
	if n := count(t, b, `#panel .names span:not(.more-names)`); n != 86 || eval(`document.querySelector("#panel .names button").getAttribute("aria-expanded")`) != "true" {
		t.Errorf("expanded: %d names, want 86 and aria-expanded", n)
	}
	checkAxe(t, b, "Testville with every name")
	b.do(t, "collapse the names", chromedp.Click(css(`#panel .names button`)))
	if vis := num(`[...document.querySelectorAll("#panel .names span:not(.more-names)")].filter((s) => s.offsetParent).length`); vis != 5 {
		t.Errorf("collapsed again: %.0f names visible, want 5", vis)
	}

	// The map frames the network: the world is larger than the map, until World view.
	const sphere = `document.querySelector("#map svg path.sphere").getBBox().width`
	if w := num(sphere); w < 960*1.5 {
		t.Errorf("the map is not framed to the network: the world is %.0f units wide in a 960-unit map", w)
	}
	b.do(t, "world view", chromedp.Click(css(`#map .map-tools button`)))
	if w := num(sphere); w > 960 || eval(`document.querySelector("#map .map-tools button").getAttribute("aria-pressed")`) != "true" {
		t.Errorf("world view: the world is %.0f units wide, want the whole world in 960", w)
	}
	screenshot(t, b, "explore-testville-world.png")
	b.do(t, "back to the network", chromedp.Click(css(`#map .map-tools button`)))
	if w := num(sphere); w < 960*1.5 {
		t.Errorf("after world view, framed again: the world is %.0f units wide", w)
	}

	// Labels: none overlaps another; the left-out ones belong to the least populous.
	labels, markers := count(t, b, `#map svg .labels text`), count(t, b, `#map svg a.marker.partner`)
	if markers != 40 || labels < 2 || labels > markers {
		t.Errorf("%d labels for %d partner markers", labels, markers)
	}
	if n := num(overlappingLabels); n != 0 {
		t.Errorf("%.0f pairs of labels overlap", n)
	}
	if count(t, b, `#map svg a.marker.partner[data-labelled="false"]`) == 0 {
		t.Fatal("no label was left out: the test's partners are too far apart to test it")
	}
	if got := eval(`document.querySelector('#map svg a.marker[data-name="Testburg 40"]').dataset.labelled`); got != "true" {
		t.Errorf("the most populous partner's label is left out (labelled=%s)", got)
	}
	hover := eval(`(() => {
		const a = document.querySelector('#map svg a.marker.partner[data-labelled="false"]');
		const l = document.querySelector("#map svg text.hover-label");
		const seen = (l) => l.getAttribute("visibility") === "visible" ? l.textContent : "";
		a.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
		const over = seen(l);
		a.dispatchEvent(new MouseEvent("mouseout", { bubbles: true }));
		const out = seen(l);
		a.focus();
		const focused = seen(l);
		a.blur();
		return JSON.stringify([a.dataset.name, over, out, focused, seen(l)]);
	})()`)
	var hv []string
	if err := json.Unmarshal([]byte(hover), &hv); err != nil || len(hv) != 5 || hv[1] != hv[0] || hv[2] != "" || hv[3] != hv[0] || hv[4] != "" {
		t.Errorf("a left-out label on hover, out, focus, blur: %s, want [name, name, \"\", name, \"\"]", hover)
	}

	// Undated ties: listed today, marked; and on a past date, where the API leaves them
	// out, still shown (less the one that ended in 2001).
	undated := func(want int, when string) {
		t.Helper()
		rows, marks := count(t, b, `#panel tr[data-undated="true"]`), count(t, b, `#map svg a.marker.partner.undated`)
		if rows != want || marks != want {
			t.Errorf("%s: %d undated rows and %d undated markers, want %d", when, rows, marks, want)
		}
		if got := text(t, b, `#panel tr[data-undated="true"] .undated-tag`); got != "undated" {
			t.Errorf("%s: an undated tie's since = %q", when, got)
		}
		if count(t, b, `#legend li.undated`) != 1 {
			t.Errorf("%s: no legend entry for undated ties", when)
		}
	}
	undated(10, "today")
	const frame = `(() => { const b = document.querySelector("#map svg path.sphere").getBBox(); return [b.x, b.y, b.width].map(Math.round).join(" "); })()`
	today := eval(frame)
	b.do(t, "Testville in 2010", chromedp.Navigate(base+"/explore?city=Testville&asOf=2010-12-31"), waitState("ready"))
	undated(9, "2010-12-31")
	if got := text(t, b, `#panel table.figures tr[data-metric="FRIENDLY_CITIES"] td:last-child`); !strings.Contains(got, "+ 9 undated") {
		t.Errorf("counted partner cities on 2010-12-31 = %q, want the undated ties added", got)
	}
	if got := text(t, b, `#panel ul.agreements`); !strings.Contains(got, "Testville–Testburg 3 memorandum") || !strings.Contains(got, "date unknown") {
		t.Errorf("on 2010-12-31, the undated agreement is not listed as such: %q", got)
	}
	checkAxe(t, b, "Testville on 2010-12-31")
	b.do(t, "slide to the first year",
		chromedp.Focus(css(`#year`)),
		chromedp.SendKeys(css(`#year`), kb.Home),
		chromedp.Poll[chromedp.Void](`location.search.includes("asOf=1991-12-31") && document.body.dataset.state === "ready"`),
	)
	undated(10, "1991-12-31")
	if got := eval(frame); got != today {
		t.Errorf("the frame moved with the date: world box %s in 1991, %s today", got, today)
	}
	if n := count(t, b, `#panel tr:not([data-undated])[data-partner]`); n != 1 {
		t.Errorf("1991-12-31: %d dated ties, want 1", n)
	}
	screenshot(t, b, "explore-testville-1991.png")
	b.checkErrors(t)
}

// impreciseNetwork is a city whose ties and agreements are dated only by a year, a month,
// or not at all (docs/dates.md): a tie "since 1994", one "since 1994-05", an undated
// one, and agreements signed "in 1994" and "in 1994-05" (in a statement of their own,
// which sees the cities the first one wrote). Synthetic names, in the test's own
// database only.
const impreciseNetwork = `
INSERT INTO countries (code, name) VALUES ('AR', 'Argentina');
WITH hub AS (
  INSERT INTO cities (country_id, name, population, latitude, longitude)
  SELECT id, 'Testhaven', 100000, -34.6, -58.4 FROM countries WHERE code = 'AR' RETURNING id
), partners AS (
  INSERT INTO cities (country_id, name, population, latitude, longitude)
  SELECT k.id, p.name, 1000, p.lat, -58.0 FROM countries k,
    (VALUES ('Testport 1994', -34.0), ('Testport 1994-05', -33.0), ('Testport undated', -32.0)) AS p (name, lat)
  WHERE k.code = 'AR' RETURNING id, name
)
INSERT INTO partnerships (kind, city_a_id, city_b_id, since, since_precision)
SELECT 'SISTER_CITY', LEAST(h.id, p.id), GREATEST(h.id, p.id), d.since, d.precision
FROM hub h, partners p, (VALUES ('Testport 1994', DATE '1994-01-01', 'year'), ('Testport 1994-05', DATE '1994-05-01', 'month'),
  ('Testport undated', NULL, 'day')) AS d (name, since, precision)
WHERE p.name = d.name;
WITH a AS (
  INSERT INTO agreements (title, kind, signed_on, signed_on_precision)
  VALUES ('Signed in 1994', 'MEMORANDUM', DATE '1994-01-01', 'year'), ('Signed in May 1994', 'MEMORANDUM', DATE '1994-05-01', 'month')
  RETURNING id
)
INSERT INTO agreement_parties (agreement_id, city_id, position)
SELECT a.id, c.id, (row_number() OVER (PARTITION BY a.id ORDER BY c.name) - 1)::smallint
FROM a, cities c WHERE c.name IN ('Testhaven', 'Testport 1994');
`

// TestBrowserImpreciseDates: on a day in the middle of a year, the explorer lists what the
// API counts on that day (docs/dates.md: "since 1994" and "signed in 1994" count from
// 1994-12-31, "since 1994-05" from 1994-05-31), and the undated tie at every date,
// marked as such. The panel's lists are checked against the API's own network figures.
func TestBrowserImpreciseDates(t *testing.T) {
	b, base := browserOn(t, impreciseNetwork)
	for _, tc := range []struct {
		asOf       string
		dated      []string // the dated partners listed
		agreements []string // the agreements listed
	}{
		{"1994-05-30", nil, nil},
		{"1994-06-30", []string{"Testport 1994-05"}, []string{"Signed in May 1994"}},
		{"1994-12-31", []string{"Testport 1994", "Testport 1994-05"}, []string{"Signed in 1994", "Signed in May 1994"}},
	} {
		b.do(t, "Testhaven on "+tc.asOf, chromedp.Navigate(base+"/explore?city=Testhaven&asOf="+tc.asOf), waitState("ready"))
		dated := get(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#panel tr:not([data-undated])[data-partner]")].map((r) => r.dataset.partner).sort()`))
		if strings.Join(dated, ", ") != strings.Join(tc.dated, ", ") {
			t.Errorf("%s: dated ties listed %q, want %q", tc.asOf, dated, tc.dated)
		}
		if got := text(t, b, `#panel tr[data-undated="true"]`); !strings.Contains(got, "Testport undated") || !strings.Contains(got, "undated") {
			t.Errorf("%s: the undated tie is not listed, marked: %q", tc.asOf, got)
		}
		listed := get(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#panel ul.agreements p.title strong")].map((s) => s.textContent).sort()`))
		if strings.Join(listed, ", ") != strings.Join(tc.agreements, ", ") {
			t.Errorf("%s: agreements listed %q, want %q", tc.asOf, listed, tc.agreements)
		}

		// The API's own figures for the day: the panel's lists must agree with them.
		var net struct {
			Data struct {
				City struct {
					Network struct{ PartnerCities, UndatedPartnerCities, Agreements int }
				}
			}
		}
		postGraphQL(t, base, `query($asOf: Date) { city(name: "Testhaven") { network(asOf: $asOf) { partnerCities undatedPartnerCities agreements } } }`,
			map[string]any{"asOf": tc.asOf}, &net)
		if n := net.Data.City.Network; n.PartnerCities != len(tc.dated) || n.Agreements != len(tc.agreements) || n.UndatedPartnerCities != 1 {
			t.Errorf("%s: the API counts %+v, the panel lists %d dated ties, %d agreements and 1 undated", tc.asOf, n, len(dated), len(listed))
		}
		if got := text(t, b, `#panel table.figures tr[data-metric="FRIENDLY_CITIES"] td:last-child`); got != fmt.Sprintf("%d + 1 undated", len(tc.dated)) {
			t.Errorf("%s: counted partner cities = %q, want %d + 1 undated", tc.asOf, got, len(tc.dated))
		}
	}
	checkAxe(t, b, "Testhaven on 1994-12-31")
	b.checkErrors(t)
}

// postGraphQL posts a query to the server's endpoint and decodes its answer into v,
// failing on any error.
func postGraphQL(t *testing.T, base, query string, vars map[string]any, v any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)) {
		t.Fatalf("POST /graphql: %d %s %v", resp.StatusCode, raw, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}
