/**
 * Quotas are kept in vpopmail's own field-7 spelling, canonicalised, so that desired and live
 * compare as plain strings: `NOQUOTA`, `<bytes>S`, `<bytes>S,<count>C`, `<count>C`, or the empty
 * string that vpopmail stores for `-q 0` (vpopmail.c, format_maildirquota).
 */
export const NOQUOTA = 'NOQUOTA';

/** Larger limits are refused at validation: 1 PiB keeps the field far below vpopmail's 20 characters. */
export const MAX_QUOTA_BYTES = 2 ** 50;
export const MAX_QUOTA_MESSAGES = 1_000_000_000;

export interface QuotaLimit {
  bytes?: number;
  messages?: number;
}

export function formatQuotaField(limit: QuotaLimit): string {
  const parts: string[] = [];
  if (limit.bytes !== undefined) parts.push(`${limit.bytes}S`);
  if (limit.messages !== undefined) parts.push(`${limit.messages}C`);
  return parts.join(',');
}

/**
 * Reads a live field-7 value the way vpopmail's format_maildirquota does, and returns the canonical
 * spelling; `undefined` when vpopmail itself would not understand the value the same way we do.
 */
export function canonicalQuotaField(raw: string): string | undefined {
  if (raw === NOQUOTA || raw === '') return raw;
  const limit: QuotaLimit = {};
  for (const part of raw.split(',')) {
    const count = /^(\d+)C$/.exec(part);
    if (count) {
      if (limit.messages !== undefined) return undefined;
      limit.messages = Number(count[1]);
      continue;
    }
    const size = /^(\d+)([KkMm]?)[Ss]?[Bb]?$/.exec(part);
    if (!size || limit.bytes !== undefined) return undefined;
    const unit = size[2]?.toLowerCase();
    const multiplier = unit === 'm' ? 1048576 : unit === 'k' ? 1024 : 1;
    limit.bytes = Number(size[1]) * multiplier;
  }
  if (!Number.isSafeInteger(limit.bytes ?? 0) || !Number.isSafeInteger(limit.messages ?? 0)) return undefined;
  return formatQuotaField(limit);
}

const BINARY_UNITS: Array<[string, number]> = [
  ['G', 1024 ** 3],
  ['M', 1024 ** 2],
  ['K', 1024],
];

/** Human size for plans and import: the largest binary unit that divides exactly, else bytes. */
export function formatSize(bytes: number): string {
  for (const [suffix, factor] of BINARY_UNITS) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${suffix}`;
  }
  return String(bytes);
}

/** A field-7 value as a person reads it: `none`, `1G`, `1G + 500 messages`, `(empty)`. */
export function describeQuota(field: string): string {
  if (field === NOQUOTA) return 'none';
  if (field === '') return '(empty)';
  const parts: string[] = [];
  for (const part of field.split(',')) {
    if (part.endsWith('C')) parts.push(`${part.slice(0, -1)} messages`);
    else parts.push(formatSize(Number(part.slice(0, -1))));
  }
  return parts.join(' + ');
}
