import { expect } from 'vitest';
import { mailstate } from './cli.js';
import type { TestServer } from './harness.js';

/** The `servers:` lines of a test fleet: each server a sandbox on this machine, routed as NAME.internal. */
export function sandboxServers(names: readonly string[], servers: Readonly<Record<string, TestServer>>): string[] {
  return [
    'servers:',
    ...names.map(
      (name) =>
        `  ${name}: { route: ${name}.internal, vpopmail: { home: ${servers[name]!.vpopmailHome} }, qmail: { home: ${servers[name]!.qmailHome} } }`,
    ),
  ];
}

/** `mailstate snapshot` of a sandbox server into `file`; it must succeed. */
export function snapshotTo(srv: TestServer, file: string): void {
  const made = mailstate(['snapshot', '--vpopmail-home', srv.vpopmailHome, '--qmail-home', srv.qmailHome, '-o', file]);
  expect(made.code).toBe(0);
}
