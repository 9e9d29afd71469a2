package relations

import "github.com/amity/amity/internal/relay"

// The GlobalID methods give each object its opaque global ID. They are plain methods,
// not resolvers, so the GraphQL executor reads an id without starting a goroutine for it.

// GlobalID is the city's global ID.
func (c *City) GlobalID() string { return relay.ID(relay.City, c.ID) }

// GlobalID is the country's global ID.
func (c *Country) GlobalID() string { return relay.ID(relay.Country, c.ID) }

// GlobalID is the official's global ID.
func (o *Official) GlobalID() string { return relay.ID(relay.Official, o.ID) }

// GlobalID is the agreement's global ID.
func (a *Agreement) GlobalID() string { return relay.ID(relay.Agreement, a.ID) }

// GlobalID is the institution's global ID.
func (i *Institution) GlobalID() string { return relay.ID(relay.Institution, i.ID) }

// GlobalID is the partnership's global ID.
func (p *Partnership) GlobalID() string { return relay.ID(relay.Partnership, p.ID) }

// GlobalID is the source's global ID.
func (s *Source) GlobalID() string { return relay.ID(relay.Source, s.ID) }

// IsEntity marks the types that Apollo Federation resolves by their keys; the
// federation runtime asks for this method and nothing else.

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
