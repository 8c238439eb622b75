import type { Diagnostic } from './diagnostic.js';
import type { PasswordSpec } from './password.js';
import type { Forward, UnmanagedObject } from './state.js';

/** A password to write. Carried in memory for apply; renderers print only that it changed. */
export type PasswordMaterial = Extract<PasswordSpec, { kind: 'hash' | 'clear' }>;

/** The complete vpasswd-level content of a user that apply writes (add) or ends with (modify). */
export interface UserTarget {
  name: string;
  comment: string;
  quota: string;
  flags: number;
}

export type UserFieldChange =
  | { field: 'password' }
  | { field: 'comment'; before: string; after: string }
  | { field: 'quota'; before: string; after: string }
  | { field: 'flags'; before: number; after: number }
  /** The clear-text field of a server that keeps one is blanked when only a hash is given. */
  | { field: 'clear-password'; reason: string };

/** The domains themselves, and qmail's routing of them. */
export type StructureChange =
  | { kind: 'add-domain'; domain: string; dir: string }
  | { kind: 'add-alias-domain'; domain: string; alias: string }
  /** qmail's users/cdb rebuilt from users/assign (qmail-newu), when it does not route a declared domain as assign says. */
  | { kind: 'rebuild-users-cdb'; domain: string; reason: string };

/** A domain's vpasswd and mailboxes: a driver applies all of one domain's at once. */
export type UserChange =
  | { kind: 'add-user'; domain: string; user: UserTarget; password: PasswordMaterial }
  | {
      kind: 'modify-user';
      domain: string;
      name: string;
      fields: UserFieldChange[];
      after: UserTarget;
      /** Present when the password changes. */
      password?: PasswordMaterial;
    }
  /** The user directory is moved to `<archiveParent>/<name>-<UTC timestamp>/` before the line goes. */
  | { kind: 'delete-user'; domain: string; name: string; dir: string; archiveParent: string }
  /**
   * A fleet user arriving from another server (its forward there becomes a mailbox here): added
   * as add-user is; the forward that sent its mail to `from` goes only afterwards, in its own step.
   */
  | { kind: 'move-in'; domain: string; user: UserTarget; password: PasswordMaterial; from: string }
  | { kind: 'rebuild-vpasswd-cdb'; domain: string; reason: string };

/** Aliases and forwards: `.qmail-<name>` files (or a user's own `.qmail`), one at a time. */
export type RedirectionChange =
  | { kind: 'add-alias'; domain: string; name: string; to: string[] }
  | { kind: 'modify-alias'; domain: string; name: string; before: string[]; after: string[] }
  | { kind: 'delete-alias'; domain: string; name: string; before: string[]; file: string }
  | { kind: 'add-forward'; domain: string; name: string; after: Forward }
  | { kind: 'modify-forward'; domain: string; name: string; before: Forward; after: Forward; file: string }
  | { kind: 'delete-forward'; domain: string; name: string; before: Forward; file: string }
  /**
   * A fleet user leaving for server `to` (which has its mailbox already): `.qmail-<name>` now hands
   * its mail on to `address`; the vpasswd line and the Maildir at `dir` stay until released.
   */
  | { kind: 'move-out'; domain: string; name: string; address: string; to: string; dir: string };

/** The SMTP relay rules of tcp.smtp: all of them in one write and one tcprules compile. */
export type RelayChange =
  | { kind: 'add-relay'; address: string }
  | { kind: 'delete-relay'; address: string; line: number }
  | { kind: 'rebuild-tcp-smtp-cdb'; reason: string };

/**
 * One step of a plan. The plan is plain data: apply executes it in order without re-deriving
 * anything, and every variant carries exactly what its executor needs.
 */
export type Change = StructureChange | UserChange | RedirectionChange | RelayChange;

/** Which of the sub-unions above a change belongs to; how apply batches and dispatches it. */
export type ChangeFamily = 'structure' | 'users' | 'redirection' | 'relay';

export type ChangeKind = Change['kind'];

/** How a change counts in the summary line. */
export type ChangeAction = 'add' | 'change' | 'delete' | 'move' | 'rebuild';

export const CHANGE_ACTION: Record<ChangeKind, ChangeAction> = {
  'add-domain': 'add',
  'add-alias-domain': 'add',
  'add-user': 'add',
  'modify-user': 'change',
  'delete-user': 'delete',
  'move-in': 'move',
  'move-out': 'move',
  'add-alias': 'add',
  'modify-alias': 'change',
  'delete-alias': 'delete',
  'add-forward': 'add',
  'modify-forward': 'change',
  'delete-forward': 'delete',
  'add-relay': 'add',
  'delete-relay': 'delete',
  'rebuild-vpasswd-cdb': 'rebuild',
  'rebuild-tcp-smtp-cdb': 'rebuild',
  'rebuild-users-cdb': 'rebuild',
};

export interface PlanSummary {
  add: number;
  change: number;
  delete: number;
  /** Users arriving from (move-in) or leaving for (move-out) another server of the fleet. */
  move: number;
  cdbRebuilds: number;
}

export interface Plan {
  changes: Change[];
  /** Live objects in managed domains that mailstate leaves alone, and why. */
  unmanaged: UnmanagedObject[];
  /** Live domains the YAML does not declare: never touched. */
  unmanagedDomains: string[];
  warnings: Diagnostic[];
  /** Domains over policy.maxChangePercent: apply refuses them without --force. */
  thresholdBreaches: ThresholdBreach[];
  /** The plan's other safety limits it is over (policy.maxChanges, relay rules): apply refuses them without --force too. */
  policyBreaches: PolicyBreach[];
  /** Over policy.maxChangePercent but let through because the set is small: said, never refused. */
  thresholdExemptions: ThresholdExemption[];
  summary: PlanSummary;
  /** Only some domains were planned (`--domain`): which patterns, which domains, what was left out. */
  partial?: PartialPlan;
  /** The plan of one server of a fleet (`--server`): its share, and what it needs to reach the others. */
  fleet?: FleetPlan;
}

export interface FleetPlan {
  server: string;
  /** Declared domains placed wholly on other servers: not planned here, never touched. */
  elsewhere: string[];
  /** Users of this server's domains who live on another server: a forward to it here. */
  forwards: number;
  /**
   * `control/smtproutes` lines this server lacks to hand mail to the servers its forwards point
   * at (`.<route>:<route>`); absent when the file was not read (a plan from a snapshot or a base).
   */
  missingRoutes?: string[];
}

export interface PartialPlan {
  patterns: string[];
  domains: string[];
  leftOut: string[];
  relayLeftOut: boolean;
}

const FAMILY: Record<ChangeKind, ChangeFamily> = {
  'add-domain': 'structure',
  'add-alias-domain': 'structure',
  'rebuild-users-cdb': 'structure',
  'add-user': 'users',
  'modify-user': 'users',
  'delete-user': 'users',
  'move-in': 'users',
  'rebuild-vpasswd-cdb': 'users',
  'add-alias': 'redirection',
  'modify-alias': 'redirection',
  'delete-alias': 'redirection',
  'add-forward': 'redirection',
  'modify-forward': 'redirection',
  'delete-forward': 'redirection',
  'move-out': 'redirection',
  'add-relay': 'relay',
  'delete-relay': 'relay',
  'rebuild-tcp-smtp-cdb': 'relay',
};

export function isStructureChange(change: Change): change is StructureChange {
  return FAMILY[change.kind] === 'structure';
}

export function isUserChange(change: Change): change is UserChange {
  return FAMILY[change.kind] === 'users';
}

export function isRedirectionChange(change: Change): change is RedirectionChange {
  return FAMILY[change.kind] === 'redirection';
}

/** A change that creates a mailbox: a new user, or one moving in from another server. */
export type UserAddition = Extract<UserChange, { kind: 'add-user' | 'move-in' }>;

export function isUserAddition(change: Change): change is UserAddition {
  return change.kind === 'add-user' || change.kind === 'move-in';
}

export function isRelayChange(change: Change): change is RelayChange {
  return FAMILY[change.kind] === 'relay';
}

/** The default of an exhaustive switch: a compile error when a variant is not handled. */
export function assertNever(value: never, what: string): never {
  throw new Error(`internal error: unhandled ${what} ${JSON.stringify(value)}`);
}

export function summarise(changes: readonly Change[]): PlanSummary {
  const summary: PlanSummary = { add: 0, change: 0, delete: 0, move: 0, cdbRebuilds: 0 };
  for (const change of changes) {
    const action = CHANGE_ACTION[change.kind];
    if (action === 'rebuild') summary.cdbRebuilds++;
    else summary[action]++;
  }
  return summary;
}

/** A managed domain where apply would touch more users than policy.maxChangePercent allows. */
export interface ThresholdBreach {
  domain: string;
  liveUsers: number;
  affectedUsers: number;
  percent: number;
  limit: number;
}

/**
 * A safety limit other than a domain's users that the plan is over. `max-changes`: more adds,
 * changes and deletes (the summary line's, CDB rebuilds not counted) than policy.maxChanges;
 * `relay-percent`: too large a share of the live relay rules deleted; `loopback-relay`: a
 * loopback rule deleted (never allowed silently, however small the change).
 */
export type PolicyBreach =
  | { kind: 'max-changes'; changes: number; limit: number }
  | { kind: 'relay-percent'; liveRules: number; affectedRules: number; percent: number; limit: number }
  | { kind: 'loopback-relay'; address: string }
  /** A domain of the fleet moving more of its users between servers in one apply than policy.maxMovePercent. */
  | { kind: 'move-percent'; domain: string; liveUsers: number; moves: number; percent: number; limit: number };

/**
 * A set over policy.maxChangePercent that passes only because it is smaller than
 * THRESHOLD_MIN_USERS: a domain's users, or (no `domain`) the relay rules.
 */
export interface ThresholdExemption {
  domain?: string;
  subject: 'users' | 'relay rules';
  live: number;
  affected: number;
  percent: number;
  limit: number;
  /** The size from which the percentage applies. */
  minimum: number;
}
