// CSV per RFC 4180: comma-separated, fields optionally in double quotes, a quote inside a quoted
// field doubled, commas and line breaks allowed inside quotes. Records end at CRLF, LF or CR.
// The parser is incremental (a record may span chunks) and keeps the line where each record
// starts, so a rejected row can be found in the file. The first record is the header row.
import { normalizeColumnName } from './detect.js';
import { ImportError, type SourceRecord } from './types.js';

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A `"` seen inside a quoted field: either the first of `""` or the closing quote. */
  QuoteInQuoted,
  /** A CR ended the record; a following LF belongs to it. */
  AfterCr,
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

export interface CsvRecord {
  line: number;
  cells: string[];
  error?: string;
}

export class CsvParser {
  private state = State.FieldStart;
  private cells: string[] = [];
  private value = '';
  private line = 1;
  private recordLine = 1;
  private error: string | undefined;
  private out: CsvRecord[] = [];

  /** The records completed by this chunk. */
  push(chunk: string): CsvRecord[] {
    const n = chunk.length;
    let segment = 0; // start of the not yet copied part of the current field
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (this.state === State.AfterCr) {
        // CRLF is one line break; after a lone CR this character starts the next record.
        this.state = State.FieldStart;
        if (c === LF) continue;
      }
      switch (this.state) {
        case State.FieldStart:
          if (c === QUOTE) {
            this.state = State.Quoted;
            segment = i + 1;
          } else if (c === COMMA) this.cells.push('');
          else if (c === LF || c === CR) this.endRecord('', c);
          else {
            this.state = State.Unquoted;
            segment = i;
          }
          break;
        case State.Unquoted:
          // A stray quote inside an unquoted field is kept as text, as Python's csv module does.
          if (c === COMMA) this.endField(this.value + chunk.slice(segment, i));
          else if (c === LF || c === CR) this.endRecord(this.value + chunk.slice(segment, i), c);
          break;
        case State.Quoted:
          if (c === QUOTE) {
            this.value += chunk.slice(segment, i);
            this.state = State.QuoteInQuoted;
          } else if (c === LF) this.line++;
          break;
        case State.QuoteInQuoted:
          if (c === QUOTE) {
            this.value += '"';
            segment = i + 1;
            this.state = State.Quoted;
          } else if (c === COMMA) this.endField(this.value);
          else if (c === LF || c === CR) this.endRecord(this.value, c);
          else {
            this.error ??= 'text after the closing quote of a field';
            this.state = State.Unquoted;
            segment = i;
          }
          break;
      }
    }
    if (this.state === State.Unquoted || this.state === State.Quoted) this.value += chunk.slice(segment);
    const out = this.out;
    this.out = [];
    return out;
  }

  /** The last record, when the file does not end with a line break. */
  end(): CsvRecord[] {
    if (this.state === State.Quoted) {
      this.out.push({ line: this.recordLine, cells: [], error: 'a quoted field is not closed before the end of the file' });
    } else if (this.state === State.Unquoted || this.state === State.QuoteInQuoted || this.cells.length > 0) {
      this.endRecord(this.value, -1);
    }
    this.state = State.FieldStart;
    const out = this.out;
    this.out = [];
    return out;
  }

  private endField(value: string): void {
    this.cells.push(value);
    this.value = '';
    this.state = State.FieldStart;
  }

  private endRecord(value: string, terminator: number): void {
    this.cells.push(value);
    this.out.push(this.error ? { line: this.recordLine, cells: this.cells, error: this.error } : { line: this.recordLine, cells: this.cells });
    this.cells = [];
    this.value = '';
    this.error = undefined;
    this.state = terminator === CR ? State.AfterCr : State.FieldStart;
    if (terminator >= 0) this.line++;
    this.recordLine = this.line;
  }
}

/** Maps each data record onto the header's column names. */
export async function* readCsv(chunks: AsyncIterable<string>): AsyncGenerator<SourceRecord[]> {
  const parser = new CsvParser();
  const state: { header: string[] | null; records: number } = { header: null, records: 0 };
  for await (const chunk of chunks) {
    const records = toSourceRecords(parser.push(chunk), state);
    if (records.length) yield records;
  }
  const last = toSourceRecords(parser.end(), state);
  if (last.length) yield last;
}

function toSourceRecords(rows: CsvRecord[], state: { header: string[] | null; records: number }): SourceRecord[] {
  const out: SourceRecord[] = [];
  for (const row of rows) {
    if (isBlank(row)) continue;
    if (state.header === null) {
      state.header = readHeader(row);
      continue;
    }
    state.records++;
    out.push(toSourceRecord(row, state.header, state.records));
  }
  return out;
}

// An empty line is no record at all (common at the end of hand-edited files).
function isBlank(row: CsvRecord): boolean {
  return !row.error && row.cells.length === 1 && row.cells[0] === '';
}

function readHeader(row: CsvRecord): string[] {
  if (row.error) throw new ImportError(`line ${row.line}: the CSV header row is malformed (${row.error})`);
  const names = row.cells.map(normalizeColumnName);
  const seen = new Set<string>();
  for (const name of names) {
    if (name !== '' && seen.has(name)) throw new ImportError(`line ${row.line}: the CSV header names the column "${name}" twice`);
    seen.add(name);
  }
  return names;
}

function toSourceRecord(row: CsvRecord, header: string[], record: number): SourceRecord {
  if (row.error) return { line: row.line, record, fields: null, error: `malformed CSV: ${row.error}` };
  if (row.cells.length !== header.length) {
    return { line: row.line, record, fields: null, error: `expected ${header.length} fields as in the header row, found ${row.cells.length}` };
  }
  const fields: Record<string, unknown> = {};
  for (let i = 0; i < header.length; i++) {
    if (header[i] !== '') fields[header[i]] = row.cells[i];
  }
  return { line: row.line, record, fields };
}
