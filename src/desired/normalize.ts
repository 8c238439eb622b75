import { isAbsolute, join, posix } from 'node:path';
import type { SourceLocation } from '../model/diagnostic.js';
import { flagsToMask } from '../model/flags.js';
import type { FlagName } from '../model/flags.js';
import { defaultComment, normaliseTarget } from '../model/names.js';
import type { PasswordSpec } from '../model/password.js';
import { NOQUOTA } from '../model/quota.js';
import type { DesiredAlias, DesiredDomain, DesiredRelay, DesiredState, DesiredUser, Forward, Policy } from '../model/state.js';
import { field, members } from './domains.js';
import type { DomainEntry } from './domains.js';
import { parsePassword, parseQuota } from './value-specs.js';
import { lineColOf, offsetOf, own } from './yaml-tree.js';
import type { ParsedYaml, Path } from './yaml-tree.js';

export const DEFAULT_VPOPMAIL_HOME = '/home/vpopmail';
export const DEFAULT_QMAIL_HOME = '/var/qmail';
export const DEFAULT_POLICY: Policy = { prune: true, maxChangePercent: 30 };

export interface Overrides {
  vpopmailHome?: string | undefined;
  qmailHome?: string | undefined;
}

/** Where `file:` secrets of each file are read from: the directory of that file on disk. */
export type SecretBase = (parsed: ParsedYaml) => string;

/**
 * Turns validated files into the DesiredState: defaults applied, quotas canonical, flags as a
 * bitmask, addresses normalised, every object with its source location. Only called when the
 * rules found no error, so values are known to be well-formed.
 */
export function normalizeDesired(
  main: ParsedYaml,
  domains: readonly DomainEntry[],
  files: string[],
  secretBase: SecretBase,
  overrides: Overrides = {},
): DesiredState {
  const top = main.data;
  const topQuota = quotaOf(field(field(top, 'defaults'), 'quota')) ?? NOQUOTA;
  const policy = field(top, 'policy');
  const state: DesiredState = {
    vpopmailHome: cleanHome(overrides.vpopmailHome ?? (field(field(top, 'vpopmail'), 'home') as string | undefined) ?? DEFAULT_VPOPMAIL_HOME),
    qmailHome: cleanHome(overrides.qmailHome ?? (field(field(top, 'qmail'), 'home') as string | undefined) ?? DEFAULT_QMAIL_HOME),
    policy: {
      prune: (field(policy, 'prune') as boolean | undefined) ?? DEFAULT_POLICY.prune,
      maxChangePercent: (field(policy, 'maxChangePercent') as number | undefined) ?? DEFAULT_POLICY.maxChangePercent,
    },
    domains: new Map(),
    files,
  };
  const relay = field(top, 'relay');
  if (Array.isArray(relay)) {
    state.relay = relay.map((address, index): DesiredRelay => ({ address: address as string, source: sourceOf(main, ['relay', index], 'value') }));
  }
  for (const entry of domains) state.domains.set(entry.name, normalizeDomain(entry, topQuota, secretBase(entry.parsed)));
  return state;
}

function normalizeDomain(entry: DomainEntry, topQuota: string, secretDir: string): DesiredDomain {
  const domainQuota = quotaOf(field(field(entry.spec, 'defaults'), 'quota')) ?? topQuota;
  const domain: DesiredDomain = {
    name: entry.name,
    users: new Map(),
    aliases: new Map(),
    aliasDomains: ((field(entry.spec, 'aliasDomains') as string[] | undefined) ?? []).slice(),
    source: sourceOf(entry.parsed, entry.path, 'key'),
  };
  for (const member of members(entry, 'users')) {
    const spec = member.value;
    const user: DesiredUser = {
      name: member.name,
      password: passwordOf(field(spec, 'password'), secretDir),
      comment: (field(spec, 'comment') as string | undefined) ?? defaultComment(member.name),
      quota: quotaOf(field(spec, 'quota')) ?? domainQuota,
      flags: flagsToMask((field(spec, 'flags') as FlagName[] | undefined) ?? []),
      source: sourceOf(entry.parsed, member.path, 'key'),
    };
    const forward = field(spec, 'forward');
    if (forward !== undefined) user.forward = forwardOf(forward);
    domain.users.set(member.name, user);
  }
  for (const member of members(entry, 'aliases')) {
    const alias: DesiredAlias = {
      name: member.name,
      to: (member.value as string[]).map(normaliseTarget),
      source: sourceOf(entry.parsed, member.path, 'key'),
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

/** A `file:` secret is read relative to the file that names it; the label keeps the path as written. */
function passwordOf(value: unknown, secretDir: string): PasswordSpec {
  if (value === undefined) return { kind: 'unmanaged' };
  const spec = parsePassword(value);
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
