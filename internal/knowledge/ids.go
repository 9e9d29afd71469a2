package knowledge

// The GlobalID methods give each object its opaque global ID. They are plain methods,
// not resolvers, so the GraphQL executor reads an id without starting a goroutine for it.

// GlobalID is the city's global ID.
func (c *City) GlobalID() string { return GlobalID(TypeCity, c.ID) }

// GlobalID is the country's global ID.
func (c *Country) GlobalID() string { return GlobalID(TypeCountry, c.ID) }

// GlobalID is the official's global ID.
func (o *Official) GlobalID() string { return GlobalID(TypeOfficial, o.ID) }

// GlobalID is the agreement's global ID.
func (a *Agreement) GlobalID() string { return GlobalID(TypeAgreement, a.ID) }

// GlobalID is the institution's global ID.
func (i *Institution) GlobalID() string { return GlobalID(TypeInstitution, i.ID) }

// GlobalID is the partnership's global ID.
func (p *Partnership) GlobalID() string { return GlobalID(TypePartnership, p.ID) }

// GlobalID is the source's global ID.
func (s *Source) GlobalID() string { return GlobalID(TypeSource, s.ID) }

// IsEntity marks the types that Apollo Federation resolves by their keys. These markers
// are the one trace of GraphQL left in this package, and they import nothing: gqlgen's
// generated federation code holds resolved entities as fedruntime.Entity, an interface
// with this method, and gqlgen refuses a binding of the _Entity union ("_Entity already
// exists which must be reserved when Federation is enabled"), so the union cannot be an
// empty interface in graph/model the way Node is. docs/architecture.md says what would
// remove them.

// IsEntity marks City as a federation entity.
func (*City) IsEntity() {}

// IsEntity marks Country as a federation entity.
func (*Country) IsEntity() {}

// IsEntity marks Official as a federation entity.
func (*Official) IsEntity() {}

// IsEntity marks Agreement as a federation entity.
func (*Agreement) IsEntity() {}

// IsEntity marks Institution as a federation entity.
func (*Institution) IsEntity() {}
