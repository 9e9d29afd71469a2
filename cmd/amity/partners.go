package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/amity/amity/internal/edge/persisted"
	"github.com/amity/amity/internal/edge/redisguard"
	"github.com/amity/amity/internal/web/examples"
	"github.com/amity/amity/internal/web/explore"
)

// openedPartners is what serve opened for partners and web clients.
type openedPartners struct {
	trusted *persisted.Trusted    // nil: every document runs
	redis   redis.UniversalClient // nil: limits and persisted queries in memory
	close   func()
}

// openPartners connects to Redis and loads the trusted documents, as configured.
func openPartners(ctx context.Context, cfg partnerConfig, log *slog.Logger) (openedPartners, error) {
	p := openedPartners{close: func() {}}
	if cfg.trustedFile != "" {
		list, err := persisted.LoadList(cfg.trustedFile)
		if err != nil {
			return p, err
		}
		p.trusted = &persisted.Trusted{List: list, AnonymousOnly: cfg.trustedAnonymous}
		log.Info("trusted documents only", "documents", len(list), "file", cfg.trustedFile, "anonymous_only", cfg.trustedAnonymous)
	}
	if cfg.redis != nil {
		opts := *cfg.redis
		redisguard.Tune(&opts, cfg.redisTimeout)
		client := redis.NewClient(&opts)
		pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if err := client.Ping(pingCtx).Err(); err != nil {
			// Rate limits let requests through and persisted queries miss while Redis
			// is away; the API itself keeps working.
			log.Warn("redis is not answering yet: rate limits are off and persisted queries miss until it does", "addr", opts.Addr, "err", err)
		}
		p.redis = client
		p.close = func() { client.Close() }
	}
	return p, nil
}

// runTrustedDocuments writes the allow list of trusted-documents mode: the explorer's
// document, every playground example, and any .graphql files given.
func runTrustedDocuments(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trusted-documents", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "-", "file to write; - is standard output")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: amity trusted-documents [-o FILE] [extra.graphql ...]\n\nWrites the JSON allow list (sha256 → document) for serve --trusted-documents: the\nexplorer's queries, the playground's examples, and each extra file's document as is.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	docs := []string{explore.Queries}
	for _, e := range examples.All() {
		docs = append(docs, e.Query)
	}
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		docs = append(docs, string(b))
	}
	b := persisted.NewList(docs...).JSON()
	if *out == "-" {
		_, err := stdout.Write(b)
		return err
	}
	return os.WriteFile(*out, b, 0o644)
}
