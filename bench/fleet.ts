/**
 * The fleet floors of issue 14: placement of 1,000,000 users over 10 servers, and `plan --fleet`
 * of 10 servers × 100,000 users from their snapshots, each ≤ 20 s and ≤ 1.5 GB, with the growth
 * from 250,000 to 1,000,000 users (linear would be 4×).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from './report.js';
import { expectExit, judge, measure, row, scaled, type Context } from './scenarios.js';

const script = (name: string): string => fileURLToPath(new URL(`./${name}.js`, import.meta.url));

/** The floor on the large run, and its growth over the small one (4× the users). */
function judgeGrowth(ctx: Context, [small, large]: [Row, Row]): void {
  large.notes.push(
    `growth from ${small.users!.toLocaleString('en-US')} users: ${(large.medianMs / small.medianMs).toFixed(2)}× for 4× the users`,
  );
  judge(ctx, large, '≤ 20 s, ≤ 1.5 GB', large.medianMs <= 20_000 && (large.rssMb ?? 0) <= 1536);
}

/** Placement alone, at 250,000 and 1,000,000 users over 10 servers. */
export async function fleetPlacement(ctx: Context): Promise<void> {
  const rows = [];
  for (const users of [scaled(ctx, 250_000), scaled(ctx, 1_000_000)]) {
    const results = await measure(
      ctx,
      `placement of ${users}`,
      [process.execPath, script('place-users'), String(users), '10'],
      {
        check: (r) => {
          expectExit(r, 0, 'placement');
          // 1 % is the margin at a million users; below that the hash's noise is larger.
          if (users >= 1_000_000 && Number(r.stdout) > 1)
            throw new Error(`placement is ${r.stdout.trim()} % over a fair share`);
        },
      },
    );
    rows.push(
      row(
        ctx,
        `fleet-place-${users}`,
        `(F1) placement of ${users.toLocaleString('en-US')} users over 10 servers`,
        results,
        { users },
      ),
    );
  }
  judgeGrowth(ctx, rows as [Row, Row]);
}

/** `plan --fleet` from snapshots, at 10 × 25,000 and 10 × 100,000 users, everything in sync. */
export async function fleetPlan(ctx: Context): Promise<void> {
  const rows = [];
  for (const perServer of [scaled(ctx, 25_000), scaled(ctx, 100_000)]) {
    const dir = join(ctx.cacheDir, `fleet-10x${perServer}`);
    if (!existsSync(join(dir, 'live', 'mx10.json'))) {
      ctx.log(`  generating a fleet of 10 × ${perServer} users in ${dir} …`);
      execFileSync(
        process.execPath,
        ['--max-old-space-size=4096', script('fleet-fixture'), dir, '10', String(perServer)],
        {
          stdio: 'inherit',
        },
      );
    }
    const argv = [
      ...ctx.cli,
      'plan',
      '--fleet',
      '-f',
      join(dir, 'mailstate.yaml'),
      '--live-dir',
      join(dir, 'live'),
      '--key-dir',
      join(dir, 'keys'),
      '--detailed-exitcode',
      '--quiet',
    ];
    const results = await measure(ctx, `plan --fleet 10 × ${perServer}`, argv, {
      check: (r) => expectExit(r, 0, 'plan --fleet (in sync)'),
    });
    const users = perServer * 10;
    rows.push(
      row(
        ctx,
        `fleet-plan-${users}`,
        `(F2) plan --fleet, in sync, 10 servers × ${perServer.toLocaleString('en-US')} users`,
        results,
        { users },
      ),
    );
  }
  judgeGrowth(ctx, rows as [Row, Row]);
}
