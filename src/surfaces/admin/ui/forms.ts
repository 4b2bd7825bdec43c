// Form fields of the admin UI. Every field has a label tied to it; its messages sit right under
// it and are announced with the field (aria-describedby, aria-invalid).
import type { FormErrors } from '../../../core/django-forms.js';
import { type HtmlValue, type SafeHtml, html, when } from './html.js';

interface FieldBase {
  name: string;
  label: string;
  errors?: FormErrors;
  help?: string;
  /** Takes a whole row in a filter bar (the search box). */
  wide?: boolean;
}

function fieldClass(f: FieldBase): string {
  return f.wide ? 'field wide' : 'field';
}

export interface TextFieldOptions extends FieldBase {
  value: string | null | undefined;
  type?: 'text' | 'email' | 'password' | 'search' | 'tel' | 'date';
  autocomplete?: string;
  required?: boolean;
}

function describedBy(f: FieldBase): { ids: string; invalid: boolean } {
  const ids: string[] = [];
  if (f.help) ids.push(`${f.name}-help`);
  const invalid = Boolean(f.errors?.[f.name]?.length);
  if (invalid) ids.push(`${f.name}-errors`);
  return { ids: ids.join(' '), invalid };
}

function aria(f: FieldBase): SafeHtml {
  const d = describedBy(f);
  return html`${when(d.ids, () => html` aria-describedby="${d.ids}"`)}${when(d.invalid, () => html` aria-invalid="true"`)}`;
}

function extras(f: FieldBase): SafeHtml {
  const messages = f.errors?.[f.name] ?? [];
  return html`${when(f.help, () => html`<p class="help" id="${f.name}-help">${f.help}</p>`)}${when(
    messages.length,
    () => html`<ul class="errorlist" id="${f.name}-errors">${messages.map((m) => html`<li>${m}</li>`)}</ul>`,
  )}`;
}

export function textField(f: TextFieldOptions): SafeHtml {
  return html`<div class="${fieldClass(f)}"><label for="id_${f.name}">${f.label}</label>
<input type="${f.type ?? 'text'}" name="${f.name}" id="id_${f.name}" value="${f.value ?? ''}"${when(f.autocomplete, () => html` autocomplete="${f.autocomplete}"`)}${when(f.required, () => html` required`)}${aria(f)}>
${extras(f)}</div>`;
}

export function textareaField(f: TextFieldOptions & { rows?: number }): SafeHtml {
  return html`<div class="field"><label for="id_${f.name}">${f.label}</label>
<textarea name="${f.name}" id="id_${f.name}" rows="${f.rows ?? 4}"${aria(f)}>${f.value ?? ''}</textarea>
${extras(f)}</div>`;
}

export function checkboxField(f: FieldBase & { checked: boolean }): SafeHtml {
  return html`<div class="field field-check"><input type="checkbox" name="${f.name}" id="id_${f.name}"${when(f.checked, () => html` checked`)}${aria(f)}>
<label for="id_${f.name}">${f.label}</label>${extras(f)}</div>`;
}

export interface SelectOption { value: string; label: string }

export function selectField(f: FieldBase & { value: string; options: SelectOption[] }): SafeHtml {
  const options = f.options.map((o) => html`<option value="${o.value}"${when(o.value === f.value, () => html` selected`)}>${o.label}</option>`);
  return html`<div class="${fieldClass(f)}"><label for="id_${f.name}">${f.label}</label>
<select name="${f.name}" id="id_${f.name}"${aria(f)}>${options}</select>${extras(f)}</div>`;
}

/** Messages that belong to no one field (a guard's refusal). */
export function formAlert(messages: string[] | undefined): HtmlValue {
  return when(messages?.length, () => html`<div class="notice notice-error" role="alert"><ul class="plain">${messages!.map((m) => html`<li>${m}</li>`)}</ul></div>`);
}

/** A form checkbox: browsers send "on" when ticked and nothing when not. */
export function checked(form: Record<string, string>, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(form, name);
}
