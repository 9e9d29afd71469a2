package knowledge

import "fmt"

// Subject names a kind of entity that cites sources and carries statements.
type Subject string

// Subjects; each has its <subject>_sources table and a <subject>_id column in statements.
const (
	CitySubject        Subject = "city"
	OfficialSubject    Subject = "official"
	AgreementSubject   Subject = "agreement"
	PartnershipSubject Subject = "partnership"
	InstitutionSubject Subject = "institution"
)

// Valid reports an error for anything but the subjects above.
func (s Subject) Valid() error {
	switch s {
	case CitySubject, OfficialSubject, AgreementSubject, PartnershipSubject, InstitutionSubject:
		return nil
	}
	return fmt.Errorf("unknown subject %q", s)
}
