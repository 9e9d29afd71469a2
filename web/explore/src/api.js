// The page's only way to the server: the public GraphQL endpoint, with the operations of
// queries.graphql (the one document the explorer sends).
import DOCUMENT from "./queries.graphql";

export { DOCUMENT };

// GraphQLError carries the server's errors (with their extensions.code) or a transport
// failure, in words a reader can act on.
export class GraphQLError extends Error {
  constructor(message, errors = [], status = 0) {
    super(message);
    this.errors = errors;
    this.status = status;
  }
  get code() {
    return this.errors[0]?.extensions?.code || "";
  }
}

export async function request(endpoint, operationName, variables, signal) {
  let resp;
  try {
    resp = await fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/graphql-response+json, application/json" },
      body: JSON.stringify({ query: DOCUMENT, operationName, variables }),
      signal,
    });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new GraphQLError("The server cannot be reached. Is amity serve running?");
  }
  let body = null;
  try {
    body = await resp.json();
  } catch {
    // Not JSON: a proxy's error page, a timeout.
  }
  if (!body || typeof body !== "object") {
    throw new GraphQLError(`The server answered ${resp.status} ${resp.statusText} without a GraphQL response.`, [], resp.status);
  }
  const errors = Array.isArray(body.errors) ? body.errors : [];
  if (errors.length && (body.data === null || body.data === undefined)) {
    const msg = errors.map((e) => e.message).join("; ");
    throw new GraphQLError(`The server could not answer: ${msg}`, errors, resp.status);
  }
  return { data: body.data, errors };
}
