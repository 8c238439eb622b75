import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_SANDBOX, bob2Warning, server, treeFingerprint } from '../support/harness.js';
import { mailstate } from '../support/cli.js';
import { homes, tempDir } from '../support/gitops.js';

describe('the plan digest', () => {
  it('is the sha256 of the documented JSON subset, shown in JSON and Markdown, and stable', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const json = mailstate(['plan', '--format', 'json', ...homes(srv)]).stdout;
    const { digest } = JSON.parse(json);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    // README: jq -cj '{formatVersion, changes, thresholdBreaches}' plan.json | sha256sum
    const subset = execFileSync('jq', ['-cj', '{formatVersion, changes, thresholdBreaches}'], { input: json });
    expect(execFileSync('sha256sum', { input: subset }).toString().split(' ')[0]).toBe(digest);
    const md = mailstate(['plan', '--format', 'markdown', ...homes(srv)]).stdout;
    // The footer also says what the plan was made against: this machine, the trees, the time.
    const footer = md
      .trimEnd()
      .split('\n')
      .at(-1)!
      .replace(/ at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\./, ' at TIME.');
    expect(footer).toBe(
      `<sub>Planned against the server on ${hostname()} (${srv.vpopmailHome}, ${srv.qmailHome}) at TIME. Plan digest (sha256): <code>${digest}</code></sub>`,
    );
    expect(JSON.parse(mailstate(['plan', '--format', 'json', ...homes(srv)]).stdout).digest).toBe(digest);
  });

  it('apply --expect-digest applies the reviewed plan and refuses any other, writing nothing', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const { digest } = JSON.parse(mailstate(['plan', '--format', 'json', ...homes(srv)]).stdout);

    // The server changed after the review: the plan it would apply is not the reviewed one.
    const vpasswd = join(srv.vpopmailHome, 'domains/example.com/vpasswd');
    writeFileSync(vpasswd, readFileSync(vpasswd, 'utf8').replace(':john.doe:/', ':John Doe:/'));
    const before = treeFingerprint(srv.root);
    const refused = mailstate(['apply', '--yes', '--expect-digest', `sha256:${digest.toUpperCase()}`, ...homes(srv)]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    const [warning, refusal] = refused.stderr.split(/(?<=\n)/);
    expect(warning).toBe(`${bob2Warning(srv.vpopmailHome)}\n`);
    expect(refusal).toMatch(
      new RegExp(
        `^Error: the plan's digest is [0-9a-f]{64}, not the reviewed ${digest}: the live state or mailstate\\.yaml changed since the review\\. Run plan again; nothing was applied\\.\\n$`,
      ),
    );
    expect(treeFingerprint(srv.root)).toEqual(before);
    expect(existsSync(join(srv.vpopmailHome, 'etc/mailstate.lock'))).toBe(false);

    const current = JSON.parse(mailstate(['plan', '--format', 'json', ...homes(srv)]).stdout).digest;
    const applied = mailstate(['apply', '--yes', '--expect-digest', current, ...homes(srv)]);
    expect(applied.code).toBe(0);
    expect(applied.stdout.split('\n')[0]).toBe(
      'Apply complete (files driver): 2 added, 3 changed, 3 deleted; vpasswd.cdb rebuilt for example.com; tcp.smtp.cdb rebuilt.',
    );
    expect(mailstate(['apply', '--yes', '--expect-digest', 'xyz', ...homes(srv)]).stderr).toBe(
      'Error: mailstate apply: --expect-digest "xyz" is not a sha256 digest (64 hex digits, optionally after "sha256:")\n',
    );
  });

  it('a plan made from a snapshot in CI carries the digest the server checks under the lock', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const live = join(tempDir(), 'live.json');
    expect(mailstate(['snapshot', '-o', live, ...homes(srv)]).code).toBe(0);
    const key = readFileSync(join(srv.vpopmailHome, 'etc/mailstate.key'), 'utf8').trim();
    const { digest } = JSON.parse(
      mailstate(['plan', '--format', 'json', '--live', live], { env: { MAILSTATE_KEY: key } }).stdout,
    );
    const applied = mailstate(['apply', '--yes', '--expect-digest', digest, ...homes(srv)]);
    // Applied without a plan on screen, so the small domain's exemption is said on standard error.
    expect(applied.stderr).toBe(
      `${bob2Warning(srv.vpopmailHome)}\n` +
        'Warning: example.com: 2 of 4 users (50%) deleted or changed, over policy.maxChangePercent 30%, allowed because the domain has fewer than 10 users.\n',
    );
    expect(applied.code).toBe(0);
  });
});
