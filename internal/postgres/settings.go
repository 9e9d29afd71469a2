package postgres

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// withSessionSettings adds the connection's settings to the URL: connect_timeout
// (seconds, for dialing), statement_timeout (milliseconds) and how statements are sent
// and planned, which lib/pq sends to the server as run-time parameters of every new
// session. Settings already in the URL win,
// so an operator can still override them there. Key=value DSNs get the same settings.
func withSessionSettings(cfg Config) (string, error) {
	connect := cfg.ConnectTimeout
	if connect <= 0 {
		connect = 5 * time.Second
	}
	settings := [][2]string{
		{"connect_timeout", strconv.Itoa(max(1, int(connect.Round(time.Second)/time.Second)))},
		// With binary_parameters lib/pq sends Parse, Bind and Execute of a query with
		// arguments in one round trip; without it, it waits for the Parse to be described
		// first, which doubles the round trips of every read (docs/benchmarks.md).
		{"binary_parameters", "yes"},
		// Statements run prepared (stmtcache.go). Left to choose (auto), PostgreSQL kept
		// planning every lookup by an id array again, because the plan for a one-element
		// array looks cheaper than the generic one: about 100 µs of PostgreSQL CPU per
		// statement. The store's statements are keyed lookups and keyset pages whose plan
		// does not depend on the values, and its optional filters are left out of the text
		// rather than passed as NULL, so one plan serves them all.
		{"plan_cache_mode", "force_generic_plan"},
		// A generic plan takes LIMIT $n for a tenth of the rows, so a page whose rows
		// carry nested lists (AgreementsWithLinks) is costed as if it read 30,000
		// agreements, past jit_above_cost: PostgreSQL then compiled it at every
		// execution, 270 ms for a statement that runs in 1. Nothing Amity reads is
		// long enough for compilation to pay.
		{"jit", "off"},
	}
	if cfg.StatementTimeout > 0 {
		settings = append(settings, [2]string{"statement_timeout", strconv.FormatInt(max(1, cfg.StatementTimeout.Milliseconds()), 10)})
	}
	return addSettings(cfg.URL, settings)
}

// addSettings adds settings to a connection string, of either form, where it does not
// name them already.
func addSettings(dsn string, settings [][2]string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("database url: %w", err)
		}
		q := u.Query()
		for _, kv := range settings {
			if !q.Has(kv[0]) {
				q.Set(kv[0], kv[1])
			}
		}
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	for _, kv := range settings {
		if !strings.Contains(dsn, kv[0]+"=") {
			dsn = strings.TrimSpace(dsn + " " + kv[0] + "=" + kv[1])
		}
	}
	return dsn, nil
}
