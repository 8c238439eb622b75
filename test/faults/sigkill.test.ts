import { describe, expect, it } from 'vitest';
import {
  lostMessages,
  maildirMessages,
  maildirsizeMismatches,
  qmailRoutingProblems,
  strayTempFiles,
} from '../support/harness.js';
import { mailstate } from '../support/cli.js';
import { COUNTED_WORK, watchedStep } from '../support/budget.js';
import { QUOTA_USERS, applyKilledAfter, buildKillScenario, homes, randomSource, restore } from './kill-rounds.js';

/** `npm run soak` raises the rounds; MAILSTATE_KILL_SEED replays a failing run. */
const ROUNDS = Number(process.env.MAILSTATE_KILL_ROUNDS ?? 6);
const SEED = Number(process.env.MAILSTATE_KILL_SEED ?? Date.now() % 1_000_000);

/** The rounds are counted in kills mid-apply; a run the kill missed is one more attempt, up to this many in all. */
const MAX_ATTEMPTS = ROUNDS * 4;
/** The unkilled apply that measures the scenario: a hang guard, far above its time on a loaded machine. */
const FULL_RUN_HANG_MS = 10 * 60_000;

describe('SIGKILL at a random moment of a large apply (400 adds, 60 archives, 60 changes, a new domain)', () => {
  it(`converges on the next apply and loses no message (${ROUNDS} rounds, seed ${SEED})`, {
    timeout: COUNTED_WORK,
  }, async () => {
    const scenario = await buildKillScenario();
    expect(scenario.messagesBefore.size).toBeGreaterThanOrEqual(200);

    let started = Date.now();
    expect(await applyKilledAfter(scenario, FULL_RUN_HANG_MS)).toEqual({ code: 0, signal: null });
    // The kill moments are drawn from how long an apply takes now: a run the kill missed says how
    // long it took, so a machine whose load changes midway still gets its kills mid-apply.
    let fullRunMs = Date.now() - started;

    const random = randomSource(SEED);
    let killed = 0;
    let attempts = 0;
    while (killed < ROUNDS && attempts < MAX_ATTEMPTS) {
      attempts++;
      restore(scenario);
      const killAfterMs = Math.round(fullRunMs * (0.15 + random()));
      started = Date.now();
      const ended = await applyKilledAfter(scenario, killAfterMs);
      if (ended.signal === 'SIGKILL') killed++;
      else fullRunMs = Date.now() - started;
      const where = `attempt ${attempts} (seed ${SEED}), killed after ${killAfterMs} ms of a ${fullRunMs} ms apply`;
      await watchedStep(where, async () => {
        expect(
          lostMessages(scenario.messagesBefore, await maildirMessages(scenario.server)),
          `${where}: messages lost`,
        ).toEqual([]);

        const rerun = mailstate(['apply', '--yes', '-f', scenario.yamlFile, ...homes(scenario)]);
        expect(rerun.stderr.replace(/^Warning: .*\n/gm, ''), where).toBe('');
        expect(rerun.code, where).toBe(0);
        const plan = mailstate(['plan', '--detailed-exitcode', '-f', scenario.yamlFile, ...homes(scenario)]);
        expect({ code: plan.code, last: plan.stdout.trim().split('\n').at(-1) }, `${where}: not converged`).toEqual({
          code: 0,
          last: `No changes. The live state matches ${scenario.yamlFile}.`,
        });
        expect(
          lostMessages(scenario.messagesBefore, await maildirMessages(scenario.server)),
          `${where}: messages lost after the re-run`,
        ).toEqual([]);
        expect(strayTempFiles(scenario.root), `${where}: temp files of the killed run left behind`).toEqual([]);
        expect(
          await maildirsizeMismatches(scenario.server, 'example.com', QUOTA_USERS),
          `${where}: maildirsize and vpasswd disagree`,
        ).toEqual([]);
        expect(
          qmailRoutingProblems(scenario.server, ['kill.test', 'example.com']),
          `${where}: qmail does not route a domain`,
        ).toEqual([]);
      });
    }
    console.log(
      `SIGKILL rounds: ${killed} killed mid-apply in ${attempts} attempts, seed ${SEED}, full apply ${fullRunMs} ms`,
    );
    expect(killed, `only ${killed} of ${attempts} attempts were killed mid-apply`).toBe(ROUNDS);
  });
});
