/**
 * The edits one apply makes to a domain's vpasswd, applied in a single pass over the text so a
 * domain of any size costs one read, one linear merge and one write.
 */
export interface VpasswdEdits<S extends string = string> {
  /** Names whose lines go (every copy, as vdeluser removes them all). */
  deletions: ReadonlySet<string>;
  /** Replacement line (no newline) per name; every copy of the name is replaced. */
  replacements: ReadonlyMap<string, S>;
  /** New lines, each placed as vadduser would: before the first line whose name is strcmp-greater. */
  additions: ReadonlyArray<{ name: string; line: S }>;
}

function lineName(line: string): string {
  const colon = line.indexOf(':');
  return colon < 0 ? line : line.slice(0, colon);
}

/** Byte order, as strcmp; names are ASCII, so UTF-16 order is the same. */
function byteLess(a: string, b: string): boolean {
  return a < b;
}

/**
 * Additions sorted by name land exactly where repeated vadduser inserts would put them: the
 * first line greater than a name is never after the first line greater than a larger name.
 * Every line ends with `\n` afterwards, so no record can be dropped from the cdb.
 */
export function editVpasswd<S extends string>(text: S, edits: VpasswdEdits<S>): S {
  const additions = [...edits.additions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  let next = 0;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  refuseSecondLine(lines, edits, additions);
  for (const line of lines) {
    const name = lineName(line);
    while (next < additions.length && byteLess(additions[next]!.name, name)) out.push(additions[next++]!.line);
    if (edits.deletions.has(name)) continue;
    out.push(edits.replacements.get(name) ?? line);
  }
  while (next < additions.length) out.push(additions[next++]!.line);
  // Lines of `text` and of the edits, joined: the same kind of string as both.
  return (out.length === 0 ? '' : `${out.join('\n')}\n`) as S;
}

/**
 * A name that already has a line, even one the reader skipped as malformed, is never added again:
 * the cdb would then hold two records for it (lookups see the first) and the new user could be
 * given the old one's directory. The planner refuses such an add; this is the last line of defence
 * when vpasswd changed between the plan and the write.
 */
function refuseSecondLine(
  lines: readonly string[],
  edits: VpasswdEdits,
  additions: ReadonlyArray<{ name: string }>,
): void {
  if (additions.length === 0) return;
  const added = new Set<string>();
  for (const { name } of additions) {
    if (added.has(name)) throw new Error(`vpasswd: "${name}" would be added twice`);
    added.add(name);
  }
  for (const [index, line] of lines.entries()) {
    const name = lineName(line);
    if (added.has(name) && !edits.deletions.has(name)) {
      throw new Error(
        `vpasswd line ${index + 1} already holds "${name}" (a line mailstate cannot read is still vpopmail's): refusing to add a second line for it`,
      );
    }
  }
}
