package postgres

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// withSessionSettings adds the connection's time bounds to the URL: connect_timeout
// (seconds, for dialing) and statement_timeout (milliseconds), which lib/pq sends to the
// server as a run-time parameter of every new session. Settings already in the URL win,
// so an operator can still override them there. Key=value DSNs get the same settings.
func withSessionSettings(cfg Config) (string, error) {
	connect := cfg.ConnectTimeout
	if connect <= 0 {
		connect = 5 * time.Second
	}
	settings := [][2]string{{"connect_timeout", strconv.Itoa(max(1, int(connect.Round(time.Second)/time.Second)))}}
	if cfg.StatementTimeout > 0 {
		settings = append(settings, [2]string{"statement_timeout", strconv.FormatInt(max(1, cfg.StatementTimeout.Milliseconds()), 10)})
	}
	if strings.HasPrefix(cfg.URL, "postgres://") || strings.HasPrefix(cfg.URL, "postgresql://") {
		u, err := url.Parse(cfg.URL)
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
	dsn := cfg.URL
	for _, kv := range settings {
		if !strings.Contains(dsn, kv[0]+"=") {
			dsn = strings.TrimSpace(dsn + " " + kv[0] + "=" + kv[1])
		}
	}
	return dsn, nil
}
