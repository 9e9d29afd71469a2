package graph_test

import (
	"strings"
	"testing"
)

// city(name:, country:) narrows a name to one country, given by its code or its name;
// country without a name is refused.
func TestCityByNameAndCountry(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	tests := []struct {
		query, want, code string
	}{
		{`{ city(name: "Москва", country: "ru") { name } }`, `{"city":{"name":"Moscow"}}`, ""},
		{`{ city(name: "Moscow", country: "Russian Federation") { name } }`, `{"city":{"name":"Moscow"}}`, ""},
		{`{ city(name: "Moscow", country: "CN") { name } }`, `{"city":null}`, ""},
		{`{ city(country: "RU") { name } }`, "", "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		r := a.MustPost(t, tt.query, nil)
		if tt.code != "" {
			if len(r.Errors) == 0 || r.Errors[0].code() != tt.code {
				t.Errorf("%s: %s, want %s", tt.query, r.Raw, tt.code)
			}
			continue
		}
		if len(r.Errors) > 0 || strings.TrimSpace(string(r.Data)) != tt.want {
			t.Errorf("%s: %s, want data %s", tt.query, r.Raw, tt.want)
		}
	}
}
