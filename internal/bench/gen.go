package bench

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/google/uuid"
)

// prngSeed fixes every random choice of the generator: the same scale always yields the
// same rows, ids included.
const prngSeed = 20240306

// The generator builds the whole data set in memory as indexes into slices (a few hundred
// MB at l), then streams it to PostgreSQL with COPY. Names are obviously synthetic:
// "Testville 000123", "Official 2 of Testville 000123", "Synthetic Source 7".

var (
	agreementKinds   = []string{"MEMORANDUM", "SISTER_CITY_AGREEMENT", "FRIENDLY_EXCHANGE_AGREEMENT", "COOPERATION_AGREEMENT", "OTHER"}
	areas            = []string{"TRADE", "INVESTMENT", "TECHNOLOGY", "EDUCATION", "CULTURE", "TRANSPORTATION", "INFRASTRUCTURE", "TOURISM", "HEALTH", "ENVIRONMENT", "SCIENCE", "SPORT", "YOUTH", "URBAN_PLANNING", "OTHER"}
	institutionKinds = []string{"UNIVERSITY", "SCHOOL", "RESEARCH_INSTITUTE", "CULTURAL_CENTER", "HOSPITAL", "COMPANY", "CHAMBER_OF_COMMERCE", "GOVERNMENT_OFFICE", "PARK", "OTHER"}
	officialTitles   = []string{"Mayor of ", "Vice Mayor of ", "Director of Foreign Affairs of "}
	epoch            = time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)
)

type genCity struct {
	id         uuid.UUID
	country    int32
	population int64
	lat, lon   float64
	names      uint8 // bit 0: zh and ru names, bit 1: a French one
	source     int32
}

type genAgreement struct {
	id       uuid.UUID
	parties  []int32 // city indexes, 2 or 3, distinct
	signers  [2]int8 // which official (0..OfficialsPer-1) of parties[0] and parties[1] signed
	signedOn int32   // days since 1950-01-01
	kind     uint8
	areas    uint16 // bit set over areas
	sources  [2]int32
}

type genPartnership struct {
	id        uuid.UUID
	a, b      int32 // city indexes, ids[a] < ids[b]
	sister    bool
	since     int32
	until     int32 // 0: none
	agreement int32 // -1: none
	source    int32
}

type genInstitution struct {
	id        uuid.UUID
	city      int32
	kind      uint8
	founded   int32
	agreement int32 // -1: none
	source    int32
}

// dataset is a whole synthetic data set.
type dataset struct {
	scale        Scale
	sources      []uuid.UUID
	sourceDates  []int32
	countries    []uuid.UUID
	cities       []genCity
	officials    []uuid.UUID // city i's k-th official is officials[i*OfficialsPer+k]
	agreements   []genAgreement
	partnerships []genPartnership
	institutions []genInstitution
}

func newUUID(r *rand.Rand) uuid.UUID {
	var u uuid.UUID
	hi, lo := r.Uint64(), r.Uint64()
	for i := 0; i < 8; i++ {
		u[i] = byte(hi >> (56 - 8*i))
		u[8+i] = byte(lo >> (56 - 8*i))
	}
	u[6] = (u[6] & 0x0f) | 0x40 // version 4
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return u
}

func less(a, b uuid.UUID) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// citySampler draws cities with a skewed weight: city i weighs amp/(i+1)^0.6 + base, so
// the first cities are hubs (at l the first has about 1,000 partners, the median 15).
type citySampler struct{ cum []float64 }

func newCitySampler(n, stubs int) citySampler {
	// The hub part takes about a tenth of the stubs: sum (i+1)^-0.6 ≈ n^0.4/0.4.
	amp := 0.25 * float64(stubs) / 2 / (math.Pow(float64(n), 0.4) / 0.4)
	hub := 0.0
	w := make([]float64, n)
	for i := range w {
		w[i] = amp / math.Pow(float64(i+1), 0.6)
		hub += w[i]
	}
	base := math.Max(0.5, (float64(stubs)-hub)/float64(n))
	cum := make([]float64, n)
	total := 0.0
	for i := range w {
		total += w[i] + base
		cum[i] = total
	}
	return citySampler{cum}
}

func (s citySampler) draw(r *rand.Rand) int32 {
	x := r.Float64() * s.cum[len(s.cum)-1]
	return int32(sort.SearchFloat64s(s.cum, x))
}

// generate builds the data set of a scale. It is deterministic.
func generate(s Scale) *dataset {
	d := &dataset{scale: s}
	rng := func(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(prngSeed, stream)) }

	r := rng(1)
	d.sources = make([]uuid.UUID, s.Sources)
	d.sourceDates = make([]int32, s.Sources)
	for i := range d.sources {
		d.sources[i] = newUUID(r)
		d.sourceDates[i] = 18000 + r.Int32N(9000) // 1999..2024
	}
	d.countries = make([]uuid.UUID, s.Countries)
	for i := range d.countries {
		d.countries[i] = newUUID(r)
	}

	r = rng(2)
	d.cities = make([]genCity, s.Cities)
	for i := range d.cities {
		c := &d.cities[i]
		c.id = newUUID(r)
		c.country = r.Int32N(int32(s.Countries))
		c.population = int64(math.Exp(8 + 8*r.Float64()))
		c.lat = math.Round((r.Float64()*140-70)*1e5) / 1e5
		c.lon = math.Round((r.Float64()*360-180)*1e5) / 1e5
		if r.Float64() < s.NamedFraction {
			c.names |= 1
			if r.IntN(4) == 0 {
				c.names |= 2
			}
		}
		c.source = r.Int32N(int32(s.Sources))
	}
	d.officials = make([]uuid.UUID, s.Cities*s.OfficialsPer)
	for i := range d.officials {
		d.officials[i] = newUUID(r)
	}

	sampler := newCitySampler(s.Cities, 2*s.Partnerships)

	// Partnerships: endpoints drawn with the skewed weight, no self-ties, one tie per pair.
	r = rng(3)
	d.partnerships = make([]genPartnership, 0, s.Partnerships)
	seen := make(map[uint64]struct{}, s.Partnerships)
	for len(d.partnerships) < s.Partnerships {
		a, b := sampler.draw(r), sampler.draw(r)
		if a == b {
			continue
		}
		if less(d.cities[b].id, d.cities[a].id) {
			a, b = b, a
		}
		key := uint64(a)<<32 | uint64(b)
		if _, dup := seen[key]; dup {
			continue
		}
		seen[key] = struct{}{}
		p := genPartnership{id: newUUID(r), a: a, b: b, sister: r.IntN(3) == 0,
			since: 3650 + r.Int32N(23700), agreement: -1, source: r.Int32N(int32(s.Sources))}
		if r.IntN(20) == 0 {
			p.until = p.since + 1 + r.Int32N(3000)
		}
		d.partnerships = append(d.partnerships, p)
	}
	seen = nil

	// Agreements: the first fifth establish a partnership (parties: its two cities,
	// signed on the day it began); the rest have 2 or 3 parties drawn with the same skew.
	r = rng(4)
	d.agreements = make([]genAgreement, s.Agreements)
	established := s.Agreements / 5
	stride := s.Partnerships / max(established, 1)
	for i := range d.agreements {
		a := &d.agreements[i]
		a.id = newUUID(r)
		if i < established {
			p := &d.partnerships[i*stride]
			p.agreement = int32(i)
			a.parties = []int32{p.a, p.b}
			a.signedOn = p.since
			a.kind = 2
			if p.sister {
				a.kind = 1
			}
		} else {
			n := 2
			if r.IntN(10) < 3 {
				n = 3
			}
			a.parties = make([]int32, 0, n)
			for len(a.parties) < n {
				c := sampler.draw(r)
				dup := false
				for _, x := range a.parties {
					dup = dup || x == c
				}
				if !dup {
					a.parties = append(a.parties, c)
				}
			}
			a.signedOn = 3650 + r.Int32N(23700)
			a.kind = uint8(r.IntN(len(agreementKinds)))
		}
		a.signers = [2]int8{int8(r.IntN(s.OfficialsPer)), int8(r.IntN(s.OfficialsPer))}
		for k := 1 + r.IntN(3); k > 0; k-- {
			a.areas |= 1 << r.IntN(len(areas))
		}
		a.sources[0] = r.Int32N(int32(s.Sources))
		a.sources[1] = -1
		if r.IntN(3) == 0 {
			if x := r.Int32N(int32(s.Sources)); x != a.sources[0] {
				a.sources[1] = x
			}
		}
	}

	r = rng(5)
	d.institutions = make([]genInstitution, s.Institutions)
	for i := range d.institutions {
		in := &d.institutions[i]
		in.id = newUUID(r)
		in.city = sampler.draw(r)
		in.kind = uint8(r.IntN(len(institutionKinds)))
		in.founded = r.Int32N(27000)
		in.agreement = -1
		if r.IntN(2) == 0 {
			in.agreement = r.Int32N(int32(s.Agreements))
		}
		in.source = r.Int32N(int32(s.Sources))
	}
	return d
}

func date(days int32) string {
	return epoch.AddDate(0, 0, int(days)).Format(time.DateOnly)
}
