import { describe, expect, it } from 'vitest';
import { lostMessages, maildirMessages, maildirsizeMismatches, qmailRoutingProblems, strayTempFiles } from '../apply/harness.js';
import { mailstate } from '../cli/run.js';
import { QUOTA_USERS, applyKilledAfter, buildKillScenario, homes, randomSource, restore } from './kill-rounds.js';

/** `npm run soak` raises the rounds; MAILSTATE_KILL_SEED replays a failing run. */
const ROUNDS = Number(process.env.MAILSTATE_KILL_ROUNDS ?? 6);
const SEED = Number(process.env.MAILSTATE_KILL_SEED ?? Date.now() % 1_000_000);

describe('SIGKILL at a random moment of a large apply (400 adds, 60 archives, 60 changes, a new domain)', () => {
  it(`converges on the next apply and loses no message (${ROUNDS} rounds, seed ${SEED})`, async () => {
    const scenario = await buildKillScenario();
    expect(scenario.messagesBefore.size).toBeGreaterThanOrEqual(200);

    const started = Date.now();
    expect(await applyKilledAfter(scenario, 600_000)).toEqual({ code: 0, signal: null });
    const fullRunMs = Date.now() - started;

    const random = randomSource(SEED);
    let killed = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      restore(scenario);
      const killAfterMs = Math.round(fullRunMs * (0.15 + random()));
      const ended = await applyKilledAfter(scenario, killAfterMs);
      if (ended.signal === 'SIGKILL') killed++;
      const where = `round ${round} (seed ${SEED}), killed after ${killAfterMs} ms of a ${fullRunMs} ms apply`;
      expect(lostMessages(scenario.messagesBefore, await maildirMessages(scenario.server)), `${where}: messages lost`).toEqual([]);

      const rerun = mailstate(['apply', '--yes', '-f', scenario.yamlFile, ...homes(scenario)]);
      expect(rerun.stderr.replace(/^Warning: .*\n/gm, ''), where).toBe('');
      expect(rerun.code, where).toBe(0);
      const plan = mailstate(['plan', '--detailed-exitcode', '-f', scenario.yamlFile, ...homes(scenario)]);
      expect({ code: plan.code, last: plan.stdout.trim().split('\n').at(-1) }, `${where}: not converged`).toEqual({ code: 0, last: 'No changes. The live state matches mailstate.yaml.' });
      expect(lostMessages(scenario.messagesBefore, await maildirMessages(scenario.server)), `${where}: messages lost after the re-run`).toEqual([]);
      expect(strayTempFiles(scenario.root), `${where}: temp files of the killed run left behind`).toEqual([]);
      expect(await maildirsizeMismatches(scenario.server, 'example.com', QUOTA_USERS), `${where}: maildirsize and vpasswd disagree`).toEqual([]);
      expect(qmailRoutingProblems(scenario.server, ['kill.test', 'example.com']), `${where}: qmail does not route a domain`).toEqual([]);
    }
    console.log(`SIGKILL rounds: ${ROUNDS}, ${killed} killed mid-apply, seed ${SEED}, full apply ${fullRunMs} ms`);
    expect(killed).toBeGreaterThanOrEqual(Math.ceil(ROUNDS / 2));
  }, Math.max(120_000, ROUNDS * 15_000));
});
