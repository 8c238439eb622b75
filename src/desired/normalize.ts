import { isAbsolute, join, posix } from 'node:path';
import type { SourceLocation } from '../model/diagnostic.js';
import { flagsToMask } from '../model/flags.js';
import type { FlagName } from '../model/flags.js';
import { defaultComment, normaliseTarget } from '../model/names.js';
import type { PasswordSpec } from '../model/password.js';
import { NOQUOTA } from '../model/quota.js';
import type {
  DesiredAlias,
  DesiredDomain,
  DesiredRelay,
  DesiredState,
  DesiredUser,
  DomainPlacement,
  Fleet,
  FleetServer,
  Forward,
  Policy,
} from '../model/state.js';
import { SPREAD } from '../fleet/names.js';
import type { ServerChoice } from '../fleet/server-name.js';
import { field, members, userPassword, userQuota } from './domains.js';
import type { DomainEntry } from './domains.js';
import { parseQuota } from './value-specs.js';
import type { Checked } from './value-specs.js';
import { isRecord, lineColOf, offsetOf, own } from './yaml-tree.js';
import type { ParsedYaml, Path } from './yaml-tree.js';

export const DEFAULT_VPOPMAIL_HOME = '/home/vpopmail';
export const DEFAULT_QMAIL_HOME = '/var/qmail';
export const DEFAULT_POLICY: Policy = { prune: true, maxChangePercent: 30 };

export interface Overrides {
  vpopmailHome?: string | undefined;
  qmailHome?: string | undefined;
  /** `--domain-base`: vadddomain -d bases whose domains mailstate may act on (absolute). */
  domainBases?: readonly string[] | undefined;
  /** Which server of a fleet this run is for: the state is cut down to its share (fleet/share.ts). */
  server?: ServerChoice | undefined;
}

/** policy.maxChanges has no default: without it, only the percentage guards an apply. */
function maxChangesOf(value: unknown): Pick<Policy, 'maxChanges'> {
  return typeof value === 'number' ? { maxChanges: value } : {};
}

/** The main file's `defaults.quota`, canonical: the quota of users whose domain gives no default. */
export function topQuotaOf(main: ParsedYaml): string {
  return quotaOf(field(field(main.data, 'defaults'), 'quota')) ?? NOQUOTA;
}

/**
 * Turns validated files into the DesiredState: the main file's settings, and the domains each
 * file's normalizeDomain made (in file order). Only called when the rules found no error, so
 * values are known to be well-formed.
 */
export function normalizeDesired(
  main: ParsedYaml,
  domains: Iterable<DesiredDomain>,
  files: string[],
  overrides: Overrides = {},
): DesiredState {
  const top = main.data;
  const policy = field(top, 'policy');
  const state: DesiredState = {
    vpopmailHome: cleanHome(
      overrides.vpopmailHome ?? (field(field(top, 'vpopmail'), 'home') as string | undefined) ?? DEFAULT_VPOPMAIL_HOME,
    ),
    qmailHome: cleanHome(
      overrides.qmailHome ?? (field(field(top, 'qmail'), 'home') as string | undefined) ?? DEFAULT_QMAIL_HOME,
    ),
    policy: {
      prune: (field(policy, 'prune') as boolean | undefined) ?? DEFAULT_POLICY.prune,
      maxChangePercent: (field(policy, 'maxChangePercent') as number | undefined) ?? DEFAULT_POLICY.maxChangePercent,
      ...maxChangesOf(field(policy, 'maxChanges')),
      ...(typeof field(policy, 'maxMovePercent') === 'number'
        ? { maxMovePercent: field(policy, 'maxMovePercent') as number }
        : {}),
    },
    domains: new Map(),
    files,
    ...(overrides.domainBases?.length ? { domainBases: overrides.domainBases.map(cleanHome) } : {}),
  };
  const relay = field(top, 'relay');
  if (Array.isArray(relay)) {
    state.relay = relay.map(
      (address, index): DesiredRelay => ({
        address: address as string,
        source: sourceOf(main, ['relay', index], 'value'),
      }),
    );
  }
  for (const domain of domains) state.domains.set(domain.name, domain);
  const fleet = fleetOf(main);
  if (fleet) state.fleet = fleet;
  return state;
}

/** `servers:` and `defaults.placement`, sorted by name; undefined for a single server. */
function fleetOf(main: ParsedYaml): Fleet | undefined {
  const servers = field(main.data, 'servers');
  if (!isRecord(servers)) return undefined;
  const list = Object.entries(servers).map(([name, spec]): FleetServer => {
    const vpopmail = field(field(spec, 'vpopmail'), 'home') as string | undefined;
    const qmail = field(field(spec, 'qmail'), 'home') as string | undefined;
    return {
      name,
      route: field(spec, 'route') as string,
      weight: (field(spec, 'weight') as number | undefined) ?? 1,
      ...(vpopmail === undefined ? {} : { vpopmailHome: cleanHome(vpopmail) }),
      ...(qmail === undefined ? {} : { qmailHome: cleanHome(qmail) }),
      source: sourceOf(main, ['servers', name], 'key'),
    };
  });
  list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const placement = field(field(main.data, 'defaults'), 'placement') as string | undefined;
  return {
    servers: list,
    defaultPlacement:
      placement === undefined || placement === SPREAD ? { kind: 'spread' } : { kind: 'server', server: placement },
  };
}

/** `server:` / `spread:` as written; spread: false means the default server (validation saw there is one). */
function placementOf(spec: unknown, fleetDefault: string | undefined): DomainPlacement | undefined {
  const server = field(spec, 'server');
  if (typeof server === 'string') return { kind: 'server', server };
  const spread = field(spec, 'spread');
  if (spread === true) return { kind: 'spread' };
  if (spread === false && fleetDefault !== undefined) return { kind: 'server', server: fleetDefault };
  return undefined;
}

/**
 * One validated domain entry with defaults applied, quotas canonical, flags as a bitmask,
 * addresses normalised and every object with its source location; `file:` secrets resolve
 * against `secretDir`, the directory of the entry's file on disk.
 */
export function normalizeDomain(
  entry: DomainEntry,
  topQuota: string,
  secretDir: string,
  defaultServer?: string,
): DesiredDomain {
  const domainQuota = quotaOf(field(field(entry.spec, 'defaults'), 'quota')) ?? topQuota;
  const domain: DesiredDomain = {
    name: entry.name,
    users: new Map(),
    aliases: new Map(),
    aliasDomains: ((field(entry.spec, 'aliasDomains') as string[] | undefined) ?? []).slice(),
    source: sourceOf(entry.parsed, entry.path, 'key'),
  };
  const placement = placementOf(entry.spec, defaultServer);
  if (placement) domain.placement = placement;
  for (const member of members(entry, 'users')) {
    const spec = member.value;
    const user: DesiredUser = {
      name: member.name,
      password:
        field(spec, 'password') === undefined ? { kind: 'unmanaged' } : passwordOf(userPassword(member), secretDir),
      comment: (field(spec, 'comment') as string | undefined) ?? defaultComment(member.name),
      quota: field(spec, 'quota') === undefined ? domainQuota : (checkedValue(userQuota(member)) ?? domainQuota),
      flags: flagsToMask((field(spec, 'flags') as FlagName[] | undefined) ?? []),
      source: { file: entry.parsed.file, ...lineColOf(entry.parsed.lineStarts, member.keyAt) },
    };
    const forward = field(spec, 'forward');
    if (forward !== undefined) user.forward = forwardOf(forward);
    const server = field(spec, 'server');
    if (typeof server === 'string') user.server = server;
    domain.users.set(member.name, user);
  }
  for (const member of members(entry, 'aliases')) {
    const alias: DesiredAlias = {
      name: member.name,
      to: (member.value as string[]).map(normaliseTarget),
      source: { file: entry.parsed.file, ...lineColOf(entry.parsed.lineStarts, member.keyAt) },
    };
    domain.aliases.set(member.name, alias);
  }
  return domain;
}

function quotaOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const quota = parseQuota(value);
  return quota.ok ? quota.value : undefined;
}

function checkedValue<T>(checked: Checked<T>): T | undefined {
  return checked.ok ? checked.value : undefined;
}

/** A `file:` secret is read relative to the file that names it; the label keeps the path as written. */
function passwordOf(spec: Checked<PasswordSpec>, secretDir: string): PasswordSpec {
  if (!spec.ok) return { kind: 'unmanaged' };
  if (spec.value.kind === 'secret' && 'file' in spec.value.ref && !isAbsolute(spec.value.ref.file)) {
    return { ...spec.value, ref: { file: join(secretDir, spec.value.ref.file) } };
  }
  return spec.value;
}

function forwardOf(value: unknown): Forward {
  return {
    to: (own(value as Record<string, unknown>, 'to') as string[]).map(normaliseTarget),
    keepCopy: (own(value as Record<string, unknown>, 'keepCopy') as boolean | undefined) ?? false,
  };
}

function cleanHome(home: string): string {
  const normal = posix.normalize(home);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

export function sourceOf(parsed: ParsedYaml, path: Path, side: 'key' | 'value'): SourceLocation {
  return { file: parsed.file, ...lineColOf(parsed.lineStarts, offsetOf(parsed, path, side)) };
}
