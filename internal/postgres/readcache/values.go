package readcache

import (
	"reflect"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// Entities lists a dependency on every entity a value read from the store holds, nested ones
// included: a change to any of them (a partner city renamed, a source retitled) makes
// the value stale.
func Entities(v any) []Dep {
	var deps []Dep
	var walk func(v any)
	ent := func(id uuid.UUID) { deps = append(deps, Entity(id)) }
	opt := func(id *uuid.UUID) {
		if id != nil {
			ent(*id)
		}
	}
	walk = func(v any) {
		switch x := v.(type) {
		case *knowledge.City:
			if x != nil {
				ent(x.ID)
				ent(x.CountryID)
			}
		case *knowledge.Country:
			if x != nil {
				ent(x.ID)
			}
		case *knowledge.Official:
			if x != nil {
				ent(x.ID)
				opt(x.CityID)
			}
		case *knowledge.Agreement:
			if x != nil {
				ent(x.ID)
				opt(x.SignedInID)
			}
		case *knowledge.Institution:
			if x != nil {
				ent(x.ID)
				ent(x.CityID)
			}
		case *knowledge.Partnership:
			if x != nil {
				ent(x.ID)
				ent(x.CityAID)
				ent(x.CityBID)
				walk(x.Partner)
			}
		case *knowledge.Source:
			if x != nil {
				ent(x.ID)
			}
		case *knowledge.Signatory:
			if x != nil {
				ent(x.OfficialID)
				ent(x.PartyID)
				walk(x.Official)
			}
		case *knowledge.LocalizedName:
			if x != nil {
				opt(x.SourceID)
			}
		case *knowledge.Statement:
			if x != nil {
				ent(x.SourceID)
			}
		case *knowledge.ReportedFigure:
			if x != nil {
				ent(x.ID)
				ent(x.SourceID)
			}
		case *knowledge.Page[knowledge.City]:
			walkPage(x, walk)
		case *knowledge.Page[knowledge.Official]:
			walkPage(x, walk)
		case *knowledge.Page[knowledge.Agreement]:
			walkPage(x, walk)
		case *knowledge.Page[knowledge.Institution]:
			walkPage(x, walk)
		case *knowledge.Page[knowledge.Partnership]:
			walkPage(x, walk)
		case []*knowledge.City:
			walkAll(x, walk)
		case []*knowledge.Institution:
			walkAll(x, walk)
		case []*knowledge.Partnership:
			walkAll(x, walk)
		case []*knowledge.Signatory:
			walkAll(x, walk)
		case []*knowledge.Source:
			walkAll(x, walk)
		case []*knowledge.Statement:
			walkAll(x, walk)
		case []*knowledge.LocalizedName:
			walkAll(x, walk)
		case []*knowledge.ReportedFigure:
			walkAll(x, walk)
		}
	}
	walk(v)
	return deps
}

func walkPage[T any](p *knowledge.Page[T], walk func(any)) {
	if p != nil {
		for _, it := range p.Items {
			walk(it)
		}
	}
}

func walkAll[T any](xs []*T, walk func(any)) {
	for _, x := range xs {
		walk(x)
	}
}

// Size estimates the bytes a value read from the store holds, for the cache's budget: the
// structs, strings and slices it reaches (domain values are trees, so nothing is
// counted twice).
func Size(v any) int64 {
	return sizeOf(reflect.ValueOf(v), 0)
}

func sizeOf(v reflect.Value, depth int) int64 {
	if !v.IsValid() || depth > 8 {
		return 0
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return 8
		}
		return 8 + int64(v.Elem().Type().Size()) + inner(v.Elem(), depth+1)
	case reflect.Slice:
		n := int64(24 + v.Len()*int(v.Type().Elem().Size()))
		for i := range v.Len() {
			n += inner(v.Index(i), depth+1)
		}
		return n
	case reflect.String:
		return 16 + int64(v.Len())
	case reflect.Struct:
		return int64(v.Type().Size()) + inner(v, depth+1)
	default:
		return int64(v.Type().Size())
	}
}

// inner is what a value reaches beyond its own inline size.
func inner(v reflect.Value, depth int) int64 {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice:
		return sizeOf(v, depth) - 8
	case reflect.String:
		return int64(v.Len())
	case reflect.Struct:
		var n int64
		for i := range v.NumField() {
			n += inner(v.Field(i), depth)
		}
		return n
	}
	return 0
}
