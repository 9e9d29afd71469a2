package postgres

import (
	"testing"
	"time"
)

func TestWithSessionSettings(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"url", Config{URL: "postgres://u@h:5432/db?sslmode=disable", StatementTimeout: 5 * time.Second},
			"postgres://u@h:5432/db?binary_parameters=yes&connect_timeout=5&jit=off&plan_cache_mode=force_generic_plan&sslmode=disable&statement_timeout=5000"},
		{"url settings win", Config{URL: "postgres://u@h/db?statement_timeout=100&connect_timeout=1&binary_parameters=no", StatementTimeout: 5 * time.Second, ConnectTimeout: 9 * time.Second},
			"postgres://u@h/db?binary_parameters=no&connect_timeout=1&jit=off&plan_cache_mode=force_generic_plan&statement_timeout=100"},
		{"no statement timeout", Config{URL: "postgres://u@h/db"}, "postgres://u@h/db?binary_parameters=yes&connect_timeout=5&jit=off&plan_cache_mode=force_generic_plan"},
		{"key=value", Config{URL: "host=h dbname=db", StatementTimeout: time.Second, ConnectTimeout: 2 * time.Second},
			"host=h dbname=db connect_timeout=2 binary_parameters=yes plan_cache_mode=force_generic_plan jit=off statement_timeout=1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := withSessionSettings(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
