/**
 * Inserts `line` before the first line that sorts after it, as vpopmail's update_file does for
 * assign, rcpthosts and virtualdomains; `terminator` (assign's `.`) follows them, and any lines
 * after it, which qmail never reads, stay after it. No-op when present.
 */
export function insertSortedLine(text: string, line: string, terminator?: string): string {
  const all = text.split('\n');
  // qmail stops reading users/assign at its "." line: whatever follows stays after it, unread.
  const end = terminator === undefined ? -1 : all.indexOf(terminator);
  const lines = (end < 0 ? all : all.slice(0, end)).filter((l) => l !== '');
  const afterEnd = end < 0 ? [] : all.slice(end + 1).filter((l, i, rest) => l !== '' || i < rest.length - 1);
  if (lines.includes(line)) return text;
  const at = lines.findIndex((existing) => existing > line);
  lines.splice(at < 0 ? lines.length : at, 0, line);
  if (terminator) lines.push(terminator, ...afterEnd);
  return `${lines.join('\n')}\n`;
}
