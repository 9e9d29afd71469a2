package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/notify"
)

// recoveryPoll is how often a replica started with --read-only=auto asks whether its
// standby has been promoted.
const recoveryPoll = time.Second

// replicaOf describes the replica serve runs as: read-only or not, where its change
// notifications come from, and, on a standby, how far its replay lags. The function it
// returns closes what it opened.
func replicaOf(ctx context.Context, db *postgres.DB, standby bool, cfg replicaConfig, log *slog.Logger) (server.Replica, func(), error) {
	r := server.Replica{WritesTo: cfg.writesTo}
	closers := []func(){}
	done := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	switch cfg.readOnly {
	case "true":
		r.ReadOnly = func() bool { return true }
	case "auto":
		if standby {
			var inRecovery atomic.Bool
			inRecovery.Store(true)
			watch, stop := context.WithCancel(context.Background())
			closers = append(closers, stop)
			go followPromotion(watch, db, &inRecovery, log)
			r.ReadOnly = inRecovery.Load
		}
	}
	if cfg.notifyURL != "" {
		primary, err := postgres.Open(ctx, postgres.Config{URL: cfg.notifyURL, MaxOpenConns: 2, ConnectTimeout: 5 * time.Second})
		if err != nil {
			done()
			return r, nil, fmt.Errorf("--notify-database-url: %w", err)
		}
		closers = append(closers, func() { primary.Close() })
		r.NotifyDSN = primary.ListenDSN()
		if standby {
			r.Standby = &notify.Positions{Primary: primary.WALFlushedPosition, Replayed: func(ctx context.Context) (uint64, error) {
				lsn, _, err := db.ReplayPosition(ctx)
				return lsn, err
			}}
		}
	} else if standby {
		log.Warn("the database is a standby and --notify-database-url is not set: subscriptions hear no changes and the read cache is off")
	}
	if standby {
		r.Lag = func(ctx context.Context) (time.Duration, error) {
			_, lag, err := db.ReplayPosition(ctx)
			return time.Duration(lag * float64(time.Second)), err
		}
		r.MaxLag = cfg.maxReplayLag
	}
	return r, done, nil
}

// followPromotion clears inRecovery once the standby is promoted, so that a replica
// started with --read-only=auto takes writes from then on.
func followPromotion(ctx context.Context, db *postgres.DB, inRecovery *atomic.Bool, log *slog.Logger) {
	t := time.NewTicker(recoveryPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		qctx, cancel := context.WithTimeout(ctx, recoveryPoll)
		in, err := db.InRecovery(qctx)
		cancel()
		if err == nil && !in {
			inRecovery.Store(false)
			log.Warn("the standby was promoted: this replica takes writes now (--read-only=auto)")
			return
		}
	}
}
