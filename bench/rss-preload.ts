/**
 * Preloaded (`node --import`) into a measured process when GNU time is missing: writes the
 * process's peak RSS in KiB, as the kernel counts it, to $MAILSTATE_BENCH_RSS_FILE on exit.
 */
import { writeFileSync } from 'node:fs';

const target = process.env.MAILSTATE_BENCH_RSS_FILE;
if (target) process.on('exit', () => writeFileSync(target, `${process.resourceUsage().maxRSS}\n`));
