import { posix } from 'node:path';
import { hasErrors } from '../model/diagnostic.js';
import type { Diagnostic, Result } from '../model/diagnostic.js';
import type { DesiredState } from '../model/state.js';
import { aliasDomainRules, domainRules } from './domain-rules.js';
import { checkFile } from './file-check.js';
import type { FileOutcome, SharedContext } from './file-check.js';
import { chooseServer } from '../fleet/server-name.js';
import { shareOf } from '../fleet/share.js';
import { fleetNamesOf, serverRules } from './fleet-rules.js';
import { includePatterns, selectIncludes } from './include.js';
import { normalizeDesired, topQuotaOf } from './normalize.js';
import type { Overrides } from './normalize.js';
import { parseYaml } from './parse.js';
import { homeRules } from './path-rules.js';
import { mainDefaultQuotaRules } from './quota-rules.js';
import { relayRules } from './relay-rules.js';
import type { ParsedYaml } from './yaml-tree.js';

/** The parsed main file and the checked included files, plus what reading them reported. */
export interface DesiredFiles {
  main: ParsedYaml;
  /** The main file's directory on disk. */
  mainDir: string;
  includes: FileOutcome[];
  /** Problems found while resolving `include:` (no match, unreadable file, …). */
  diagnostics: Diagnostic[];
}

/** What every included file is checked against (see checkFile). */
export function sharedContext(main: ParsedYaml, mainDir: string): SharedContext {
  const fleet = fleetNamesOf(main);
  return { mainFile: main.file, mainDir, topQuota: topQuotaOf(main), ...(fleet ? { fleet } : {}) };
}

/**
 * The pure core: the main file is checked here, the included ones arrive checked (checkFile);
 * the rules across files and the main file's own run here. Every problem is reported at once,
 * sorted by file and position, in the order the checks list them; the DesiredState is made when
 * there is no error.
 */
export function buildDesired(files: DesiredFiles, overrides: Overrides = {}): Result<DesiredState> {
  const main = checkFile(files.main, {
    ...sharedContext(files.main, files.mainDir),
    role: 'main',
    fileDir: files.mainDir,
  });
  const all = [main, ...files.includes];
  const facts = all.flatMap((file) => file.domains);
  const diagnostics = [
    ...files.diagnostics,
    ...all.flatMap((file) => file.parse),
    ...all.flatMap((file) => file.schema),
    ...domainRules(facts),
    ...aliasDomainRules(facts),
    ...all.flatMap((file) => file.rules.users),
    ...all.flatMap((file) => file.rules.aliases),
    ...mainDefaultQuotaRules(files.main),
    ...all.flatMap((file) => file.rules.defaultQuotas),
    ...relayRules(files.main),
    ...homeRules(files.main),
    ...serverRules(files.main),
    ...all.flatMap((file) => file.rules.placement),
    ...all.flatMap((file) => file.rules.secretFiles),
  ];
  const sorted = sortDiagnostics(
    diagnostics,
    all.map((file) => file.file),
  );
  if (hasErrors(sorted)) return { ok: false, diagnostics: sorted };
  const domains = all.flatMap((file) => {
    if (!file.normalized) throw new Error(`internal error: ${file.file} has no error but was not normalised`);
    return file.normalized;
  });
  const desired = normalizeDesired(
    files.main,
    domains,
    all.map((file) => file.file),
    overrides,
  );
  if (overrides.server === undefined) return { ok: true, value: desired, diagnostics: sorted };
  const shared = serverShare(desired, overrides);
  if ('problem' in shared)
    return {
      ok: false,
      diagnostics: [
        ...sorted,
        { severity: 'error', code: 'unknown-server', message: shared.problem, file: files.main.file },
      ],
    };
  return { ok: true, value: shared.desired, diagnostics: sorted };
}

/** The desired state of the server the run is for, when the YAML declares a fleet. */
function serverShare(desired: DesiredState, overrides: Overrides): { desired: DesiredState } | { problem: string } {
  const chosen = chooseServer(desired.fleet, overrides.server ?? {});
  if ('problem' in chosen) return chosen;
  if (chosen.server === undefined) return { desired };
  const share = shareOf(desired, chosen.server, {
    vpopmail: overrides.vpopmailHome !== undefined,
    qmail: overrides.qmailHome !== undefined,
  });
  return share.ok ? { desired: share.desired } : { problem: share.reason };
}

export interface ParseTextOptions {
  /** Other files by path relative to the main file's directory, for `include:` (nothing is read from disk). */
  includes?: Record<string, string>;
  overrides?: Overrides;
}

/**
 * Validates and normalises a mailstate file given as text, without touching the file system;
 * `options.includes` stands in for the directory the include patterns are matched against.
 */
export function parseDesiredText(text: string, fileName: string, options: ParseTextOptions = {}): Result<DesiredState> {
  const main = parseYaml(text, fileName, 'main');
  const virtual = new Map(
    Object.entries(options.includes ?? {}).map(([path, content]) => [posix.normalize(path), content]),
  );
  const { patterns, diagnostics } = includePatterns(main);
  const selected = selectIncludes(main, patterns, () => [...virtual.keys()], posix.basename(fileName));
  const base = posix.dirname(fileName);
  const shared = sharedContext(main, base);
  const includes = selected.files.map((path) => {
    const file = posix.join(base, path);
    return checkFile(parseYaml(virtual.get(path)!, file, 'include'), {
      ...shared,
      role: 'include',
      fileDir: posix.dirname(file),
    });
  });
  return buildDesired(
    { main, mainDir: base, includes, diagnostics: [...diagnostics, ...selected.diagnostics] },
    options.overrides,
  );
}

/** Main file first, then by line and column; problems without a position come first in their file. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[], files: readonly string[]): Diagnostic[] {
  const order = new Map(files.map((file, index) => [file, index]));
  const rank = (d: Diagnostic): number => (d.file === undefined ? -1 : (order.get(d.file) ?? files.length));
  return [...diagnostics].sort(
    (a, b) => rank(a) - rank(b) || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0),
  );
}
