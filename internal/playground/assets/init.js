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

  // GraphiQL titles tabs by operation name, which examples may lack, so the
  // example's name is prepended as a GraphQL comment to keep tabs
  // recognisable without changing what the query does.
  var tabs = examples.map(function (ex) {
    var tab = { query: "# " + ex.name.replace(/[\r\n]+/g, " ") + "\n" + ex.query };
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

  var logo = React.createElement(GraphiQL.Logo, null, "Amity");
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, props, logo)
  );
})();
