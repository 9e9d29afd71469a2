// Runs graphql-http's server audits (GraphQL-over-HTTP conformance) against a running
// server: `node audit.mjs http://127.0.0.1:8080/graphql`. It prints one line per audit
// and, last, a JSON summary line; it exits 1 when a MUST audit fails, so CI fails.
import { auditServer } from 'graphql-http';

const url = process.argv[2] || process.env.AMITY_GRAPHQL_URL;
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint url>');
  process.exit(2);
}
const u = new URL(url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) {
  console.error(`refusing to audit ${u.hostname}: loopback only`);
  process.exit(2);
}

const results = await auditServer({ url });
const summary = { ok: [], mustFailed: [], shouldFailed: [], mayFailed: [] };
for (const r of results) {
  const level = r.name.split(' ')[0];
  if (r.status === 'ok') {
    summary.ok.push(r.id);
    console.log(`ok    ${r.id} ${r.name}`);
    continue;
  }
  const reason = r.reason + (r.response ? ` (status ${r.response.status})` : '');
  console.log(`${r.status.padEnd(5)} ${r.id} ${r.name}: ${reason}`);
  if (level === 'MUST') summary.mustFailed.push(r.id);
  else if (level === 'SHOULD') summary.shouldFailed.push(r.id);
  else summary.mayFailed.push(r.id);
}
console.log(JSON.stringify({ total: results.length, ...summary }));
process.exit(summary.mustFailed.length > 0 ? 1 : 0);
