import type { Plan } from '../model/change.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderText } from './text.js';

export const PLAN_FORMATS = { text: renderText, markdown: renderMarkdown, json: renderJson } satisfies Record<
  string,
  (plan: Plan) => string
>;

export type PlanFormat = keyof typeof PLAN_FORMATS;

export function isPlanFormat(name: string): name is PlanFormat {
  return Object.hasOwn(PLAN_FORMATS, name);
}
