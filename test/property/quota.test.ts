import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashFormat } from '../../src/model/password.js';
import {
  canonicalQuotaField,
  describeQuota,
  formatQuotaField,
  MAX_QUOTA_BYTES,
  MAX_QUOTA_MESSAGES,
  NOQUOTA,
} from '../../src/model/quota.js';
import { anyString, withinCpuTime, runs } from './support.js';

/** Quota fields as they occur, and their near misses. */
const quotaish = fc.oneof(
  anyString(60),
  fc.string({
    unit: fc.constantFrom(
      '0',
      '1',
      '9',
      'S',
      's',
      'B',
      'b',
      'C',
      'c',
      'K',
      'k',
      'M',
      'm',
      'G',
      ',',
      '.',
      '-',
      ' ',
      'N',
      'O',
      'Q',
      'U',
      'T',
      'A',
    ),
    maxLength: 24,
  }),
  fc
    .tuple(fc.bigInt({ min: 0n, max: 10n ** 22n }), fc.constantFrom('', 'S', 'C', 'K', 'M', 'kB', 'MB', 'Sb', 'G'))
    .map(([n, unit]) => `${n}${unit}`),
);

const limit = fc.record(
  { bytes: fc.integer({ min: 0, max: MAX_QUOTA_BYTES }), messages: fc.integer({ min: 0, max: MAX_QUOTA_MESSAGES }) },
  { requiredKeys: [] },
);

describe('quota fields', () => {
  it('canonicalQuotaField never throws, and its answer is a fixed point that describeQuota can say', () => {
    fc.assert(
      fc.property(quotaish, (raw) => {
        const canonical = withinCpuTime(500, () => canonicalQuotaField(raw));
        if (canonical === undefined) return;
        expect(canonicalQuotaField(canonical)).toBe(canonical);
        expect(canonical).toMatch(/^(NOQUOTA|\d+S|\d+C|\d+S,\d+C|)$/);
        const described = describeQuota(canonical);
        expect(described).not.toMatch(/NaN|undefined|Infinity/);
      }),
      { numRuns: runs(500) },
    );
  });

  it('formatQuotaField → canonicalQuotaField is the identity', () => {
    fc.assert(
      fc.property(limit, (l) => {
        const field = formatQuotaField(l);
        expect(canonicalQuotaField(field)).toBe(field);
        // Both limits, in vpopmail's order; the empty field when neither is given.
        expect(field).toBe(
          [l.bytes === undefined ? [] : [`${l.bytes}S`], l.messages === undefined ? [] : [`${l.messages}C`]]
            .flat()
            .join(','),
        );
      }),
      { numRuns: runs(300) },
    );
  });

  it('reads vpopmail spellings (K, M, lower case, a trailing B) as the bytes they mean', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 30 }),
        fc.constantFrom(['', 1], ['k', 1024], ['K', 1024], ['m', 1048576], ['M', 1048576]),
        fc.constantFrom('', 'S', 's', 'B', 'b', 'SB', 'sb'),
        (n, [unit, factor], tail) => {
          expect(canonicalQuotaField(`${n}${unit}${tail}`)).toBe(`${n * (factor as number)}S`);
        },
      ),
      { numRuns: runs(200) },
    );
  });

  it('describeQuota never throws on any string', () => {
    fc.assert(
      fc.property(anyString(60), (field) => {
        expect(typeof describeQuota(field)).toBe('string');
      }),
      { numRuns: runs(200) },
    );
    expect(describeQuota(NOQUOTA)).toBe('none');
  });
});

const SALT = fc.string({
  unit: fc.constantFrom(...'./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
  minLength: 1,
  maxLength: 16,
});
const b64 = (length: number) =>
  fc.string({
    unit: fc.constantFrom(...'./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
    minLength: length,
    maxLength: length,
  });

describe('hashFormat', () => {
  it('recognises every crypt format vpopmail verifies', () => {
    fc.assert(
      fc.property(SALT, b64(86), b64(43), b64(22), b64(53), b64(13), (salt, h86, h43, h22, h53, des) => {
        expect(hashFormat(`$6$${salt}$${h86}`)).toBe('SHA-512 ($6$)');
        expect(hashFormat(`$6$rounds=5000$${salt}$${h86}`)).toBe('SHA-512 ($6$)');
        expect(hashFormat(`$5$${salt}$${h43}`)).toBe('SHA-256 ($5$)');
        expect(hashFormat(`$1$${salt.slice(0, 8)}$${h22}`)).toBe('MD5 ($1$)');
        expect(hashFormat(`$2y$10$${h53}`)).toBe('bcrypt ($2y$)');
        expect(hashFormat(des)).toBe('DES');
      }),
      { numRuns: runs(200) },
    );
  });

  it('never throws, answers fast even for long input, and never accepts what would break a vpasswd line', () => {
    const hashish = fc.oneof(
      anyString(200),
      fc
        .tuple(
          fc.constantFrom('$6$', '$5$', '$1$', '$2y$10$', '$6$rounds=1000$', ''),
          fc.string({ unit: fc.constantFrom('a', '$', '.', '/', ':', '\n', '='), maxLength: 120 }),
        )
        .map(([p, s]) => p + s),
    );
    fc.assert(
      fc.property(hashish, (hash) => {
        const format = withinCpuTime(500, () => hashFormat(hash));
        if (format !== undefined) expect(hash).not.toMatch(/[:\n\s]/);
      }),
      { numRuns: runs(500) },
    );
    withinCpuTime(500, () => hashFormat(`$6$${'a'.repeat(100_000)}`));
    withinCpuTime(500, () => hashFormat(`$6$rounds=${'1'.repeat(100_000)}`));
  });

  describe('quota fields on large input', () => {
    it('stay linear', () => {
      for (const raw of [`${'1'.repeat(1_000_000)}S`, '1S,'.repeat(100_000), `${'9'.repeat(1_000_000)}C`]) {
        withinCpuTime(1000, () => canonicalQuotaField(raw));
        withinCpuTime(1000, () => describeQuota(raw));
      }
    });
  });
});
