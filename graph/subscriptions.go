package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/graph/loader"
	"github.com/amity/amity/graph/model"
	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/notify"
)

// maxResume bounds how far back a subscription may resume: after: more than this many
// sequences behind the newest change is refused (BAD_USER_INPUT), since replaying it
// would hold a subscription on the log for minutes; such a client re-reads what it
// cares about with queries and subscribes afresh.
const maxResume = 1_000_000

// subscribe checks a subscription's access, city and resume point, and opens its change
// feed: a resumable hub subscription, completed from the change log (the audit log).
func (r *Resolver) subscribe(ctx context.Context, what string, city *string, after *int, f notify.Filter) (*changeFeed, error) {
	if err := auth.Require(ctx, knowledge.ScopeRead); err != nil {
		return nil, err
	}
	if city != nil {
		id, err := parseID("city", knowledge.TypeCity, *city)
		if err != nil {
			return nil, err
		}
		f.City = id
	}
	if after != nil && *after < 0 {
		return nil, knowledge.Errorf(knowledge.EINVALID, "after must be a sequence an event carried, not %d", *after)
	}
	if r.Changes == nil {
		return nil, knowledge.Errorf(knowledge.EUNAVAILABLE, "subscriptions are not enabled on this server")
	}
	// "From now on" is from here: the changes committed after start and before the
	// hub listens are not notified to this subscription, so it reads them from the log.
	start, err := r.lastSeq(ctx)
	if err != nil {
		return nil, err
	}
	f.Resumable = true
	sub, err := r.Changes.Subscribe(ctx, f)
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, err
	default:
		return nil, knowledge.Errorf(knowledge.EUNAVAILABLE, "subscriptions are unavailable right now; try again shortly")
	}
	// Read now that the hub listens: every change after newest is notified.
	newest, err := r.lastSeq(ctx)
	if err != nil {
		sub.Close()
		return nil, err
	}
	feed := &changeFeed{r: r, what: what, sub: sub, filter: f, last: start, resumeTo: newest}
	if after != nil {
		switch a := int64(*after); {
		case a > newest:
			sub.Close()
			return nil, knowledge.Errorf(knowledge.EINVALID, "after %d is beyond the newest change (%d); pass a sequence an event carried", a, newest)
		case newest-a > maxResume:
			sub.Close()
			return nil, knowledge.Errorf(knowledge.EINVALID,
				"after %d is too far back: at most %d changes before the newest (%d) can be replayed; re-read what you need and subscribe without after", a, maxResume, newest)
		default:
			feed.last = a
		}
	}
	return feed, nil
}

// lastSeq is the newest sequence in the change log, for a subscription being set up.
func (r *Resolver) lastSeq(ctx context.Context) (int64, error) {
	lctx, cancel := context.WithTimeout(ctx, eventTimeout)
	defer cancel()
	seq, err := r.Store.LastSeq(lctx)
	switch {
	case err == nil:
		return seq, nil
	case ctx.Err() != nil:
		return 0, ctx.Err()
	default:
		return 0, knowledge.Errorf(knowledge.EUNAVAILABLE, "subscriptions are unavailable right now; try again shortly")
	}
}

// changeFeed turns one subscription's notifications into events in sequence order,
// none missed and none twice. Notifications come in sequence order (knowledge.Change.Seq)
// but some only say that changes happened (a bulk write, a gap after a listener outage
// or a full buffer): those changes are read from the change log after last, the
// sequence the feed has delivered up to.
type changeFeed struct {
	r      *Resolver
	what   string
	sub    *notify.Subscription
	filter notify.Filter
	// last is the sequence up to which every change the filter keeps has been delivered.
	last int64
	// resumeTo is how far the log is read before the first notification: the newest
	// change once the hub listened.
	resumeTo int64
}

// deliverFunc sends the event of one change: nil once sent (or when the change turns
// out not to be the subscriber's), errGone when the client has gone, another error when
// the event could not be read.
type deliverFunc func(knowledge.Change) error

// errGone: the subscription's client has gone.
var errGone = errors.New("the subscriber has gone")

// run delivers events with deliver until the subscription ends.
func (f *changeFeed) run(ctx context.Context, deliver deliverFunc) {
	defer f.sub.Close()
	if !f.catchUp(ctx, f.resumeTo, deliver) {
		return
	}
	for c := range f.sub.C() {
		more := true
		switch {
		case notify.IsGap(c):
			lctx, cancel := context.WithTimeout(ctx, eventTimeout)
			newest, err := f.r.Store.LastSeq(lctx)
			cancel()
			if err != nil {
				f.fail(ctx, "cannot read the change log", err)
				return
			}
			more = f.catchUp(ctx, newest, deliver)
		case c.Bulk != nil:
			if c.Bulk.Last > f.last {
				more = f.catchUp(ctx, c.Bulk.Last, deliver)
			}
		case c.Seq == 0:
			// From a server that predates sequences (during a rolling upgrade): it cannot
			// be placed in the log, so it is delivered as it comes.
			more = f.send(ctx, c, deliver)
		case c.Seq > f.last:
			more = f.send(ctx, c, deliver)
		}
		if !more {
			return
		}
	}
	feedEnded(ctx, f.sub)
}

// catchUp delivers, from the change log, the changes the filter keeps after f.last and
// up to upTo, page by page as the subscriber takes them. A log that cannot be read ends
// the subscription (with an error naming the sequence to resume after) rather than
// leaving a gap.
func (f *changeFeed) catchUp(ctx context.Context, upTo int64, deliver deliverFunc) bool {
	for f.last < upTo {
		pctx, cancel := context.WithTimeout(ctx, eventTimeout)
		changes, next, err := f.r.Store.LogChanges(pctx, f.filter.Entity, f.filter.Actions, f.filter.City, f.last, upTo, bulkPage)
		cancel()
		if err != nil {
			f.fail(ctx, "cannot read the change log", err)
			return false
		}
		for _, c := range changes {
			if !f.send(ctx, c, deliver) {
				return false
			}
		}
		f.last = next
	}
	return true
}

// send delivers one change's event and moves last past it. An event that cannot be
// read ends the subscription, telling the client where to resume, rather than being
// skipped.
func (f *changeFeed) send(ctx context.Context, c knowledge.Change, deliver deliverFunc) bool {
	if err := deliver(c); err != nil {
		if !errors.Is(err, errGone) {
			f.fail(ctx, "cannot read an event", err)
		}
		return false
	}
	f.last = max(f.last, c.Seq)
	return true
}

// fail ends the subscription because what it must deliver could not be read: the
// client is told the sequence to resume after.
func (f *changeFeed) fail(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	f.r.logger().ErrorContext(ctx, f.what+": "+what+"; subscription ended", "after", f.last, "err", err)
	transport.AddSubscriptionError(ctx, &gqlerror.Error{
		Message:    fmt.Sprintf("changes cannot be read right now; subscribe again with after: %d", f.last),
		Extensions: map[string]any{"code": knowledge.EUNAVAILABLE, "after": f.last},
	})
}

// feedEnded tells the client why its subscription stopped, when it was not the
// client's own doing: it gets an error message instead of "complete". (A resumable feed
// is never dropped for falling behind: it catches up from the log instead.)
func feedEnded(ctx context.Context, sub *notify.Subscription) {
	if ctx.Err() != nil {
		return
	}
	switch err := sub.Err(); {
	case errors.Is(err, notify.ErrClosed):
		transport.AddSubscriptionError(ctx, &gqlerror.Error{
			Message:    "the server is shutting down; reconnect",
			Extensions: map[string]any{"code": knowledge.EUNAVAILABLE},
		})
	}
}

// eventTimeout bounds the reads that turn one change into an event.
const eventTimeout = 10 * time.Second

func (r *Resolver) agreementAdded(ctx context.Context, city *string, after *int) (<-chan *knowledge.Agreement, error) {
	feed, err := r.subscribe(ctx, "agreementAdded", city, after,
		notify.Filter{Entity: postgres.ChangeAgreement, Actions: []string{knowledge.ChangeCreated}})
	if err != nil {
		return nil, err
	}
	want := feed.filter.City
	out := make(chan *knowledge.Agreement)
	go func() {
		defer close(out)
		feed.run(ctx, func(c knowledge.Change) error {
			a, err := r.agreementOf(ctx, c, want)
			if err != nil {
				return fmt.Errorf("agreement %s: %w", c.ID, err)
			}
			if a == nil {
				return nil // retracted since, or not the city's
			}
			a.AddedSeq = c.Seq
			select {
			case out <- a:
				return nil
			case <-ctx.Done():
				return errGone
			}
		})
	}()
	return out, nil
}

// agreementOf reads the agreement a change names, fresh from the store: nil if it is
// gone, or if it turns out not to concern the city (when the change could not list its
// cities).
func (r *Resolver) agreementOf(ctx context.Context, c knowledge.Change, city uuid.UUID) (*knowledge.Agreement, error) {
	ctx, cancel := context.WithTimeout(ctx, eventTimeout)
	defer cancel()
	if city != uuid.Nil && c.CitiesOmitted {
		parties, err := r.Store.AgreementParties(ctx, []uuid.UUID{c.ID})
		if err != nil {
			return nil, err
		}
		found := false
		for _, p := range parties[c.ID] {
			found = found || p.ID == city
		}
		if !found {
			return nil, nil
		}
	}
	got, err := r.Store.AgreementsByID(ctx, []uuid.UUID{c.ID})
	if err != nil {
		return nil, err
	}
	return got[c.ID], nil
}

func (r *Resolver) partnershipChanged(ctx context.Context, city *string, after *int) (<-chan *knowledge.PartnershipChange, error) {
	feed, err := r.subscribe(ctx, "partnershipChanged", city, after, notify.Filter{Entity: postgres.ChangePartnership})
	if err != nil {
		return nil, err
	}
	out := make(chan *knowledge.PartnershipChange)
	go func() {
		defer close(out)
		feed.run(ctx, func(c knowledge.Change) error {
			// The partnership itself resolves lazily, through the event's own loaders.
			ev := &knowledge.PartnershipChange{Seq: c.Seq, Action: c.Action, PartnershipID: c.ID, CityIDs: c.Cities}
			select {
			case out <- ev:
				return nil
			case <-ctx.Done():
				return errGone
			}
		})
	}()
	return out, nil
}

// bulkPage is how many changes are read from the change log at a time.
const bulkPage = 100

func (r *Resolver) logger() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

func partnershipChangeAction(c *knowledge.PartnershipChange) model.ChangeAction {
	return model.ChangeAction(c.Action)
}

// changedPartnership is the partnership as it is now, null once retracted.
func changedPartnership(ctx context.Context, c *knowledge.PartnershipChange) (*knowledge.Partnership, error) {
	if c.Action == knowledge.ChangeRetracted {
		return nil, nil
	}
	return loader.For(ctx).Partnership.Load(ctx, c.PartnershipID)
}

// sequence is an event's change log sequence as GraphQL's Int; nil when unknown.
func sequence(seq int64) *int {
	if seq == 0 {
		return nil
	}
	n := int(seq)
	return &n
}

func cityIDs(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = knowledge.GlobalID(knowledge.TypeCity, id)
	}
	return out
}
