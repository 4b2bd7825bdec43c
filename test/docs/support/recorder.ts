// Records a surface's examples: a scenario sends real requests through it, one after the other,
// and gets the real answers back to build the next request from (a token, an id, a cookie).
import type { TestApp } from '../../helpers/app.js';
import { MailReader } from './app.js';
import { type Exchange, type MailCapture, type RequestSpec, completeRequest, send } from './exchange.js';
import type { OperationIndex } from './operations.js';

export interface Answer {
  status: number;
  json: any;
  /** The value of a cookie the answer set. */
  cookie(name: string): string;
}

export class Recorder {
  readonly exchanges: Exchange[] = [];
  readonly #mail: MailReader;
  #pendingMail: MailCapture | undefined;

  constructor(private readonly t: TestApp, private readonly operations: OperationIndex) {
    this.#mail = new MailReader(t);
  }

  /** Sends the request and keeps the exchange under `id`; `hidden` ones set the stage and are not shown. */
  async send(id: string, spec: RequestSpec, opts: { hidden?: boolean; expect?: number } = {}): Promise<Answer> {
    if (this.exchanges.some((e) => e.id === id)) throw new Error(`example id ${id} used twice`);
    const request = completeRequest(spec);
    const { response } = await send(this.t.url, request);
    if (opts.expect !== undefined && response.status !== opts.expect) {
      throw new Error(`${id}: expected ${opts.expect}, got ${response.status} ${JSON.stringify(response.json)}`);
    }
    const exchange: Exchange = { id, operationId: this.operations.operationOf(request.method, request.path), request, response };
    if (opts.hidden) exchange.hidden = true;
    if (this.#pendingMail) {
      exchange.mail = this.#pendingMail;
      this.#pendingMail = undefined;
    }
    this.exchanges.push(exchange);
    const cookies = [response.headers['Set-Cookie'] ?? []].flat();
    return {
      status: response.status,
      json: response.json,
      cookie(name) {
        const line = cookies.find((c) => c.startsWith(name + '='));
        if (line === undefined) throw new Error(`${id}: no ${name} cookie`);
        return line.slice(name.length + 1).split(';')[0];
      },
    };
  }

  /** A value from the newest mail to `to`, for the next request (the replay reads its own mail the same way). */
  async fromMail(to: string, find: RegExp): Promise<string> {
    const value = await this.#mail.value(to, find.source);
    this.#pendingMail = { to, find: find.source, value };
    return value;
  }
}
