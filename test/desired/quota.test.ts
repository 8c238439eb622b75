import { describe, expect, it } from 'vitest';
import { parseQuota } from '../../src/desired/value-specs.js';
import { lines, state } from './helpers.js';

function userQuota(quota: string): string {
  const desired = state(`version: 1\ndomains:\n  example.com:\n    users:\n      alice: { quota: ${quota} }\n`);
  return desired.domains.get('example.com')!.users.get('alice')!.quota;
}

function quotaError(quota: string): string[] {
  return lines(`version: 1\ndomains:\n  example.com:\n    users:\n      alice: { quota: ${quota} }\n`);
}

const SIZES = 'a whole number of bytes, or a number with K, M or G (1K = 1024 bytes) such as 500M or 2G';
const FORMS = 'none, a size such as 500M, 2G or 1048576 (bytes), { size: 1G, messages: 10000 }, or empty';

describe('quota forms', () => {
  it.each([
    ['none', 'NOQUOTA'],
    ['NOQUOTA', 'NOQUOTA'],
    ['empty', ''],
    ['1', '1S'],
    ['1048576', '1048576S'],
    ['"1048576"', '1048576S'],
    ['500K', '512000S'],
    ['100M', '104857600S'],
    ['2G', '2147483648S'],
    ['0100M', '104857600S'],
    ['1048576G', '1125899906842624S'],
    ['{ size: 1G }', '1073741824S'],
    ['{ size: 1073741824, messages: 10000 }', '1073741824S,10000C'],
    ['{ messages: 500 }', '500C'],
    ['{ messages: 1000000000 }', '1000000000C'],
  ])('%s → %j', (written, field) => {
    expect(userQuota(written)).toBe(field);
  });

  it.each([
    [
      '0',
      `mailstate.yaml:5:23: error: quota: 0 is not a quota (vpopmail would store an empty quota field): write none for no limit, or a size such as 100M`,
    ],
    [
      '0M',
      `mailstate.yaml:5:23: error: quota: 0 is not a quota (vpopmail would store an empty quota field): write none for no limit, or a size such as 100M`,
    ],
    ['-5', `mailstate.yaml:5:23: error: quota: -5 is not a size (allowed: ${SIZES})`],
    ['1.5', `mailstate.yaml:5:23: error: quota: 1.5 is not a size (allowed: ${SIZES})`],
    ['1.5G', `mailstate.yaml:5:23: error: quota: "1.5G" is not a size (allowed: ${SIZES})`],
    ['100T', `mailstate.yaml:5:23: error: quota: "100T" is not a size (allowed: ${SIZES})`],
    ['100MB', `mailstate.yaml:5:23: error: quota: "100MB" is not a size (allowed: ${SIZES})`],
    ['"100 M"', `mailstate.yaml:5:23: error: quota: "100 M" is not a size (allowed: ${SIZES})`],
    ['100m', 'mailstate.yaml:5:23: error: quota: "100m": units are upper case (write "100M")'],
    ['unlimited', `mailstate.yaml:5:23: error: quota: "unlimited" is not a quota (allowed: ${FORMS})`],
    ['noquota', `mailstate.yaml:5:23: error: quota: "noquota" is not a quota (allowed: ${FORMS})`],
    ['true', `mailstate.yaml:5:23: error: quota: must be ${FORMS}, not true`],
    ['[1G]', `mailstate.yaml:5:23: error: quota: must be ${FORMS}, not a list`],
    [
      '2000000G',
      'mailstate.yaml:5:23: error: quota: "2000000G" is larger than the largest size mailstate accepts (1048576G)',
    ],
    [
      '1125899906842625',
      'mailstate.yaml:5:23: error: quota: 1125899906842625 is larger than the largest size mailstate accepts (1048576G)',
    ],
    [
      '99999999999999999999999',
      'mailstate.yaml:5:23: error: quota: 1e+23 is larger than the largest size mailstate accepts (1048576G)',
    ],
    ['{}', 'mailstate.yaml:5:23: error: quota: give size, messages or both (write none for no limit)'],
    ['{ sise: 1G }', 'mailstate.yaml:5:25: error: unknown key "sise" in quota (allowed: size, messages)'],
    [
      '{ size: 0 }',
      'mailstate.yaml:5:31: error: size: 0 is not a quota (vpopmail would store an empty quota field): write none for no limit, or a size such as 100M',
    ],
    ['{ size: none }', `mailstate.yaml:5:31: error: size: "none" is not a size (allowed: ${SIZES})`],
    ['{ messages: 0 }', 'mailstate.yaml:5:35: error: messages: must be a whole number from 1 to 1000000000, not 0'],
    ['{ messages: 1.5 }', 'mailstate.yaml:5:35: error: messages: must be a whole number from 1 to 1000000000, not 1.5'],
    [
      '{ messages: "10" }',
      'mailstate.yaml:5:35: error: messages: must be a whole number from 1 to 1000000000, not "10"',
    ],
    [
      '{ messages: 1000000001 }',
      'mailstate.yaml:5:35: error: messages: must be a whole number from 1 to 1000000000, not 1000000001',
    ],
  ])('refuses %s', (written, expected) => {
    expect(quotaError(written)).toEqual([expected]);
  });

  it('refuses an empty quota value with a hint', () => {
    expect(quotaError('')).toEqual([
      `mailstate.yaml:5:16: error: quota: must not be empty (allowed: ${FORMS}); leave the key out to use the default`,
    ]);
  });

  it('resolves user quota → domain default → top default → NOQUOTA', () => {
    const desired = state(`
version: 1
defaults: { quota: 100M }
domains:
  a.example:
    defaults: { quota: 50M }
    users:
      own: { quota: 1G }
      domain: {}
      off: { quota: none }
  b.example:
    users:
      top:
  c.example:
    defaults: { quota: empty }
    users:
      blank: {}
`);
    const quota = (domain: string, user: string): string | undefined =>
      desired.domains.get(domain)?.users.get(user)?.quota;
    expect([
      quota('a.example', 'own'),
      quota('a.example', 'domain'),
      quota('a.example', 'off'),
      quota('b.example', 'top'),
      quota('c.example', 'blank'),
    ]).toEqual(['1073741824S', '52428800S', 'NOQUOTA', '104857600S', '']);
    expect(
      state('version: 1\ndomains:\n  a.example:\n    users:\n      bob:\n').domains.get('a.example')?.users.get('bob')
        ?.quota,
    ).toBe('NOQUOTA');
  });

  it('checks defaults quotas too', () => {
    expect(lines('version: 1\ndefaults: { quota: 0 }\ndomains:\n  a.example:\n    defaults: { quota: 5X }\n')).toEqual([
      'mailstate.yaml:2:20: error: quota: 0 is not a quota (vpopmail would store an empty quota field): write none for no limit, or a size such as 100M',
      `mailstate.yaml:5:24: error: quota: "5X" is not a size (allowed: ${SIZES})`,
    ]);
  });

  it('parseQuota agrees with formatQuotaField spelling', () => {
    expect(parseQuota({ size: '1K', messages: 1 })).toEqual({ ok: true, value: '1024S,1C' });
  });
});
