/**
 * `npm run bench [-- options]`: generates (or reuses) vpopmail trees and desired YAML under
 * `.bench/`, runs every scenario in fresh processes and prints a table of medians and peak RSS.
 *
 *   --scale F      multiply every size by F (default 1: the sizes of issue 5)
 *   --runs N       timed runs per scenario (default 5)
 *   --warmup N     untimed runs before them (default 1)
 *   --only LIST    comma-separated: plan,one-domain,apply,import,cdb,series,no-change,huge-plan,
 *                  fleet-place,fleet-plan
 *   --json         print the report as JSON instead of the table
 *   --cache DIR    where generated sites live (default .bench/)
 *   --cli FILE     the mailstate to measure (default dist/cli/bin.js), e.g. an older build to compare
 *
 * Exits 1 when a check fails (counts of writes, byte identity, a no-change apply that wrote);
 * floors that are missed are marked MISSED in the table.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fleetPlacement, fleetPlan } from './fleet.js';
import { rssSource } from './measure.js';
import { renderTable } from './report.js';
import type { Report } from './report.js';
import {
  applyChanges,
  cdbWriter,
  emptyTrash,
  hugePlan,
  importSite,
  machine,
  noChangeApply,
  planInSync,
  planOneDomain,
  scaleSeries,
} from './scenarios.js';
import type { Context } from './scenarios.js';

const SCENARIOS = [
  'plan',
  'one-domain',
  'apply',
  'import',
  'cdb',
  'series',
  'no-change',
  'huge-plan',
  'fleet-place',
  'fleet-plan',
] as const;

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
    cache: { type: 'string', default: join(repo, '.bench') },
    cli: { type: 'string', default: join(repo, 'dist', 'cli', 'bin.js') },
  },
  strict: true,
});

const only = new Set(values.only ? values.only.split(',') : SCENARIOS);
for (const name of only)
  if (!(SCENARIOS as readonly string[]).includes(name))
    throw new Error(`--only: unknown scenario "${name}" (${SCENARIOS.join(', ')})`);
const cacheDir = resolve(values.cache);
mkdirSync(cacheDir, { recursive: true });

const report: Report = {
  machine: {
    ...machine(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    rssSource: rssSource(),
  },
  settings: { scale: Number(values.scale), runs: Number(values.runs), warmup: Number(values.warmup) },
  rows: [],
  checks: [],
};
const ctx: Context = {
  cli: [process.execPath, resolve(values.cli)],
  cdbMake: [process.execPath, fileURLToPath(new URL('./cdb-make.js', import.meta.url))],
  cacheDir,
  scale: report.settings.scale,
  runs: report.settings.runs,
  warmup: report.settings.warmup,
  report,
  log: (line) => process.stderr.write(`${line}\n`),
};

if (only.has('plan')) await planInSync(ctx);
if (only.has('one-domain')) await planOneDomain(ctx);
if (only.has('apply')) await applyChanges(ctx);
if (only.has('import')) await importSite(ctx);
if (only.has('cdb')) await cdbWriter(ctx);
if (only.has('series')) await scaleSeries(ctx);
if (only.has('no-change')) await noChangeApply(ctx);
if (only.has('huge-plan')) await hugePlan(ctx);
if (only.has('fleet-place')) await fleetPlacement(ctx);
if (only.has('fleet-plan')) await fleetPlan(ctx);

ctx.log('  emptying the trash of restored applies …');
emptyTrash(ctx);
process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderTable(report)}\n`);
// A failed check means the numbers are not to be trusted; a missed floor is a result, shown in the table.
process.exitCode = report.checks.some((c) => !c.pass) ? 1 : 0;
