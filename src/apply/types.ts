import type { Change, StructureChange, UserChange } from '../model/change.js';
import type { LiveState } from '../model/state.js';
import type { ApplyIo, Ownership } from './io.js';

/** What apply did, for the closing report and for tests that count CDB builds. */
export interface ApplyCounters {
  vpasswdWrites: Map<string, number>;
  cdbBuilds: Map<string, number>;
  tcpRulesBuilds: number;
  /** argv of every program run (vpopmail driver, tcprules, qmail-newu). */
  commands: string[][];
  /** Where deleted mailboxes and .qmail files went. */
  archived: string[];
}

export function newCounters(): ApplyCounters {
  return { vpasswdWrites: new Map(), cdbBuilds: new Map(), tcpRulesBuilds: 0, commands: [], archived: [] };
}

export function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export interface ApplyEnvironment {
  vpopmailHome: string;
  qmailHome: string;
  /** The live state as re-read under the apply lock: the plan was checked against it. */
  live: LiveState;
  now: Date;
  /** Files and directories are chowned to the domain's uid/gid only when running as root. */
  ownerOf(domain: string): Ownership | undefined;
  counters: ApplyCounters;
  /** Reports one finished change (progress, and the "already applied" list on failure). */
  done(change: Change): void;
  /** Every read, write and program run of apply goes through this port (io.ts). */
  io: ApplyIo;
  /** Directories of users and domains created in this apply, for the forwards that follow. */
  addedUserDirs: Map<string, string>;
  addedDomainDirs: Map<string, string>;
  /** A reason to stop before the next step (SIGINT/SIGTERM), or undefined to go on. */
  stopRequested?: () => string | undefined;
}

/** A driver applies the user-level changes of one domain (vpasswd, user dirs, the cdb). */
export interface Driver {
  name: 'files' | 'vpopmail';
  applyDomainUsers(domain: string, changes: readonly UserChange[], env: ApplyEnvironment): Promise<void>;
  addDomain(change: Extract<StructureChange, { kind: 'add-domain' }>, env: ApplyEnvironment): Promise<void>;
  addAliasDomain(change: Extract<StructureChange, { kind: 'add-alias-domain' }>, env: ApplyEnvironment): Promise<void>;
}

/** A failed step, with what had been applied before it. */
export class ApplyStepError extends Error {
  readonly change: Change | undefined;
  constructor(message: string, change: Change | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.change = change;
  }
}

/** The directory of a domain: from the live state, or created earlier in this apply. */
export function domainDirOf(env: ApplyEnvironment, domain: string): string {
  const dir = env.live.domains.get(domain)?.dir ?? env.addedDomainDirs.get(domain);
  if (!dir) throw new Error(`internal error: domain ${domain} has no directory`);
  return dir;
}
