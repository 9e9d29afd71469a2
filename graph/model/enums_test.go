package model

import (
	"bytes"
	"testing"

	"github.com/amity/amity/internal/knowledge"
)

// The messages are the ones the enums gave when they marshalled themselves in the
// domain package; clients may match on them, so they must not drift.
func TestEnumsKeepTheirMessages(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"not a value", second(UnmarshalPartnershipKind("ALLIANCE")), `"ALLIANCE" is not a valid PartnershipKind`},
		{"not a string", second(UnmarshalAgreementKind(3)), "AgreementKind must be an enum value, not int"},
		{"lower case", second(UnmarshalCooperationArea("trade")), `"trade" is not a valid CooperationArea`},
		{"institution", second(UnmarshalInstitutionKind(nil)), "InstitutionKind must be an enum value, not <nil>"},
		{"metric", second(UnmarshalFigureMetric("")), `"" is not a valid FigureMetric`},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Errorf("%s: no error, want %q", tt.name, tt.want)
			continue
		}
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s: message %q, want %q", tt.name, got, tt.want)
		}
		if got := knowledge.ErrorCode(tt.err); got != knowledge.EINVALID {
			t.Errorf("%s: code %q, want %q", tt.name, got, knowledge.EINVALID)
		}
	}
}

func TestEnumsRoundTrip(t *testing.T) {
	k, err := UnmarshalPartnershipKind("FRIENDLY_EXCHANGE")
	if err != nil || k != knowledge.FriendlyExchange {
		t.Fatalf("UnmarshalPartnershipKind = %q, %v", k, err)
	}
	var b bytes.Buffer
	MarshalPartnershipKind(k).MarshalGQL(&b)
	if got := b.String(); got != `"FRIENDLY_EXCHANGE"` {
		t.Errorf("MarshalPartnershipKind wrote %s", got)
	}
}

func second[T any](_ T, err error) error { return err }
