import type { Diagnostic } from '../model/diagnostic.js';
import type { DomainEntry } from './domains.js';
import type { FleetNames } from './fleet-rules.js';
import type { ParsedYaml } from './yaml-tree.js';

/**
 * Checks the schema cannot express. Each rule looks only at values of the right type (the schema
 * reports the others), so a problem is reported once.
 *
 * Most rules look at one file at a time (FILE_RULES in file-check.ts), so that files can be checked
 * in parallel (check-pool.ts); the two that compare domains across files work on DomainFacts
 * (domain-rules.ts), the little that is needed of each domain: where its name is and which alias
 * domains it lists.
 */

/** One file's domains, and the directories relative paths resolve against on disk. */
export interface FileRuleContext {
  parsed: ParsedYaml;
  domains: readonly DomainEntry[];
  /** The main file's name as messages show it, and its directory, which `file:` secrets should stay inside. */
  mainFile: string;
  mainDir: string;
  /** The directory of this file, which its relative `file:` secrets resolve against. */
  fileDir: string;
  /** The main file's server names; absent when it declares no `servers:`. */
  fleet?: FleetNames;
}

export type FileRule = (ctx: FileRuleContext) => Diagnostic[];
