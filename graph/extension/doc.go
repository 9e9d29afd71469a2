// Package extension holds the gqlgen handler extensions Amity adds to the GraphQL
// endpoint that need nothing of the generated executor: the refusals that stop an
// operation before it runs (introspection when it is off, @defer, malformed federation
// representations) and the OpenTelemetry spans. graph/server.go installs them.
//
// Two extensions stay in graph: the cost (complexity.go weighs fields through the
// generated ComplexityRoot and parses with the generated executable schema), and
// admission (admission.go), whose Admission is a field of graph.Options that
// internal/edge/server fills.
package extension
