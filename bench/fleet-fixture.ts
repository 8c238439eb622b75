/**
 * `node dist-bench/bench/fleet-fixture.js DIR SERVERS USERS_PER_SERVER`: a fleet of SERVERS servers
 * with USERS_PER_SERVER users each, in whole domains of 1,000 users (each domain on one server, as
 * most vpopmail hosts place them), written as DIR/mailstate.yaml, and every server's snapshot
 * DIR/live/<server>.json with its key DIR/keys/<server>.key, exactly in sync with the YAML: what
 * `plan --fleet` is timed on. Domains are one file each (`include:`), as `import --split` writes. The snapshots are made from each server's share as it would leave
 * the server (snapshot/desired-as-live.ts), each hash under that server's own key.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDesiredText } from '../src/desired/assemble.js';
import { shareOf } from '../src/fleet/share.js';
import { formatDiagnostic } from '../src/model/diagnostic.js';
import type { LiveState } from '../src/model/state.js';
import { liveFromDesired } from '../src/snapshot/desired-as-live.js';
import { renderSnapshot, snapshotFromLive } from '../src/snapshot/format.js';
import { hashDigest, keyId } from '../src/snapshot/key.js';

const [dir = '.bench/fleet', serverArg = '10', perServerArg = '100000'] = process.argv.slice(2);
const serverCount = Number(serverArg);
const perServer = Number(perServerArg);
const HASH = '$1$abcdefgh$ywpTNDTYPzAT3Ohgseebp/';
const DOMAIN_USERS = 1000;
const servers = Array.from({ length: serverCount }, (_, i) => `mx${i + 1}`);

// One file per domain, as `import --split` writes a large server: included files are checked in
// parallel, and no single YAML document has to hold a million users.
const main = [
  'version: 1',
  'servers:',
  ...servers.map((s) => `  ${s}: { route: ${s}.internal }`),
  'include: ["domains/*.yaml"]',
  '',
].join('\n');
const includes: Record<string, string> = {};
for (const [index, server] of servers.entries()) {
  for (let d = 0; d < Math.max(1, Math.round(perServer / DOMAIN_USERS)); d++) {
    const lines = ['domains:', `  d${index}-${d}.test:`, `    server: ${server}`, '    users:'];
    lines.push(`      postmaster: { password: "${HASH}" }`);
    for (let u = 1; u < Math.min(DOMAIN_USERS, perServer); u++) lines.push(`      u${u}: { password: "${HASH}" }`);
    includes[`domains/d${index}-${d}.test.yaml`] = `${lines.join('\n')}\n`;
  }
}
mkdirSync(join(dir, 'domains'), { recursive: true });
mkdirSync(join(dir, 'live'), { recursive: true });
mkdirSync(join(dir, 'keys'), { recursive: true });
writeFileSync(join(dir, 'mailstate.yaml'), main);
for (const [path, text] of Object.entries(includes)) writeFileSync(join(dir, path), text);

const parsed = parseDesiredText(main, join(dir, 'mailstate.yaml'), { includes });
if (!parsed.ok) throw new Error(parsed.diagnostics.map(formatDiagnostic).join('\n'));
for (const [index, server] of servers.entries()) {
  const share = shareOf(parsed.value, server, { vpopmail: false, qmail: false });
  if (!share.ok) throw new Error(share.reason);
  const live: LiveState = liveFromDesired(share.desired);
  for (const domain of live.domains.values())
    for (const user of domain.users.values()) user.password = { kind: 'vpasswd', hash: HASH };
  const key = Buffer.alloc(32, index + 1);
  writeFileSync(join(dir, 'keys', `${server}.key`), `${key.toString('hex')}\n`);
  const snapshot = snapshotFromLive(live, [], (hash) => hashDigest(key, hash), {
    createdAt: '2026-12-04T00:00:00Z',
    host: server,
    keyId: keyId(key),
  });
  writeFileSync(join(dir, 'live', `${server}.json`), renderSnapshot(snapshot));
}
