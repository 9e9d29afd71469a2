// Command partner is a runnable example of a partner agency's client: it reads the
// knowledge, contributes a source with a client mutation id, retries that write to show
// it is idempotent, and prints the audit trail when the key may read it.
//
//	AMITY_URL=http://localhost:8080/graphql AMITY_KEY=amity_... go run ./examples/partner
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"
)

type client struct {
	url, key string
	http     *http.Client
}

// do sends one GraphQL request and decodes its data into out.
func (c *client) do(query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var envelope struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&envelope); err != nil {
		return fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	if len(envelope.Errors) > 0 {
		e := envelope.Errors[0]
		return fmt.Errorf("%s (%v)", e.Message, e.Extensions["code"])
	}
	return json.Unmarshal(envelope.Data, out)
}

func main() {
	c := &client{url: os.Getenv("AMITY_URL"), key: os.Getenv("AMITY_KEY"), http: &http.Client{Timeout: 10 * time.Second}}
	if c.url == "" {
		c.url = "http://localhost:8080/graphql"
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "partner:", err)
		os.Exit(1)
	}
}

func run(c *client) error {
	var read struct {
		City struct {
			Name         string
			Partnerships struct {
				Nodes []struct {
					Kind    string
					Since   string
					Partner struct{ Name string }
					Sources []struct{ Publisher string }
				}
			}
		}
	}
	if err := c.do(`{ city(name: "深圳") { name partnerships { nodes { kind since partner { name } sources { publisher } } } } }`, nil, &read); err != nil {
		return err
	}
	for _, p := range read.City.Partnerships.Nodes {
		fmt.Printf("%s: %s with %s since %s\n", read.City.Name, p.Kind, p.Partner.Name, p.Since)
	}
	if c.key == "" {
		fmt.Println("no AMITY_KEY: skipping the writes")
		return nil
	}

	var b [8]byte
	rand.Read(b[:])
	id := "example-" + hex.EncodeToString(b[:])
	const create = `mutation($in: SourceInput!) { createSource(input: $in) { source { id version title } errors { field code message } } }`
	vars := map[string]any{"in": map[string]any{"title": "Example partner note " + id, "clientMutationId": id}}
	var first, retry struct {
		CreateSource struct {
			Source *struct{ ID, Title string }
			Errors []struct {
				Field         []string
				Code, Message string
			}
		}
	}
	if err := c.do(create, vars, &first); err != nil {
		return err
	}
	if len(first.CreateSource.Errors) > 0 {
		return fmt.Errorf("createSource: %+v", first.CreateSource.Errors)
	}
	fmt.Printf("created source %s\n", first.CreateSource.Source.ID)
	if err := c.do(create, vars, &retry); err != nil {
		return err
	}
	fmt.Printf("retried with the same clientMutationId: got %s again (no duplicate)\n", retry.CreateSource.Source.ID)

	var log struct {
		AuditLog struct {
			Nodes []struct{ At, Actor, Action, EntityType string }
		}
	}
	if err := c.do(`query($e: ID) { auditLog(entity: $e) { nodes { at actor action entityType } } }`,
		map[string]any{"e": first.CreateSource.Source.ID}, &log); err != nil {
		fmt.Println("audit log not readable with this key:", err)
		return nil
	}
	for _, e := range log.AuditLog.Nodes {
		fmt.Printf("audit: %s %s %s by %s\n", e.At, e.Action, e.EntityType, e.Actor)
	}
	return nil
}
