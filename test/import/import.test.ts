import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDesiredText } from '../../src/desired/assemble.js';
import { importToYaml } from '../../src/import/to-yaml.js';
import { readLive } from '../../src/live/read-live.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { diffState } from '../../src/plan/plan.js';
import { GOLDEN, server } from '../support/harness.js';

const scenarios = readdirSync(GOLDEN).filter((name) => existsSync(join(GOLDEN, name, 'files')));

describe('import then plan', () => {
  it('covers the golden scenarios that leave a server behind', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(17);
  });

  it.each(scenarios)('%s: plan right after import reports no changes', async (scenario) => {
    const srv = await server(join(GOLDEN, scenario));
    const { state, diagnostics } = await readLive({ vpopmailHome: srv.vpopmailHome, qmailHome: srv.qmailHome });
    expect(diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
    const { yaml } = importToYaml(state, { schemaPath: 'schema/mailstate.schema.json' });
    const desired = parseDesiredText(yaml, 'imported.yaml');
    expect(desired.diagnostics.map(formatDiagnostic)).toEqual([]);
    if (!desired.ok) return;
    const plan = diffState(desired.value, state);
    expect(plan.diagnostics.map(formatDiagnostic)).toEqual([]);
    // Golden 07 recorded vpasswd but not vpasswd.cdb: the only drift is the missing cdb, rightly rebuilt.
    const expected =
      scenario === '07-user-dir-hashing'
        ? [
            {
              kind: 'rebuild-vpasswd-cdb',
              domain: 'hash.test',
              reason: 'vpasswd.cdb is missing: logins and delivery read only the cdb',
            },
          ]
        : [];
    expect(plan.ok && plan.value.changes).toEqual(expected);
  });
});
