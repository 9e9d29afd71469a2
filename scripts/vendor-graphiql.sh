#!/usr/bin/env bash
# Vendors the browser builds of GraphiQL, React and ReactDOM into
# internal/web/playground/assets/ so the playground can be embedded with
# go:embed and served without any CDN.
#
# Versions are pinned on purpose: the asset file names carry the version
# (the playground serves them as immutable), so bumping a version here means
# updating the file names referenced in internal/web/playground/playground.go.
#
# Usage: scripts/vendor-graphiql.sh   (needs npm; talks only to the npm registry)
set -euo pipefail

GRAPHIQL_VERSION=3.9.0
REACT_VERSION=18.3.1
REACT_DOM_VERSION=18.3.1

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest="$repo_root/internal/web/playground/assets"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(
	cd "$tmp"
	npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_DOM_VERSION" >/dev/null
	for pkg in graphiql react react-dom; do
		mkdir -p "$pkg"
		tar -xzf "$pkg"-[0-9]*.tgz -C "$pkg" --strip-components=1
	done
)

mkdir -p "$dest"
# Remove previously vendored files (other versions) but keep our own
# hand-written files (init.js, playground.css).
rm -f "$dest"/graphiql-*.min.js "$dest"/graphiql-*.min.css \
	"$dest"/react-*.production.min.js "$dest"/react-dom-*.production.min.js \
	"$dest"/LICENSE-graphiql "$dest"/LICENSE-react "$dest"/LICENSE-react-dom

install -m 0644 "$tmp/graphiql/graphiql.min.js" "$dest/graphiql-$GRAPHIQL_VERSION.min.js"
install -m 0644 "$tmp/graphiql/graphiql.min.css" "$dest/graphiql-$GRAPHIQL_VERSION.min.css"
install -m 0644 "$tmp/graphiql/LICENSE" "$dest/LICENSE-graphiql"
install -m 0644 "$tmp/react/umd/react.production.min.js" "$dest/react-$REACT_VERSION.production.min.js"
install -m 0644 "$tmp/react/LICENSE" "$dest/LICENSE-react"
install -m 0644 "$tmp/react-dom/umd/react-dom.production.min.js" "$dest/react-dom-$REACT_DOM_VERSION.production.min.js"
install -m 0644 "$tmp/react-dom/LICENSE" "$dest/LICENSE-react-dom"

# Files are copied byte-for-byte (no rewriting, not even the trailing
# sourceMappingURL comment) so the sums below can be checked against the
# npm tarballs. Browsers only fetch the maps when DevTools is open.

cd "$dest"
echo "vendored into $dest:"
sha256sum graphiql-"$GRAPHIQL_VERSION".min.js graphiql-"$GRAPHIQL_VERSION".min.css \
	react-"$REACT_VERSION".production.min.js react-dom-"$REACT_DOM_VERSION".production.min.js \
	LICENSE-graphiql LICENSE-react LICENSE-react-dom
du -ch -- *.js *.css LICENSE-* | tail -n 1
