import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { editTcpSmtp } from '../../src/apply/relay-write.js';
import { parseTcpRules } from '../../src/formats/tcp-rules.js';
import { managedRelayAddress, relayRuleLine } from '../../src/formats/tcp-rules.js';
import { relayAddressProblem } from '../../src/model/relay.js';
import {
  anyBytes,
  anyString,
  anyText,
  goldenFiles,
  linesOf,
  mutatedGolden,
  withinCpuTime,
  runs,
  assertPrintableMessages,
} from './support.js';

const FILE = '/home/vpopmail/etc/tcp.smtp';
const TCP_SMTP = goldenFiles((name) => name === 'tcp.smtp');

const tcpText = fc.oneof(
  anyText(),
  anyBytes(500).map((b) => Buffer.from(b).toString('utf8')),
  mutatedGolden(TCP_SMTP).map((b) => b.toString('utf8')),
  fc
    .array(
      fc.constantFrom(
        '127.:allow,RELAYCLIENT=""',
        ':allow',
        '10.0.0.5:deny',
        '# note',
        '',
        '   ',
        'garbage',
        '192.168.1.:allow,RELAYCLIENT=""',
      ),
      { maxLength: 6 },
    )
    .map((l) => `${l.join('\n')}\n`),
);

const octet = fc.integer({ min: 0, max: 255 });
/** Relay addresses of every form mailstate accepts: full address, 1–3 octet prefix, range in the last part. */
const relayAddress = fc
  .oneof(
    fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')),
    fc.array(octet, { minLength: 1, maxLength: 3 }).map((o) => `${o.join('.')}.`),
    fc
      .tuple(octet, octet, octet, octet, octet)
      .map(([a, b, c, x, y]) => `${a}.${b}.${c}.${Math.min(x, y)}-${Math.max(x, y)}`),
    fc.tuple(octet, octet, octet).map(([a, x, y]) => `${a}.${Math.min(x, y)}-${Math.max(x, y)}.`),
  )
  .filter((a) => relayAddressProblem(a) === undefined);

describe('parseTcpRules', () => {
  it('writes no control character into a message (a terminal must not be driven by a file)', () => {
    assertPrintableMessages((text) => parseTcpRules(text, FILE).diagnostics);
  });

  it('never throws, answers fast, and keeps every line verbatim in order', () => {
    fc.assert(
      fc.property(tcpText, (text) => {
        const parsed = withinCpuTime(500, () => parseTcpRules(text, FILE));
        const lines = linesOf(text);
        expect(parsed.lines.map((l) => l.text)).toEqual(lines);
        expect(parsed.lines.map((l) => l.line)).toEqual(lines.map((_, i) => i + 1));
        for (const l of parsed.lines) {
          if (l.kind === 'relay') {
            expect(relayAddressProblem(l.address)).toBeUndefined();
            expect(l.text).toBe(relayRuleLine(l.address));
          }
        }
        for (const d of parsed.diagnostics) expect(d).toMatchObject({ file: FILE, severity: 'warning' });
      }),
      { numRuns: runs(400) },
    );
  });

  it('reads back the relay rules mailstate writes, leaving every other line where it was', () => {
    fc.assert(
      fc.property(tcpText, fc.uniqueArray(relayAddress, { maxLength: 5 }), (text, addresses) => {
        const before = parseTcpRules(text, FILE);
        const known = new Set(before.lines.flatMap((l) => (l.kind === 'relay' ? [l.address] : [])));
        const added = addresses.filter((a) => !known.has(a));
        const edited = editTcpSmtp(
          text,
          added.map((address) => ({ kind: 'add-relay', address }) as const),
        );
        const after = parseTcpRules(edited, FILE);
        const relays = after.lines.flatMap((l) => (l.kind === 'relay' ? [l.address] : []));
        for (const address of added) expect(relays).toContain(address);
        expect(after.lines.filter((l) => !added.some((a) => l.text === relayRuleLine(a))).map((l) => l.text)).toEqual(
          before.lines.map((l) => l.text),
        );
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('relay rules', () => {
  it('relayRuleLine → managedRelayAddress is the identity for every valid address', () => {
    fc.assert(
      fc.property(relayAddress, (address) => {
        expect(managedRelayAddress(relayRuleLine(address))).toBe(address);
        expect(parseTcpRules(`${relayRuleLine(address)}\n`, FILE).lines).toEqual([
          { kind: 'relay', address, line: 1, text: relayRuleLine(address) },
        ]);
      }),
      { numRuns: runs(300) },
    );
  });

  it('relayAddressProblem never throws; a rule is managed only when its address has no problem', () => {
    const addressish = fc.oneof(
      anyString(40),
      fc.string({ unit: fc.constantFrom('1', '0', '2', '5', '.', '-', ':', ',', '=', ' ', 'a'), maxLength: 20 }),
    );
    fc.assert(
      fc.property(addressish, (address) => {
        const problem = withinCpuTime(500, () => relayAddressProblem(address));
        expect(problem === undefined || problem.length > 0).toBe(true);
        const managed = managedRelayAddress(`${address}:allow,RELAYCLIENT=""`);
        expect(managed).toBe(problem === undefined ? address : undefined);
        // Nothing accepted can smuggle another tcprules instruction or match every client.
        if (problem === undefined) expect(address).toMatch(/^[0-9][0-9.-]*$/);
      }),
      { numRuns: runs(500) },
    );
  });

  describe('tcp.smtp readers on large input', () => {
    it('stay linear: long addresses, long lines, many lines', () => {
      for (const text of [
        `${'1.'.repeat(300_000)}:allow,RELAYCLIENT=""`,
        `${'1-'.repeat(300_000)}:allow`,
        'x'.repeat(1_000_000),
        '127.:allow,RELAYCLIENT=""\n'.repeat(40_000),
      ]) {
        withinCpuTime(3000, () => parseTcpRules(text, FILE));
      }
      withinCpuTime(1000, () => relayAddressProblem('1.'.repeat(300_000)));
    });
  });
});
