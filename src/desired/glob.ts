/**
 * The small glob language of `include:`: `*` and `?` within one path segment, `**` for any number
 * of directories. Wildcards do not match names starting with "." (as in the shell), so `**` never
 * walks into `.git`. Patterns are relative and may not leave the base directory.
 */

/** The pattern's segments with `.` and empty segments dropped, or a reason it is refused. */
export function globSegments(pattern: string): { segments: string[] } | { problem: string } {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(pattern)) return { problem: 'contains a control character' };
  if (pattern.startsWith('/')) return { problem: 'is an absolute path; patterns are relative to the main file' };
  if (/[\\[\]{}]/.test(pattern))
    return { problem: 'uses a glob feature mailstate does not support (only *, ? and ** are)' };
  const segments = pattern.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) return { problem: 'points outside the directory of the main file ("..")' };
  if (segments.some((segment) => segment.includes('**') && segment !== '**')) {
    return { problem: '"**" must be a whole path segment, as in domains/**/*.yaml' };
  }
  if (segments.length === 0) return { problem: 'names no file' };
  return { segments };
}

export function hasWildcard(segment: string): boolean {
  return /[*?]/.test(segment);
}

/** A matcher for relative paths written with "/" separators. */
export function globMatcher(segments: readonly string[]): (path: string) => boolean {
  let source = '^';
  for (const [index, segment] of segments.entries()) {
    const last = index === segments.length - 1;
    if (segment === '**') {
      source += last ? '(?!\\.)[^/]+(?:/(?!\\.)[^/]+)*' : '(?:(?!\\.)[^/]+/)*';
      continue;
    }
    if (/^[*?]/.test(segment)) source += '(?!\\.)';
    for (const char of segment) {
      if (char === '*') source += '[^/]*';
      else if (char === '?') source += '[^/]';
      else source += char.replace(/[.+^$()|]/g, '\\$&');
    }
    if (!last) source += '/';
  }
  const regex = new RegExp(`${source}$`, 'u');
  return (path) => regex.test(path);
}
