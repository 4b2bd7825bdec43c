// HTML with every interpolated value escaped unless it is already markup (SafeHtml): a template
// can't forget to escape, because plain strings are always escaped and only `html` templates
// produce SafeHtml. The escaping is the mails' own (core/mail-templates.ts).
import { escapeHtml } from '../../../core/mail-templates.js';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === null || value === undefined || value === false || value === true) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: `html\`<p>${name}</p>\`` escapes `name`. Booleans and null render nothing. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

/** Markup for `cond ? a : nothing`, to keep templates readable. */
export function when(cond: unknown, value: () => HtmlValue): HtmlValue {
  return cond ? value() : null;
}
