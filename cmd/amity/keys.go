package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/knowledge"
)

const keysUsage = `Usage:
  amity keys create --name NAME --scopes read,write[,admin] [--rate N/s]
  amity keys list
  amity keys revoke ID
`

// runKeys manages API keys. The secret of a new key is printed once and never stored.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return errors.New("keys: give create, list or revoke")
	}
	var cfg commonConfig
	fs, settings := newSettings("keys "+args[0], stderr, os.LookupEnv)
	dbSettings(settings, &cfg.db)
	name := fs.String("name", "", "who the key is for, such as an agency's name")
	scopes := fs.String("scopes", "read", "comma-separated scopes: read, write, admin")
	rate := fs.String("rate", "", "requests a second the key may make, such as 10/s (default: the server's)")
	// Flags may come before or after the key ID ("revoke ID --database-url …").
	var positional []string
	for rest := args[1:]; ; {
		if err := settings.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if err := settings.Resolve(); err != nil {
		return err
	}
	db, err := openMigrated(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer db.Close()

	switch args[0] {
	case "create":
		sc, err := knowledge.ParseScopes(*scopes)
		if err != nil {
			return err
		}
		r, err := parseRate(*rate)
		if err != nil {
			return err
		}
		secret, hash, err := auth.NewSecret()
		if err != nil {
			return err
		}
		key, err := db.CreateKey(ctx, strings.TrimSpace(*name), hash, sc, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created key %s for %q with scopes %s\n", key.ID, key.Name, *scopes)
		fmt.Fprintf(stdout, "secret (shown only now; send it as Authorization: Bearer <secret>):\n%s\n", secret)
		return nil
	case "list":
		keys, err := db.Keys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tRATE\tCREATED\tREVOKED")
		for _, k := range keys {
			var ss []string
			for _, s := range k.Scopes {
				ss = append(ss, string(s))
			}
			rate, revoked := "default", "-"
			if k.RatePerSec != nil {
				rate = strconv.FormatFloat(*k.RatePerSec, 'g', -1, 64) + "/s"
			}
			if k.RevokedAt != nil {
				revoked = k.RevokedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, strings.Join(ss, ","), rate, k.CreatedAt.UTC().Format(time.RFC3339), revoked)
		}
		return tw.Flush()
	case "revoke":
		if len(positional) != 1 {
			return errors.New("keys revoke: give the key's ID")
		}
		id, err := uuid.Parse(positional[0])
		if err != nil {
			return fmt.Errorf("keys revoke: %q is not a key ID", positional[0])
		}
		key, err := db.RevokeKey(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked key %s (%s) at %s\n", key.ID, key.Name, key.RevokedAt.UTC().Format(time.RFC3339))
		return nil
	}
	fmt.Fprint(stderr, keysUsage)
	return fmt.Errorf("keys: unknown action %q", args[0])
}

// parseRate reads "10", "10/s" or "0.5/s"; "" means the server's default.
func parseRate(s string) (*float64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "/s"))
	if s == "" {
		return nil, nil
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || r <= 0 {
		return nil, fmt.Errorf("--rate: %q is not a positive number of requests a second (such as 10/s)", s)
	}
	return &r, nil
}
