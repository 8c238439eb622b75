/**
 * vpopmail's per-user flag bits, stored as a decimal bitmask in vpasswd field 4 (pw_gid).
 * Values are identical in 5.4.33, 5.5 and 5.6 (vpopmail.h).
 */
export const FLAG_BITS = {
  no_password_change: 0x01,
  no_pop: 0x02,
  no_webmail: 0x04,
  no_imap: 0x08,
  bounce_mail: 0x10,
  no_relay: 0x20,
  no_dialup: 0x40,
  user0: 0x80,
  user1: 0x100,
  user2: 0x200,
  user3: 0x400,
  no_smtp: 0x800,
  qa_admin: 0x1000,
  override: 0x2000,
  no_spamassassin: 0x4000,
  delete_spam: 0x8000,
  sa_admin: 0x10000,
  sa_expert: 0x20000,
  no_maildrop: 0x40000,
} as const;

export type FlagName = keyof typeof FLAG_BITS;

export const FLAG_NAMES = Object.keys(FLAG_BITS) as FlagName[];

/** Every bit vpopmail knows; anything above is foreign and must be preserved untouched. */
export const KNOWN_FLAG_MASK = FLAG_NAMES.reduce((mask, name) => mask | FLAG_BITS[name], 0);

/** The vmoduser option letter that sets each flag (test/fixtures/golden/README.md §5.2). */
export const VMODUSER_FLAG_OPTION: Record<FlagName, string> = {
  no_password_change: '-d',
  no_pop: '-p',
  no_webmail: '-w',
  no_imap: '-i',
  bounce_mail: '-b',
  no_relay: '-r',
  no_dialup: '-u',
  user0: '-0',
  user1: '-1',
  user2: '-2',
  user3: '-3',
  no_smtp: '-s',
  qa_admin: '-a',
  override: '-o',
  no_spamassassin: '-f',
  delete_spam: '-F',
  sa_admin: '-S',
  sa_expert: '-E',
  no_maildrop: '-m',
};

export function flagsToMask(names: readonly FlagName[]): number {
  return names.reduce((mask, name) => mask | FLAG_BITS[name], 0);
}

/** Names of the known bits set in `mask`, in bit order (stable for rendering and import). */
export function maskToFlags(mask: number): FlagName[] {
  return FLAG_NAMES.filter((name) => (mask & FLAG_BITS[name]) !== 0);
}
