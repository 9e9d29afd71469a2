package playground

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/amity/amity/internal/web/examples"
)

// TestBrowserFirstTab opens the playground with the shipped examples in headless Chromium
// (Debian's chromium, or AMITY_CHROMIUM; without one it skips, except under CI=true) and
// reads the first tab as GraphiQL shows it: the example's name once, then its query.
func TestBrowserFirstTab(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := ""
	for _, c := range []string{os.Getenv("AMITY_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p, err := exec.LookPath(c); c != "" && err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		msg := "no chromium found (apt-get install -y chromium, or set AMITY_CHROMIUM)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	all := examples.All()
	var tabs []Example
	for _, ex := range all {
		tabs = append(tabs, Example{Name: ex.Name, Query: ex.Query})
	}
	srv := httptest.NewServer(Handler("/graphql", tabs))
	defer srv.Close()

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(exe), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx)
	defer cancelCtx()
	if err := chromedp.Do(ctx); err != nil { // starts the browser, without a timeout that would stop it
		t.Fatalf("starting chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	const editor = ".graphiql-query-editor .CodeMirror"
	if err := chromedp.Do(tctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(editor))); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.getValue()`))
	if err != nil {
		t.Fatal(err)
	}
	if shown != all[0].Query {
		t.Errorf("the first tab shows\n%s\nwant the example as its file has it (its name once, as the first line):\n%s", shown, all[0].Query)
	}
	if first := "# " + all[0].Name + "\n"; strings.Count(shown, first) != 1 {
		t.Errorf("the first tab has its name %d times", strings.Count(shown, first))
	}
	n, err := chromedp.Run(tctx, chromedp.Evaluate[int](`document.querySelectorAll(".graphiql-tab").length`))
	if err != nil || n != len(all) {
		t.Errorf("%d tabs (%v), want %d", n, err, len(all))
	}
}
