import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXAMPLE_SANDBOX, server } from '../support/harness.js';
import { REPO, mailstate } from '../support/cli.js';
import { SANDBOX_YAML, TestRepo, homes, tempDir, withUser } from '../support/gitops.js';

const SCRIPT = join(REPO, 'examples/ci/plan-pr.sh');

function planPr(cwd: string, env: Record<string, string>) {
  const run = spawnSync('bash', [SCRIPT], {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      MAILSTATE: `${process.execPath} ${join(REPO, 'dist/cli/bin.js')}`,
      ...env,
    },
  });
  return {
    code: run.status,
    stdout: run.stdout,
    stderr: run.stderr,
    md: () => readFileSync(join(cwd, 'plan.md'), 'utf8'),
  };
}

describe('examples/ci/plan-pr.sh', () => {
  it('plans a pull request against the base branch when there is no snapshot', () => {
    const repo = new TestRepo();
    repo.commit({ 'mailstate.yaml': SANDBOX_YAML }, 'main');
    repo.commit({ 'mailstate.yaml': withUser(SANDBOX_YAML, 'carol') }, 'pull request');
    const run = planPr(repo.dir, { BASE_REF: 'HEAD~1' });
    expect(run.stderr).toBe('mailstate.yaml is valid: 2 domains, 6 users, 4 aliases, 4 relay rules.\n');
    expect(run).toMatchObject({ code: 0, stdout: 'changes=yes\n' });
    expect(run.md().split('\n').slice(0, 3)).toEqual([
      '## mailstate plan',
      '',
      '**Plan: 1 to add, 0 to change, 0 to delete, 1 CDB rebuild.**',
    ]);
    expect(run.md()).toMatch(/<sub>Planned against HEAD~1 \([0-9a-f]{12}\), without reading any server\. Plan digest/);
    expect(JSON.parse(readFileSync(join(repo.dir, 'plan.json'), 'utf8')).digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('plans against the server from a snapshot, with the digest apply will check', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const live = join(tempDir(), 'live.json');
    expect(mailstate(['snapshot', '-o', live, ...homes(srv)]).code).toBe(0);
    const key = readFileSync(join(srv.vpopmailHome, 'etc/mailstate.key'), 'utf8').trim();
    const repo = new TestRepo();
    repo.commit({ 'mailstate.yaml': withUser(SANDBOX_YAML, 'carol') });
    const run = planPr(repo.dir, { SNAPSHOT_FILE: live, MAILSTATE_KEY: key });
    expect(run).toMatchObject({ code: 0, stdout: 'changes=yes\n' });
    expect(run.md()).toContain('Planned against the snapshot live.json of ');
    const digest = JSON.parse(readFileSync(join(repo.dir, 'plan.json'), 'utf8')).digest;
    const onServer = JSON.parse(
      mailstate(['plan', '-f', join(repo.dir, 'mailstate.yaml'), '--format', 'json', ...homes(srv)]).stdout,
    );
    expect(onServer.digest).toBe(digest);
  });

  it('fails with the errors in the comment when the YAML is invalid', () => {
    const repo = new TestRepo();
    repo.commit({ 'mailstate.yaml': withUser(SANDBOX_YAML, 'Carol') });
    const run = planPr(repo.dir, {});
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('changes=unknown\n');
    expect(run.md()).toBe(
      [
        '## mailstate plan',
        '',
        '**mailstate.yaml does not validate: nothing can be planned.**',
        '',
        '```',
        'mailstate.yaml:6:7: error: user "Carol": name must be lowercase (vpopmail lowercases it): write "carol"',
        'Error: mailstate.yaml: 1 error.',
        '```',
        '',
      ].join('\n'),
    );
  });

  it('is what the GitHub Actions example runs', () => {
    const workflow = parse(readFileSync(join(REPO, 'examples/ci/github-actions.yml'), 'utf8'));
    const steps = workflow.jobs.plan.steps as Array<{ name?: string; run?: string; env?: Record<string, string> }>;
    const plan = steps.find((step) => step.name === 'Plan')!;
    expect(plan.run).toBe('bash ci/plan-pr.sh >> "$GITHUB_OUTPUT"');
    expect(Object.keys(plan.env!)).toEqual(['BASE_REF', 'SNAPSHOT_SSH', 'MAILSTATE_KEY']);
    expect(workflow.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
  });
});
