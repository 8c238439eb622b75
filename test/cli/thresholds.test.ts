import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mailstate } from '../support/cli.js';
import { SANDBOX_YAML, homes, tempDir, withUser } from '../support/gitops.js';
import { cdbDump, EXAMPLE_SANDBOX, server, treeFingerprint, type TestServer } from '../support/harness.js';

const LOOPBACK =
  'Warning: the loopback relay rule 127. is deleted, so local programs (qmail-inject over SMTP, webmail on the host) would lose relaying: apply refuses this without --force.';

function yamlFile(text: string): string {
  const file = join(tempDir('mailstate-thresholds-'), 'mailstate.yaml');
  writeFileSync(file, text);
  return file;
}

/** The keys tcprules compiled into tcp.smtp.cdb, as the real `cdb` reads them back ("" is the `:allow` line for everyone else). */
function cdbRelays(srv: TestServer): string[] {
  return cdbDump(join(srv.vpopmailHome, 'etc/tcp.smtp.cdb'))
    .map((record) => record.slice(0, record.indexOf(' -> ')))
    .sort();
}

describe('relay: [] (issue 13, item 8)', () => {
  it('plans the loopback deletion as a limit, refuses it without --force, and applies it with --force', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const file = yamlFile(SANDBOX_YAML.replace(/^relay: .*$/m, 'relay: []'));
    const before = treeFingerprint(srv.root);
    const exemption =
      'Warning: relay rules: 4 of 4 (100%) deleted, over policy.maxChangePercent 30%, allowed because there are fewer than 10 relay rules.';

    const plan = mailstate(['plan', '--quiet', '-f', file, ...homes(srv)]);
    expect(plan.stdout.split('\n')).toEqual([
      'relay (tcp.smtp)',
      '  - relay 127. (tcp.smtp line 1)',
      '  - relay 192.168.1. (tcp.smtp line 2)',
      '  - relay 10.0.0.5 (tcp.smtp line 3)',
      '  - relay 172.16. (tcp.smtp line 4)',
      '  * rebuild tcp.smtp.cdb (relay rules changed)',
      '',
      LOOPBACK,
      exemption,
      '',
      'Plan: 0 to add, 0 to change, 4 to delete, 1 CDB rebuild.',
      '',
    ]);
    const json = JSON.parse(mailstate(['plan', '--format', 'json', '-f', file, ...homes(srv)]).stdout);
    expect(json.policyBreaches).toEqual([{ kind: 'loopback-relay', address: '127.' }]);
    expect(json.thresholdExemptions).toEqual([
      { subject: 'relay rules', live: 4, affected: 4, percent: 100, limit: 30, minimum: 10 },
    ]);
    const md = mailstate(['plan', '--format', 'markdown', '-f', file, ...homes(srv)]).stdout;
    expect(md).toContain(`\n> [!WARNING]\n> ${LOOPBACK}\n`);

    const refused = mailstate(['apply', '--yes', '-f', file, ...homes(srv)]);
    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr: `${LOOPBACK}\n${exemption}\nError: the plan deletes the loopback relay rule; re-run with --force if it is intended. Nothing was applied.\n`,
    });
    expect(treeFingerprint(srv.root)).toEqual(before);
    expect(cdbRelays(srv)).toEqual(['', '10.0.0.5', '127.', '172.16.', '192.168.1.']);

    const forced = mailstate(['apply', '--yes', '--force', '-f', file, ...homes(srv)]);
    expect(forced.code).toBe(0);
    expect(cdbRelays(srv)).toEqual(['']);
  });

  it('keeping 127. deletes the other rules with only the small-set warning', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const file = yamlFile(SANDBOX_YAML.replace(/^relay: .*$/m, 'relay: ["127.", "10.0.0.5"]'));
    const applied = mailstate(['apply', '--yes', '-f', file, ...homes(srv)]);
    expect(applied.stderr).toBe(
      'Warning: relay rules: 2 of 4 (50%) deleted, over policy.maxChangePercent 30%, allowed because there are fewer than 10 relay rules.\n',
    );
    expect(applied.code).toBe(0);
    expect(cdbRelays(srv)).toEqual(['', '10.0.0.5', '127.']);
  });
});

describe('policy.maxChanges', () => {
  const capped = (cap: number) =>
    withUser(withUser(SANDBOX_YAML, 'carol'), 'dave').replace(
      'version: 1\n',
      `version: 1\npolicy: { maxChanges: ${cap} }\n`,
    );

  it('refuses a plan of more adds, changes and deletes than the cap without --force, and applies it with --force', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const file = yamlFile(capped(1));
    const line =
      'Warning: the plan makes 2 changes (adds, changes and deletes), over policy.maxChanges 1: apply refuses this without --force.';
    const plan = mailstate(['plan', '--quiet', '-f', file, ...homes(srv)]);
    expect(plan.stdout.split('\n').slice(-4)).toEqual([
      line,
      '',
      'Plan: 2 to add, 0 to change, 0 to delete, 1 CDB rebuild.',
      '',
    ]);
    expect(
      JSON.parse(mailstate(['plan', '--format', 'json', '-f', file, ...homes(srv)]).stdout).policyBreaches,
    ).toEqual([{ kind: 'max-changes', changes: 2, limit: 1 }]);

    const before = treeFingerprint(srv.root);
    expect(mailstate(['apply', '--yes', '-f', file, ...homes(srv)])).toEqual({
      code: 1,
      stdout: '',
      stderr: `${line}\nError: the plan is over policy.maxChanges; re-run with --force if it is intended. Nothing was applied.\n`,
    });
    expect(treeFingerprint(srv.root)).toEqual(before);
    expect(mailstate(['apply', '--yes', '--force', '-f', file, ...homes(srv)]).code).toBe(0);
    expect(readFileSync(join(srv.vpopmailHome, 'domains/example.com/vpasswd'), 'utf8')).toMatch(/^dave:/m);
  });

  it('a plan at the cap applies without a word', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const applied = mailstate(['apply', '--yes', '-f', yamlFile(capped(2)), ...homes(srv)]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
  });

  it('a bad value is an error at its FILE:LINE:COL, and nothing is planned', () => {
    const file = yamlFile('version: 1\npolicy:\n  prune: true\n  maxChanges: -5\n');
    const validate = mailstate(['validate', '-f', file]);
    expect(validate.code).toBe(1);
    expect(validate.stderr.split('\n')[0]).toMatch(
      /mailstate\.yaml:4:15: error: maxChanges: must be at least 1, not -5$/,
    );
  });
});

describe('a small domain over the percentage (issue 13, item 12)', () => {
  it('deleting 2 of 4 users is allowed, and the plan and apply say why', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    // bob's mailbox is delivered into by an unmanaged .qmail-bob2: keep him, delete the others.
    const file = yamlFile(
      SANDBOX_YAML.replace(/ {6}alice:\n(?: {8}.*\n)+/, '').replace(/ {6}john\.doe:\n(?: {8}.*\n)+/, ''),
    );
    const line =
      'Warning: example.com: 2 of 4 users (50%) deleted or changed, over policy.maxChangePercent 30%, allowed because the domain has fewer than 10 users.';
    const plan = mailstate(['plan', '--quiet', '-f', file, ...homes(srv)]);
    expect(plan.stdout.split('\n').slice(-4, -3)).toEqual([line]);
    const applied = mailstate(['apply', '--yes', '-f', file, ...homes(srv)]);
    expect(applied.stderr.split('\n').filter((l) => l.startsWith('Warning:'))).toEqual([line]);
    expect(applied.code).toBe(0);
  });
});
