import { expect } from 'vitest';
import { parseDesiredText } from '../../src/desired/assemble.js';
import type { ParseTextOptions } from '../../src/desired/assemble.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import type { Result } from '../../src/model/diagnostic.js';
import type { DesiredState } from '../../src/model/state.js';

/**
 * Strips the common indentation and the first newline, so YAML can be written indented in tests.
 * Backslashes stay as written (raw strings): "a\nb" in a test is the YAML escape, not a newline.
 */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.raw.reduce((out, part, i) => out + part + (i < values.length ? String(values[i]) : ''), '');
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n\s*$/, '\n')
    .split('\n');
  const indent = Math.min(
    ...lines.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length),
  );
  return lines.map((line) => line.slice(indent)).join('\n');
}

/** Loads `text` as mailstate.yaml. */
export function load(text: string, options: ParseTextOptions = {}): Result<DesiredState> {
  return parseDesiredText(text, 'mailstate.yaml', options);
}

/** The formatted diagnostics of `text`, as the CLI prints them. */
export function lines(text: string, options: ParseTextOptions = {}): string[] {
  return load(text, options).diagnostics.map(formatDiagnostic);
}

/** The DesiredState of `text`, failing the test on any diagnostic. */
export function state(text: string, options: ParseTextOptions = {}): DesiredState {
  const result = load(text, options);
  expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
  if (!result.ok) throw new Error('unreachable');
  return result.value;
}

export const HASH6 =
  '$6$abcdefgh$N0v5eprOrPGdoyXDOIoz40jJlrUYMDTy0uqSaoQwOFKjmFmYIlNmQB45TrJBBlT7RMSBAajgBTfLbWof6NGji.';
export const HASH5 = '$5$abcdefgh$sI6g8tHKrJ6RX7w.YoN9B7a/5wK5jYEOMmMnt3tPl0/';
export const HASH1 = '$1$abcdefgh$znAnv9M.XU2pRYfmSs46h/';
