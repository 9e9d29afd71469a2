package model

// Node is any object with a global ID. The knowledge types live in internal/knowledge
// and know nothing of GraphQL, so the interface asks nothing of them; the generated
// executor tells them apart by their Go type.
type Node interface{}
