#!/usr/bin/env node
import { main } from './main.js';

const code = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTty: Boolean(process.stdin.isTTY && process.stdout.isTTY),
});
process.exitCode = code;
