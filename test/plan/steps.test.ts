import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/model/change.js';
import { applySteps } from '../../src/plan/steps.js';

const target = (name: string) => ({ name, comment: name, quota: 'NOQUOTA', flags: 0 });
const password = { kind: 'hash' as const, hash: '$6$salt$hash' };

describe('applySteps', () => {
  it("batches a domain's user changes and all relay changes where the first of them stands, and keeps every other change in plan order", () => {
    const changes: Change[] = [
      { kind: 'add-domain', domain: 'b.test', dir: '/v/domains/b.test' },
      { kind: 'delete-alias', domain: 'a.test', name: 'old', before: ['x@y'], file: '/v/domains/a.test/.qmail-old' },
      { kind: 'add-user', domain: 'a.test', user: target('carol'), password },
      { kind: 'add-relay', address: '10.' },
      { kind: 'add-user', domain: 'b.test', user: target('postmaster'), password },
      {
        kind: 'delete-user',
        domain: 'a.test',
        name: 'bob',
        dir: '/v/domains/a.test/bob',
        archiveParent: '/v/archive/a.test',
      },
      { kind: 'rebuild-vpasswd-cdb', domain: 'a.test', reason: 'users changed' },
      { kind: 'add-alias', domain: 'a.test', name: 'sales', to: ['carol@a.test'] },
      { kind: 'delete-relay', address: '127.', line: 1 },
      { kind: 'rebuild-tcp-smtp-cdb', reason: 'relay rules changed' },
      { kind: 'rebuild-users-cdb', domain: 'b.test', reason: 'new domain' },
    ];
    const steps = applySteps(changes);
    expect(
      steps.map((step) =>
        'changes' in step
          ? `${step.kind}:${step.changes.map((c) => c.kind).join(',')}`
          : `${step.kind}:${step.change.kind}`,
      ),
    ).toEqual([
      'structure:add-domain',
      'redirection:delete-alias',
      'users:add-user,delete-user,rebuild-vpasswd-cdb',
      'relay:add-relay,delete-relay,rebuild-tcp-smtp-cdb',
      'users:add-user',
      'redirection:add-alias',
      'structure:rebuild-users-cdb',
    ]);
    expect(steps[2]).toMatchObject({ kind: 'users', domain: 'a.test' });
    expect(steps[4]).toMatchObject({ kind: 'users', domain: 'b.test' });
    // Every change is in exactly one step.
    expect(steps.flatMap((step): Change[] => ('changes' in step ? step.changes : [step.change])).length).toBe(
      changes.length,
    );
  });

  it('has no step for an empty plan', () => {
    expect(applySteps([])).toEqual([]);
  });
});
