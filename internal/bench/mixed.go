package bench

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// The mixed cell: readers send Q1–Q4 (a random one per request, cities by Zipf rank) to
// one server while a writer sends a steady stream of mutations through Amity's API, and
// every answer is checked for freshness (fresh.go). Both servers read the same database,
// so a write that Amity's response confirmed must show in PostGraphile's answers too.

// mixedOps are the operations the readers of the mixed cell send.
var mixedOps = []string{"Q1", "Q2", "Q3", "Q4"}

// writeKey creates an API key with the write scope with `amity keys create`, and
// returns its id and secret. Its rate is far above the writer's, so that the key's own
// limit never shapes the stream.
func writeKey(ctx context.Context, amityBin, dbURL string) (id, secret string, err error) {
	bin, err := filepath.Abs(amityBin)
	if err != nil {
		return "", "", err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, bin, "keys", "create", "--name", "amity-bench writer", "--scopes", "read,write",
		"--rate", "10000/s", "--database-url", dbURL).CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("amity keys create: %w: %s", err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "created key "); ok {
			id, _, _ = strings.Cut(rest, " ")
		}
		if strings.HasPrefix(line, "secret") && sc.Scan() {
			secret = strings.TrimSpace(sc.Text())
		}
	}
	if id == "" || secret == "" {
		return "", "", fmt.Errorf("amity keys create: no key in its output: %s", out)
	}
	return id, secret, nil
}

func revokeKey(amityBin, dbURL, id string) error {
	bin, err := filepath.Abs(amityBin)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, bin, "keys", "revoke", id, "--database-url", dbURL).CombinedOutput(); err != nil {
		return fmt.Errorf("amity keys revoke: %w: %s", err, out)
	}
	return nil
}

// writer applies mutations through Amity's GraphQL API, one at a time, and records each
// in a freshness history.
type writer struct {
	url, secret, source string
	db                  *sql.DB
	client              *http.Client
	fresh               *freshness
	w                   *workload
	r                   *rand.Rand
	popBase             int

	seq        int
	cityVer    map[uuid.UUID]int
	cityOrig   map[uuid.UUID]string
	agreements []*trackedAgreement
	live       []livePartnership
	ps         map[uuid.UUID][]string // the writer's live partnerships of each city, "partner@since"

	writes, refused, failed int
	byKind                  map[string]int
	firstErr                string
}

type trackedAgreement struct {
	id          uuid.UUID
	orig, title string
	version     int
}

type livePartnership struct {
	id       string // relay ID
	version  int
	a, b     uuid.UUID
	sigA     string // as seen from a: "b's name@since"
	sigB     string
	sinceStr string
}

const (
	mUpdateCity = `mutation W($input: UpdateCityInput!) { updateCity(input: $input) { city { version population } errors { code message } } }`
	mCreatePs   = `mutation W($input: PartnershipInput!) { createPartnership(input: $input) { partnership { id version } errors { code message } } }`
	mUpdateAg   = `mutation W($input: UpdateAgreementInput!) { updateAgreement(input: $input) { agreement { version title } errors { code message } } }`
	mRetract    = `mutation W($input: RetractInput!) { retract(input: $input) { retractedId errors { code message } } }`
)

func newWriter(ctx context.Context, db *sql.DB, url, secret string, w *workload, fresh *freshness, seed int64) (*writer, error) {
	wr := &writer{url: url, secret: secret, db: db, client: newClient(1), fresh: fresh, w: w,
		r: rand.New(rand.NewPCG(uint64(seed), 11)), cityVer: map[uuid.UUID]int{}, cityOrig: map[uuid.UUID]string{},
		ps: map[uuid.UUID][]string{}, byKind: map[string]int{}}
	// Populations the writer sets lie far above any in the data set (at most about
	// 9 million) and differ from run to run, so an answer's population says which
	// write it reflects.
	wr.popBase = 1_000_000_000 + wr.r.IntN(1_000_000)*1_000
	var src uuid.UUID
	if err := db.QueryRowContext(ctx, `SELECT id FROM sources ORDER BY id LIMIT 1`).Scan(&src); err != nil {
		return nil, fmt.Errorf("writer source: %w", err)
	}
	wr.source = knowledge.GlobalID(knowledge.TypeSource, src)
	// The agreements of Q3's page (newest first, as both servers order them): the writer
	// retitles them, and they also show in Q4 under their parties.
	rows, err := db.QueryContext(ctx, `SELECT id, title, version FROM agreements ORDER BY coalesce(signed_on, '-infinity'::date) DESC, id DESC LIMIT 20`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		a := &trackedAgreement{}
		if err := rows.Scan(&a.id, &a.title, &a.version); err != nil {
			return nil, err
		}
		a.orig = a.title
		wr.agreements = append(wr.agreements, a)
	}
	return wr, rows.Err()
}

// cleanup retracts partnerships an interrupted earlier run left behind, so that every
// city's set of writer partnerships starts empty.
func (wr *writer) cleanup(ctx context.Context) error {
	rows, err := wr.db.QueryContext(ctx, `SELECT id, version FROM partnerships WHERE since >= $1::date LIMIT 1000`, writerSinceFrom)
	if err != nil {
		return err
	}
	var left []livePartnership
	for rows.Next() {
		var id uuid.UUID
		var v int
		if err := rows.Scan(&id, &v); err != nil {
			rows.Close()
			return err
		}
		left = append(left, livePartnership{id: knowledge.GlobalID(knowledge.TypePartnership, id), version: v})
	}
	rows.Close()
	for _, p := range left {
		if _, _, err := wr.post(ctx, mRetract, map[string]any{"input": map[string]any{"id": p.id, "version": p.version,
			"reason": "amity-bench: left by an interrupted run", "sources": map[string]any{"ids": []string{wr.source}}}}); err != nil {
			return fmt.Errorf("retract a leftover partnership: %w", err)
		}
	}
	return nil
}

// post sends a mutation and returns the payload (the data's only field), when its
// response arrived, and an error: an *uncertainError when the write may or may not have
// happened (no full response), a *refusedError when the server refused it with user
// errors (it did not happen), any other for a GraphQL error.
func (wr *writer) post(ctx context.Context, query string, vars map[string]any) (payload json.RawMessage, at time.Time, err error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars, "operationName": "W"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wr.url, bytes.NewReader(body))
	if err != nil {
		return nil, time.Time{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+wr.secret)
	req.Header.Set("X-Request-Id", "write-mixed")
	resp, err := wr.client.Do(req)
	if err != nil {
		return nil, time.Time{}, &uncertainError{err}
	}
	// The server answers after its transaction committed: this is the commit as the
	// client knows it.
	at = time.Now()
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, at, &uncertainError{err}
	}
	var r struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []any                      `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || resp.StatusCode != http.StatusOK || len(r.Errors) > 0 {
		return nil, at, fmt.Errorf("status %d: %.300s", resp.StatusCode, raw)
	}
	for _, v := range r.Data {
		payload = v
	}
	var ue struct {
		Errors []struct{ Code, Message string }
	}
	if json.Unmarshal(payload, &ue) == nil && len(ue.Errors) > 0 {
		return payload, at, &refusedError{ue.Errors[0].Code + ": " + ue.Errors[0].Message}
	}
	return payload, at, nil
}

type uncertainError struct{ err error }

func (e *uncertainError) Error() string { return "outcome unknown: " + e.err.Error() }

type refusedError struct{ msg string }

func (e *refusedError) Error() string { return "refused: " + e.msg }

// step sends one write. The kinds rotate: a city's population, a new partnership, an
// agreement's title, a retraction of the writer's oldest partnership (a population
// when it has none).
func (wr *writer) step(ctx context.Context) {
	seq := wr.seq
	wr.seq++
	var err error
	var kind string
	switch k := seq % 4; {
	case k == 1:
		kind, err = "createPartnership", wr.createPartnership(ctx, seq)
	case k == 2 && len(wr.agreements) > 0:
		kind, err = "updateAgreement", wr.retitle(ctx, seq)
	case k == 3 && len(wr.live) > 0:
		kind, err = "retract", wr.retract(ctx, seq)
	default:
		kind, err = "updateCity", wr.population(ctx, seq)
	}
	wr.writes++
	var unc *uncertainError
	var ref *refusedError
	switch {
	case err == nil:
		wr.byKind[kind]++
	case errors.As(err, &ref):
		wr.refused++
	case errors.As(err, &unc):
		wr.failed++
	default:
		wr.failed++
	}
	if err != nil && wr.firstErr == "" && !errors.As(err, &ref) {
		wr.firstErr = kind + ": " + err.Error()
	}
}

// settle records the outcome of write seq in the history.
func (wr *writer) settle(seq int, at time.Time, err error) {
	var unc *uncertainError
	switch {
	case err == nil:
		wr.fresh.committed(seq, at)
	case errors.As(err, &unc):
		wr.fresh.uncertain(seq)
	default:
		wr.fresh.failed(seq)
	}
}

func (wr *writer) population(ctx context.Context, seq int) error {
	c := wr.w.cities[wr.w.draw(wr.r)]
	if _, ok := wr.cityVer[c.id]; !ok {
		var v int
		var pop string
		if err := wr.db.QueryRowContext(ctx, `SELECT version, coalesce(population::text, 'null') FROM cities WHERE id = $1`, c.id).Scan(&v, &pop); err != nil {
			return err
		}
		wr.cityVer[c.id], wr.cityOrig[c.id] = v, pop
		wr.fresh.initial("pop/"+c.id.String(), pop)
	}
	val := wr.popBase + seq
	wr.fresh.sent("pop/"+c.id.String(), strconv.Itoa(val), seq, time.Now())
	p, at, err := wr.post(ctx, mUpdateCity, map[string]any{"input": map[string]any{"id": knowledge.GlobalID(knowledge.TypeCity, c.id),
		"version": wr.cityVer[c.id], "population": val, "sources": map[string]any{"ids": []string{wr.source}}}})
	wr.settle(seq, at, err)
	if err != nil {
		return err
	}
	var out struct{ City struct{ Version int } }
	if err := json.Unmarshal(p, &out); err != nil {
		return err
	}
	wr.cityVer[c.id] = out.City.Version
	return nil
}

func (wr *writer) createPartnership(ctx context.Context, seq int) error {
	a := wr.w.cities[wr.w.draw(wr.r)]
	b := wr.w.cities[wr.w.draw(wr.r)]
	for i := 0; i < 10 && b.id == a.id; i++ {
		b = wr.w.cities[wr.r.IntN(len(wr.w.cities))]
	}
	if a.id == b.id {
		return &refusedError{"no second city"}
	}
	day, _ := time.Parse(time.DateOnly, writerSinceFrom)
	since := day.AddDate(0, 0, seq).Format(time.DateOnly)
	p := livePartnership{a: a.id, b: b.id, sigA: b.name + "@" + since, sigB: a.name + "@" + since, sinceStr: since}
	ka, kb := "ps/"+a.id.String(), "ps/"+b.id.String()
	wr.fresh.initial(ka, "")
	wr.fresh.initial(kb, "")
	wr.fresh.sent(ka, partnershipSet(append(wr.ps[a.id], p.sigA)), seq, time.Now())
	wr.fresh.sent(kb, partnershipSet(append(wr.ps[b.id], p.sigB)), seq, time.Now())
	kind := "FRIENDLY_EXCHANGE"
	if seq%3 == 0 {
		kind = "SISTER_CITY"
	}
	pl, at, err := wr.post(ctx, mCreatePs, map[string]any{"input": map[string]any{"kind": kind,
		"cities": []string{knowledge.GlobalID(knowledge.TypeCity, a.id), knowledge.GlobalID(knowledge.TypeCity, b.id)}, "since": since,
		"sources": map[string]any{"ids": []string{wr.source}}}})
	wr.settle(seq, at, err)
	if err != nil {
		return err
	}
	var out struct {
		Partnership struct {
			ID      string
			Version int
		}
	}
	if err := json.Unmarshal(pl, &out); err != nil {
		return err
	}
	p.id, p.version = out.Partnership.ID, out.Partnership.Version
	wr.live = append(wr.live, p)
	wr.ps[a.id] = append(wr.ps[a.id], p.sigA)
	wr.ps[b.id] = append(wr.ps[b.id], p.sigB)
	return nil
}

func without(s []string, x string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

func (wr *writer) retract(ctx context.Context, seq int) error {
	p := wr.live[0]
	wr.live = wr.live[1:]
	if seq >= 0 {
		wr.fresh.sent("ps/"+p.a.String(), partnershipSet(without(wr.ps[p.a], p.sigA)), seq, time.Now())
		wr.fresh.sent("ps/"+p.b.String(), partnershipSet(without(wr.ps[p.b], p.sigB)), seq, time.Now())
	}
	_, at, err := wr.post(ctx, mRetract, map[string]any{"input": map[string]any{"id": p.id, "version": p.version,
		"reason": "amity-bench: the writer's own test partnership", "sources": map[string]any{"ids": []string{wr.source}}}})
	if seq >= 0 {
		wr.settle(seq, at, err)
	}
	if err != nil {
		return err
	}
	wr.ps[p.a] = without(wr.ps[p.a], p.sigA)
	wr.ps[p.b] = without(wr.ps[p.b], p.sigB)
	return nil
}

func (wr *writer) retitle(ctx context.Context, seq int) error {
	a := wr.agreements[wr.r.IntN(len(wr.agreements))]
	key := "title/" + titleBase(a.orig)
	wr.fresh.initial(key, a.title)
	title := titleBase(a.orig) + titleRevSep + strconv.Itoa(seq)
	wr.fresh.sent(key, title, seq, time.Now())
	pl, at, err := wr.post(ctx, mUpdateAg, map[string]any{"input": map[string]any{"id": knowledge.GlobalID(knowledge.TypeAgreement, a.id),
		"version": a.version, "title": title, "sources": map[string]any{"ids": []string{wr.source}}}})
	wr.settle(seq, at, err)
	if err != nil {
		return err
	}
	var out struct{ Agreement struct{ Version int } }
	if err := json.Unmarshal(pl, &out); err != nil {
		return err
	}
	a.title, a.version = title, out.Agreement.Version
	return nil
}

// restore undoes the writer's changes through the same API (so that whatever the
// server keeps in step with commits stays true): its partnerships are retracted, the
// populations and titles it changed are set back. The live graph is the data set again,
// with higher versions and an audit trail.
func (wr *writer) restore(ctx context.Context) error {
	var errs []error
	for i := 0; len(wr.live) > 0 && i < 10_000; i++ {
		if err := wr.retract(ctx, -1); err != nil {
			errs = append(errs, err)
		}
	}
	for id, orig := range wr.cityOrig {
		n, err := strconv.Atoi(orig)
		if err != nil {
			continue // no population before; UpdateCityInput cannot clear one
		}
		_, _, err = wr.post(ctx, mUpdateCity, map[string]any{"input": map[string]any{"id": knowledge.GlobalID(knowledge.TypeCity, id),
			"version": wr.cityVer[id], "population": n, "sources": map[string]any{"ids": []string{wr.source}}}})
		if err != nil {
			errs = append(errs, err)
		}
	}
	for _, a := range wr.agreements {
		if a.title == a.orig {
			continue
		}
		if _, _, err := wr.post(ctx, mUpdateAg, map[string]any{"input": map[string]any{"id": knowledge.GlobalID(knowledge.TypeAgreement, a.id),
			"version": a.version, "title": a.orig, "sources": map[string]any{"ids": []string{wr.source}}}}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// mixedLoad runs one mixed cell against s: conc readers and one writer at rate writes
// per second, for d or maxReq reads, whichever comes first.
func mixedLoad(ctx context.Context, db *sql.DB, s, amity *server, w *workload, secret string, conc int, d time.Duration, maxReq int, rate float64, seed int64) (Cell, error) {
	fresh := newFreshness()
	wr, err := newWriter(ctx, db, amity.url, secret, w, fresh, seed)
	if err != nil {
		return Cell{}, err
	}
	defer wr.client.CloseIdleConnections()
	if err := wr.cleanup(ctx); err != nil {
		return Cell{}, err
	}
	opsByName := map[string]op{}
	for _, n := range mixedOps {
		o, _ := opByName(n)
		opsByName[n] = o
	}
	clients := newWorkerClients(conc)
	defer clients.close()
	var sent, errCount atomic.Int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, conc)
	cpu0, pg0 := treeCPU("/proc", s.pid()), backendsCPU(ctx, db, s.app)
	answers0 := answerLookups(ctx, s)
	start := time.Now()
	deadline := start.Add(d)
	stop := make(chan struct{})
	var wg sync.WaitGroup

	// The writer: one write at a time, at most rate a second, bounded in count too.
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		if rate <= 0 {
			return
		}
		gap := time.Duration(float64(time.Second) / rate)
		maxWrites := int(d.Seconds()*rate) + 1
		next := time.Now()
		for i := 0; i < maxWrites; i++ {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-time.After(time.Until(next)):
			}
			wr.step(ctx)
			next = next.Add(gap)
		}
	}()

	for k := 0; k < conc; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(seed), uint64(k)))
			buf := make([]byte, 0, 64<<10)
			body := make([]byte, 0, 2<<10)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if sent.Add(1) > int64(maxReq) {
					return
				}
				o := opsByName[mixedOps[r.IntN(len(mixedOps))]]
				i := w.draw(r)
				body = w.body(body[:0], o.Name, s.index, i, i)
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Request-Id", "mixed-load")
				resp, err := clients[k].Do(req)
				var msg string
				if err == nil {
					bb := bytes.NewBuffer(buf[:0])
					_, err = bb.ReadFrom(resp.Body)
					resp.Body.Close()
					buf = bb.Bytes()
					if err != nil || resp.StatusCode != http.StatusOK {
						msg = fmt.Sprintf("status %d: %.300s", resp.StatusCode, buf)
					}
				} else {
					msg = err.Error()
				}
				t1 := time.Now()
				el := t1.Sub(t0)
				if msg == "" {
					msg = checkRead(fresh, s, o, w.cities[i].id.String(), buf, t0, t1)
				}
				if msg != "" {
					errCount.Add(1)
					firstErr.CompareAndSwap(nil, msg)
					continue
				}
				lat[k] = append(lat[k], el)
			}
		}(k)
	}
	wg.Wait()
	close(stop)
	<-writerDone
	elapsed := time.Since(start)
	cpu1, pg1 := treeCPU("/proc", s.pid()), backendsCPU(ctx, db, s.app)
	c := summarize(s.name, lat, int(errCount.Load()), elapsed, cpu1-cpu0, pg0, pg1, &firstErr)
	c.AnswerHits, c.AnswerLookups = answerLookups(ctx, s).since(answers0)
	checked, nv, first := fresh.counts()
	c.Mixed = &MixedStats{Writes: wr.writes, WritesByKind: wr.byKind, WritesRefused: wr.refused, WritesFailed: wr.failed,
		FirstWriteError: wr.firstErr, Checked: checked, StaleFields: nv, Violations: fresh.staleAnswers(), FirstViolations: first}
	if err := wr.restore(ctx); err != nil {
		return c, fmt.Errorf("undo the writer's changes: %w", err)
	}
	return c, nil
}

// checkRead parses a read's answer, normalizes it like the data check does, and checks
// it for freshness, allowing s its lag. It returns "" when the answer is well formed (fresh or stale: stale
// answers are counted by fresh, not as errors).
func checkRead(fresh *freshness, s *server, o op, city string, raw []byte, readStart, readEnd time.Time) string {
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Errors) > 0 {
		return fmt.Sprintf("%.300s", raw)
	}
	norm := o.normAmity
	if s.index == 1 {
		norm = o.normPG
	}
	n, err := norm(r.Data)
	if err != nil {
		return o.Name + ": " + err.Error()
	}
	fresh.checkAnswer(s.name, o.Name, city, n, readStart, readEnd, s.lag)
	return ""
}
