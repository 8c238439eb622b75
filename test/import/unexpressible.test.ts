import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDesired } from '../../src/desired/load.js';
import { importToYaml } from '../../src/import/to-yaml.js';
import { parseVpasswd } from '../../src/formats/vpasswd.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { diffState } from '../../src/plan/plan.js';
import { HASH_SECRET6, HOME, liveDomain, liveState, liveUser } from '../support/builders.js';

const D = 'example.com';
const dir = mkdtempSync(join(tmpdir(), 'mailstate-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A live domain read through the real vpasswd reader, one user per quota field given. */
function liveWith(quotas: Record<string, string>) {
  const lines = [`postmaster:${HASH_SECRET6}:1:0:Postmaster:${HOME}/domains/${D}/postmaster:NOQUOTA:x`];
  for (const [name, quota] of Object.entries(quotas))
    lines.push(`${name}:${HASH_SECRET6}:1:0:${name}:${HOME}/domains/${D}/${name}:${quota}:x`);
  const parsed = parseVpasswd(lines.map((line) => `${line}\n`).join(''), `${HOME}/domains/${D}/vpasswd`);
  return liveState([
    liveDomain(
      D,
      parsed.users.map(({ name, hash, clear, ...user }) => liveUser(D, name, { ...user, hash, clear })),
    ),
  ]);
}

async function validate(yaml: string, name: string) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return loadDesired(file);
}

const ODD = {
  letters: 'abc',
  negative: '-5',
  huge: '99999999999999999999999',
  overmax: '9999999999999999S',
  gigabytes: '1G',
  emptycount: 'C',
  comma: '100S,',
};

describe('import of quota fields mailstate cannot write', () => {
  it('writes YAML that validates, leaving the quota out with a note', async () => {
    const live = liveWith({ ...ODD, empty: '', plain: '1048576S', both: '1048576S,100C' });
    const { yaml, notes } = importToYaml(live, { schemaPath: 'schema/mailstate.schema.json' });
    expect(yaml).not.toMatch(/\.nan|\.inf|e\+/i);
    const desired = await validate(yaml, 'odd');
    expect(desired.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(desired.ok).toBe(true);
    if (!desired.ok) return;
    const users = desired.value.domains.get(D)!.users;
    // Every user is still declared (under prune, a user left out would be deleted).
    expect([...users.keys()].sort()).toEqual([...Object.keys(ODD), 'both', 'empty', 'plain', 'postmaster'].sort());
    expect(users.get('empty')!.quota).toBe('');
    expect(users.get('plain')!.quota).toBe('1048576S');
    expect(users.get('both')!.quota).toBe('1048576S,100C');
    for (const [name, raw] of Object.entries(ODD)) {
      expect(notes).toContain(
        `${name}@${D}: vpasswd quota ${JSON.stringify(raw)} cannot be written as a mailstate quota, so it is left out (a plan would set it to none): add the quota: this user should have`,
      );
    }
    expect(notes.filter((note) => note.includes('quota'))).toHaveLength(Object.keys(ODD).length);
  });

  it.each(Object.entries({ ...ODD, empty: '' }))('%s (%j) alone imports as valid YAML', async (name, raw) => {
    const { yaml } = importToYaml(liveWith({ [name]: raw }), { schemaPath: 'schema/mailstate.schema.json' });
    const desired = await validate(yaml, `one-${name}`);
    expect(desired.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(desired.ok).toBe(true);
    if (!desired.ok) return;
    // The plan shows the quota it would change for review; it never deletes the user.
    const plan = diffState(desired.value, liveWith({ [name]: raw }));
    expect(plan.ok && plan.value.changes.filter((c) => c.kind === 'delete-user')).toEqual([]);
  });
});
