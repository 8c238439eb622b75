/**
 * vpopmail's users-big-dir bookkeeping (`<domain>/.dir-control`), reproduced so that users
 * mailstate adds land where vadduser would have put them and a later vadduser continues the
 * sequence. Observed facts (golden scenario 07): 99 accounts in the domain root, then 100 per
 * one-character subdirectory in `0-9A-Za-z` order, then two levels; freed hashed slots listed in
 * `.dir_control_free` are reused oldest first, without advancing the counter's directory.
 */
export const DIR_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const USERS_PER_DIR = 100;

export interface DirControl {
  curUsers: number;
  levelCur: number;
  levelMax: number;
  start: [number, number, number];
  end: [number, number, number];
  mod: [number, number, number];
  index: [number, number, number];
  theDir: string;
}

/** What vadddomain writes for a new domain (postmaster is account #1). */
export const NEW_DOMAIN_DIR_CONTROL = '1\n0\n3\n0 0 0\n61 61 61\n0 2 4\n0 0 0\n\n';

/** The same before its first account: what a domain created by the files driver starts from. */
export const EMPTY_DOMAIN_DIR_CONTROL = '0\n0\n3\n0 0 0\n61 61 61\n0 2 4\n0 0 0\n\n';

function triple(line: string | undefined): [number, number, number] | undefined {
  const parts = (line ?? '').trim().split(/\s+/).map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isSafeInteger(n) || n < 0)) return undefined;
  return [parts[0]!, parts[1]!, parts[2]!];
}

const HASH_CHAR = '[0-9A-Za-z]';

/**
 * The hash directory each level holds: one character, then two, then (with vpopmail's third
 * `mod` read as the second, see below) two and a trailing `/`. Anything else in the_dir, such as
 * `../x` or `/etc`, would put a new user outside the domain, so it is refused.
 */
const THE_DIR_AT_LEVEL = [
  new RegExp(`^${HASH_CHAR}$`),
  new RegExp(`^${HASH_CHAR}/${HASH_CHAR}$`),
  new RegExp(`^${HASH_CHAR}/${HASH_CHAR}/${HASH_CHAR}?$`),
];

/** A slot of `.dir_control_free`: a hash directory some deleted user had. */
const HASH_SLOT = new RegExp(`^${HASH_CHAR}(/${HASH_CHAR}){0,2}/?$`);

/**
 * Reads `.dir-control`; undefined when it is not in the shape vpopmail writes, so the caller
 * refuses to guess where a new user goes rather than follow a damaged or hostile counter.
 */
export function parseDirControl(text: string): DirControl | undefined {
  const lines = text.split('\n');
  const [curUsers, levelCur, levelMax] = [Number(lines[0]), Number(lines[1]), Number(lines[2])];
  const start = triple(lines[3]);
  const end = triple(lines[4]);
  const mod = triple(lines[5]);
  const index = triple(lines[6]);
  if (
    ![curUsers, levelCur, levelMax].every((n) => Number.isSafeInteger(n) && n >= 0) ||
    !start ||
    !end ||
    !mod ||
    !index
  )
    return undefined;
  if (levelCur > 2 || end.some((e, level) => e >= DIR_CHARS.length || start[level]! > e)) return undefined;
  // The character positions in the_dir ("a/b/c"): vpopmail's compiled-in 0 2 4 (or 0 2 2, below).
  // Others would write characters into the wrong place of the path.
  if (mod[0] !== 0 || mod[1] !== 2 || (mod[2] !== 2 && mod[2] !== 4)) return undefined;
  const theDir = lines[7] ?? '';
  if (theDir === '' ? levelCur !== 0 : !THE_DIR_AT_LEVEL[levelCur]!.test(theDir)) return undefined;
  // vpopmail's reader stores the third mod value as the second (a fresh `0 2 4` is written back as `0 2 2`).
  return { curUsers, levelCur, levelMax, start, end, mod: [mod[0], mod[1], mod[1]], index, theDir };
}

export function formatDirControl(dc: DirControl): string {
  return `${[dc.curUsers, dc.levelCur, dc.levelMax, dc.start.join(' '), dc.end.join(' '), dc.mod.join(' '), dc.index.join(' '), dc.theDir].join('\n')}\n`;
}

function nextChar(current: string | undefined, start: number, end: number): string {
  const at = current === undefined ? -1 : DIR_CHARS.indexOf(current);
  return at < start || at >= end ? DIR_CHARS[start]! : DIR_CHARS[at + 1]!;
}

type Level = 0 | 1 | 2;

function advanceLevel(dc: DirControl, chars: string[], level: Level): void {
  const position = dc.mod[level];
  if (chars[position] === DIR_CHARS[dc.end[level]]) {
    chars[position] = DIR_CHARS[dc.start[level]]!;
    dc.index[level] = dc.start[level];
    if (level > 0) advanceLevel(dc, chars, (level - 1) as Level);
  } else {
    chars[position] = nextChar(chars[position], dc.start[level], dc.end[level]);
    dc.index[level]++;
  }
}

/** Counts one more account and returns the hash directory it goes in ('' = the domain root). */
export function nextUserDir(dc: DirControl): string {
  dc.curUsers++;
  if (dc.curUsers % USERS_PER_DIR !== 0) return dc.theDir;
  if (dc.theDir === '') {
    dc.theDir = DIR_CHARS[dc.start[0]]!;
    return dc.theDir;
  }
  const chars = [...dc.theDir];
  const level = dc.levelCur as Level;
  if (dc.index[level] === dc.end[level] && level < 2) {
    const deeper = level === 0 || (dc.index[0] === dc.end[0] && dc.index[1] === dc.end[1]);
    if (deeper) {
      advanceLevel(dc, chars, level);
      dc.levelCur++;
      chars.push('/');
    }
  }
  advanceLevel(dc, chars, dc.levelCur as Level);
  dc.theDir = chars.join('');
  return dc.theDir;
}

/** Takes the oldest freed slot, as vadduser does; the counter still counts the account. */
export function takeFreeSlot(dc: DirControl, freeSlots: string[]): string | undefined {
  const slot = freeSlots.shift();
  if (slot === undefined) return undefined;
  // The slot becomes part of the new user's path: `../x` or `/etc` would put it outside the domain.
  if (!HASH_SLOT.test(slot))
    throw new Error(
      `.dir_control_free holds ${JSON.stringify(slot)}, which is not a hash directory: refusing to place a user there`,
    );
  dc.curUsers++;
  return slot;
}
