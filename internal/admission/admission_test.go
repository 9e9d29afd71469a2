package admission_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amity/amity/internal/admission"
)

// blocking is a handler that holds its slot until released, and records the bodies it
// served in order.
type blocking struct {
	mu      sync.Mutex
	served  []string
	entered chan struct{}
	release chan struct{}
}

func (b *blocking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.entered <- struct{}{}
	<-b.release
	b.mu.Lock()
	b.served = append(b.served, string(body))
	b.mu.Unlock()
}

func (b *blocking) list() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.served...)
}

func TestGateAdmitsInArrivalOrder(t *testing.T) {
	h := &blocking{entered: make(chan struct{}, 10), release: make(chan struct{})}
	gate := admission.New(1)
	srv := gate.Middleware(nil, h)
	var wg sync.WaitGroup
	send := func(body string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body)))
		}()
	}
	send("first")
	<-h.entered // first holds the only slot
	for i, b := range []string{"second", "third", "fourth"} {
		send(b)
		waitFor(t, func() bool { return gate.Waiting() == i+1 })
		time.Sleep(2 * time.Millisecond) // from counted to parked on the channel
	}
	if gate.InFlight() != 1 {
		t.Fatalf("%d in flight, want 1", gate.InFlight())
	}
	for i := range 4 {
		h.release <- struct{}{}
		if i < 3 {
			<-h.entered
		}
	}
	wg.Wait()
	if got := strings.Join(h.list(), ","); got != "first,second,third,fourth" {
		t.Errorf("served %s, want arrival order", got)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

// A request whose deadline passes in the queue gets 503, Retry-After and the code, and
// never reaches the handler.
func TestGateRefusesWhatItCannotStartInTime(t *testing.T) {
	h := &blocking{entered: make(chan struct{}, 2), release: make(chan struct{})}
	gate := admission.New(1)
	srv := gate.Middleware(nil, h)
	go srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("holder")))
	<-h.entered

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("late")).WithContext(ctx))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" ||
		!strings.Contains(rec.Body.String(), `"code":"SERVICE_UNAVAILABLE"`) {
		t.Errorf("got %d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	h.release <- struct{}{}
	waitFor(t, func() bool { return gate.InFlight() == 0 })
	if got := h.list(); len(got) != 1 || got[0] != "holder" {
		t.Errorf("served %v, want only the holder", got)
	}
}

// A client that sends its body slowly waits outside: the slot goes to a request whose
// body has arrived.
func TestGateReadsTheBodyBeforeTakingASlot(t *testing.T) {
	h := &blocking{entered: make(chan struct{}, 2), release: make(chan struct{}, 2)}
	gate := admission.New(1)
	srv := gate.Middleware(nil, h)
	slowBody, slowWriter := io.Pipe()
	go srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", slowBody))
	time.Sleep(10 * time.Millisecond)
	if gate.InFlight() != 0 {
		t.Fatal("a request without its body took the slot")
	}
	h.release <- struct{}{}
	srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("ready")))
	<-h.entered
	slowWriter.Write([]byte("slow"))
	slowWriter.Close()
	<-h.entered
	h.release <- struct{}{}
	waitFor(t, func() bool { return gate.InFlight() == 0 })
}

func TestSkippedRequestsAndNoBound(t *testing.T) {
	h := &blocking{entered: make(chan struct{}, 4), release: make(chan struct{}, 4)}
	gate := admission.New(1)
	upgrade := func(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }
	srv := gate.Middleware(upgrade, h)
	h.release <- struct{}{}
	h.release <- struct{}{}
	go srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("holder")))
	<-h.entered
	ws := httptest.NewRequest(http.MethodGet, "/graphql", nil)
	ws.Header.Set("Upgrade", "websocket")
	srv.ServeHTTP(httptest.NewRecorder(), ws) // not queued behind the holder
	<-h.entered

	if admission.New(0) != nil {
		t.Error("New(0) should mean no bound")
	}
	var unbounded *admission.Gate
	if unbounded.Middleware(nil, h) != http.Handler(h) {
		t.Error("a nil gate should not wrap")
	}
}
