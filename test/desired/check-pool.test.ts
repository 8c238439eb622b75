import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sharedContext } from '../../src/desired/assemble.js';
import { checkIncludes } from '../../src/desired/check-pool.js';
import type { IncludeInput } from '../../src/desired/check-pool.js';
import { parseYaml } from '../../src/desired/parse.js';
import { HASH1, HASH6, yaml } from './helpers.js';

// The worker runs compiled code: the test suite's setup builds dist/ first.
const WORKER = new URL('../../dist/desired/check-worker.js', import.meta.url);

const main = parseYaml(
  yaml`
  version: 1
  defaults: { quota: 50M }
  include: ["domains/*.yaml"]
`,
  'mailstate.yaml',
  'main',
);

/** Included files that exercise every kind of outcome: clean, YAML errors, schema and rule problems, secrets. */
const inputs: IncludeInput[] = [
  yaml`
    domains:
      clean.example:
        defaults: { quota: 1G }
        aliasDomains: [alias.example]
        users:
          postmaster: { password: "${HASH6}" }
          alice: { password: "${HASH1}", quota: { size: 2G, messages: 500 }, comment: Alice, flags: [no_imap, no_pop] }
          "0123": { forward: { to: [x@example.net], keepCopy: true } }
          __proto__: { comment: proto }
          carol: { password: { file: ../../outside } }
        aliases:
          sales: [alice@clean.example, X@Example.NET]
  `,
  yaml`
    domains:
      broken.example:
        users:
          bob: { quota: 10k, flags: [no_imap, no_imap, nope] }
          bob: {}
          Upper: {}
        aliases:
          bob: ["|/bin/sh"]
          other: &a [a@example.net]
          copy: *a
  `,
  'domains: [this is: not, valid\n',
  yaml`
    domains:
      clean.example: {}
      quota.example:
        defaults: { quota: .nan }
  `,
].map((text, i) => ({ text, file: `domains/${i}.yaml`, fileDir: `/repo/domains` }));

describe('checkIncludes', () => {
  it('gives the same outcomes in worker threads as on this thread', async () => {
    expect(existsSync(fileURLToPath(WORKER))).toBe(true);
    const shared = sharedContext(main, '/repo');
    const here = await checkIncludes(inputs, shared, { threads: 1 });
    const threaded = await checkIncludes(inputs, shared, { threads: 2, minBytes: 0, workerUrl: WORKER });
    expect(threaded).toEqual(here);
    // The inputs really span problems and clean files.
    expect(here.map((o) => o.normalized !== undefined)).toEqual([true, false, false, false]);
    expect(here[0]!.normalized![0]!.users.get('__proto__')!.comment).toBe('proto');
  });

  it('checks everything here when there is no compiled worker', async () => {
    const shared = sharedContext(main, '/repo');
    const missing = new URL('./no-such-worker.js', WORKER);
    expect(await checkIncludes(inputs, shared, { threads: 2, minBytes: 0, workerUrl: missing })).toEqual(
      await checkIncludes(inputs, shared, { threads: 1 }),
    );
  });
});
