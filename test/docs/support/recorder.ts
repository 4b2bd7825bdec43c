// Records a surface's examples: a scenario sends real requests through it, one after the other,
// and gets the real answers back to build the next request from (a token, an id, a cookie).
import type { TestApp } from '../../helpers/app.js';
import { MailReader } from './app.js';
import type { Clients } from './clients.js';
import { type Exchange, type Fresh, type MailCapture, type RequestSpec, type Services, completeRequest, send } from './exchange.js';
import type { OperationIndex } from './operations.js';

export interface Answer {
  status: number;
  json: any;
  /** The shown headers of the answer (Location, Set-Cookie, …). */
  headers: Record<string, string | string[]>;
  /** The value of a cookie the answer set. */
  cookie(name: string): string;
}

export class Recorder {
  readonly exchanges: Exchange[] = [];
  readonly #mail: MailReader;
  #pendingMail: MailCapture | undefined;

  constructor(private readonly t: TestApp, private readonly operations: OperationIndex, readonly clients: Clients, readonly services: Services = {}) {
    this.#mail = new MailReader(t);
  }

  /**
   * Sends the request and keeps the exchange under `id`; `hidden` ones set the stage and are not
   * shown. `fresh` parts are made by the clients now (the spec holds a placeholder where they
   * go), and again by each replay; `settle` waits for the webhook deliveries first.
   */
  async send(id: string, spec: RequestSpec, opts: { hidden?: boolean; expect?: number; fresh?: Fresh[]; settle?: boolean } = {}): Promise<Answer> {
    if (this.exchanges.some((e) => e.id === id)) throw new Error(`example id ${id} used twice`);
    if (opts.settle) await this.clients.settle(this.t);
    let request = completeRequest(spec);
    if (opts.fresh?.length) request = await this.clients.refresh(request, opts.fresh, this.#run());
    const { response } = await send(this.t.url, request);
    if (opts.expect !== undefined && response.status !== opts.expect) {
      throw new Error(`${id}: expected ${opts.expect}, got ${response.status} ${JSON.stringify(response.json)}`);
    }
    const exchange: Exchange = { id, operationId: this.operations.operationOf(request.method, request.path), request, response };
    if (opts.hidden) exchange.hidden = true;
    if (opts.fresh?.length) exchange.fresh = opts.fresh;
    if (opts.settle) exchange.settle = true;
    if (this.#pendingMail) {
      exchange.mail = this.#pendingMail;
      this.#pendingMail = undefined;
    }
    this.exchanges.push(exchange);
    const cookies = [response.headers['Set-Cookie'] ?? []].flat();
    return {
      status: response.status,
      json: response.json,
      headers: response.headers,
      cookie(name) {
        const line = cookies.find((c) => c.startsWith(name + '='));
        if (line === undefined) throw new Error(`${id}: no ${name} cookie`);
        return line.slice(name.length + 1).split(';')[0];
      },
    };
  }

  /** The exchanges so far, for the clients (a recording's values are its own). */
  #run() {
    const find = (id: string) => {
      const e = this.exchanges.find((x) => x.id === id);
      if (!e) throw new Error(`no exchange ${id} before this one`);
      return e;
    };
    return { sent: (id: string) => find(id).request, answer: (id: string) => find(id).response, actual: (v: string) => v };
  }

  /** A value from the newest mail to `to`, for the next request (the replay reads its own mail the same way). */
  async fromMail(to: string, find: RegExp): Promise<string> {
    const value = await this.#mail.value(to, find.source);
    this.#pendingMail = { to, find: find.source, value };
    return value;
  }
}
