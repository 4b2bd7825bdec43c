// JSON Lines: one object per line. Lines are cut from the chunks as they arrive (a line may
// span chunks); blank lines are allowed and skipped, as most JSON Lines tools do.
import { parseJsonRecord } from './json-record.js';
import type { SourceRecord } from './types.js';

export class JsonLinesSplitter {
  private carry = '';
  private line = 0;
  private records = 0;

  /** The records whose line ends in this chunk. */
  push(chunk: string): SourceRecord[] {
    const out: SourceRecord[] = [];
    const text = this.carry ? this.carry + chunk : chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.take(text.slice(start, nl), out);
      start = nl + 1;
    }
    this.carry = text.slice(start);
    return out;
  }

  /** The last line, when the file does not end with a newline. */
  end(): SourceRecord[] {
    const out: SourceRecord[] = [];
    if (this.carry) this.take(this.carry, out);
    this.carry = '';
    return out;
  }

  private take(rawLine: string, out: SourceRecord[]): void {
    this.line++;
    const text = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (text.trim() === '') return;
    this.records++;
    out.push(parseJsonRecord(text, this.line, this.records));
  }
}

export async function* readJsonLines(chunks: AsyncIterable<string>): AsyncGenerator<SourceRecord[]> {
  const splitter = new JsonLinesSplitter();
  for await (const chunk of chunks) {
    const records = splitter.push(chunk);
    if (records.length) yield records;
  }
  const last = splitter.end();
  if (last.length) yield last;
}
