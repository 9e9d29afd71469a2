// Starts GraphiQL for the Amity playground page.
//
// This lives in its own file rather than inline in the page so the page's
// Content-Security-Policy can use script-src 'self' with no inline-script
// allowance. All server-provided values come from the
// <script type="application/json" id="config"> element, which the server
// renders with html/template so it is data, never code.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("config").textContent);
  var examples = config.examples || [];

  // Each example's query arrives as its tab's text, already opened by the
  // example's name as a comment (the server adds it where the query lacks
  // it: playground.go's tabQuery).
  var tabs = examples.map(function (ex) {
    var tab = { query: ex.query };
    if (ex.variables) {
      tab.variables = ex.variables;
    }
    return tab;
  });

  var props = {
    fetcher: GraphiQL.createFetcher({ url: config.endpoint }),
    // Open the schema docs straight away: browsing the schema is the main
    // reason people open this page.
    visiblePlugin: "Documentation Explorer",
    defaultEditorToolsVisibility: tabs.some(function (t) { return !!t.variables; }) ? "variables" : false,
  };
  if (tabs.length > 0) {
    props.defaultTabs = tabs;
    props.defaultQuery = tabs[0].query;
  }

  // GraphiQL 3 only half-restores the active tab by itself: it fills the
  // editors from its "query"/"variables" storage keys, which can disagree
  // with the saved tabs (variables are often never stored), and on a
  // mismatch it appends a duplicate of the active tab. On a first visit it
  // also leaves the first default tab's variables out of the editor. Passing
  // the tab we want shown as the initial query and variables fixes both:
  // GraphiQL then recognises it as an existing tab and just activates it.
  var initial = savedActiveTab() || tabs[0];
  if (initial) {
    props.query = initial.query || "";
    props.variables = initial.variables || "";
  }

  function savedActiveTab() {
    try {
      var state = JSON.parse(window.localStorage.getItem("graphiql:tabState"));
      var tab = state && state.tabs && state.tabs[state.activeTabIndex];
      return tab && typeof tab === "object" ? tab : null;
    } catch (e) {
      // Storage may be disabled (privacy modes) or hold something invalid;
      // either way GraphiQL starts from the default tabs.
      return null;
    }
  }

  var logo = React.createElement(GraphiQL.Logo, null, "Amity");
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, props, logo)
  );
})();
