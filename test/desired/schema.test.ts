import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../src/desired/load.js';
import { createAjv, readSchema, runtimeSchema } from '../../src/desired/schema.js';
import { parseQuota } from '../../src/desired/value-specs.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { FLAG_NAMES } from '../../src/model/flags.js';
import { MAX_QUOTA_BYTES, MAX_QUOTA_MESSAGES } from '../../src/model/quota.js';

const root = join(import.meta.dirname, '../..');
const examples = join(root, 'examples');

describe('schema', () => {
  it('compiles in ajv strict mode and is a valid draft-07 schema', () => {
    const ajv = createAjv();
    expect(ajv.validateSchema(readSchema())).toBe(true);
    expect(() => ajv.compile(readSchema())).not.toThrow();
  });

  it('validates with $refs inlined (the runtime form compiles strictly too)', () => {
    const runtime = runtimeSchema(readSchema());
    expect(JSON.stringify(runtime)).not.toContain('$ref');
    expect(() => createAjv().compile(runtime)).not.toThrow();
  });

  it('agrees with the model: flag names and quota limits', () => {
    const defs = readSchema().$defs;
    expect(defs.user.properties.flags.items.enum).toEqual(FLAG_NAMES);
    expect(defs.size.anyOf[0].maximum).toBe(MAX_QUOTA_BYTES);
    expect(defs.quota.anyOf[2].properties.messages.maximum).toBe(MAX_QUOTA_MESSAGES);
  });

  it.each(readdirSync(examples).filter((name) => name.endsWith('.yaml')))(
    'examples/%s loads without any diagnostic',
    async (name) => {
      const result = await loadDesired(join(examples, name), { displayBase: root });
      expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
      expect(result.ok).toBe(true);
    },
  );

  it('the full example uses every feature', async () => {
    const result = await loadDesired(join(examples, 'mailstate.full.yaml'));
    if (!result.ok) throw new Error('full example does not load');
    const desired = result.value;
    const users = [...desired.domains.values()].flatMap((d) => [...d.users.values()]);
    expect(desired.files.length).toBeGreaterThan(1);
    expect(desired.relay?.length).toBeGreaterThan(0);
    expect(new Set(users.map((u) => u.password.kind))).toEqual(new Set(['hash', 'secret', 'unmanaged']));
    expect(users.some((u) => u.forward?.keepCopy)).toBe(true);
    expect(users.some((u) => u.flags !== 0)).toBe(true);
    expect(new Set(users.map((u) => u.quota.replace(/\d+/g, 'n')))).toEqual(
      new Set(['nS', 'NOQUOTA', 'nS,nC', 'nC', '']),
    );
    expect([...desired.domains.values()].some((d) => d.aliasDomains.length > 0 && d.aliases.size > 0)).toBe(true);
  });

  it('accepts and refuses the same quota forms as the loader (apart from ranges a pattern cannot express)', () => {
    const main = createAjv().compile(readSchema());
    const samples: unknown[] = [
      'none',
      'NOQUOTA',
      'empty',
      'noquota',
      'None',
      '',
      1,
      0,
      -1,
      1.5,
      '1',
      '0',
      '00',
      '100K',
      '100M',
      '2G',
      '1T',
      '100m',
      '1.5G',
      '100 M',
      true,
      null,
      [],
      {},
      { size: '1G' },
      { messages: 1 },
      { size: 1, messages: 1 },
      { messages: 0 },
      { size: 0 },
      { size: 'none' },
      { sise: 1 },
      { messages: 1.5 },
      MAX_QUOTA_BYTES,
      MAX_QUOTA_BYTES + 1,
      { messages: MAX_QUOTA_MESSAGES + 1 },
    ];
    for (const quota of samples) {
      const bySchema = main({ version: 1, defaults: { quota } });
      expect({ quota, accepted: bySchema }).toEqual({ quota, accepted: parseQuota(quota).ok });
    }
  });
});
