// Replays an example file against a fresh app: each request as recorded, with the ids and tokens
// of this run in place of the recorded ones (and the parts a client makes afresh made again the
// same way: clients.ts), and each answer matched against the recorded one.
import { MailReader, type ExampleEnv } from './app.js';
import type { ExampleFile, Exchange, RecordedRequest, RecordedResponse } from './exchange.js';
import { send } from './exchange.js';
import { Bindings, kindOf, matchJson, matchSeconds, matchString } from './variables.js';

export class Replay {
  readonly bindings = new Bindings();
  readonly #mail: MailReader;
  /** What this run sent and got, by exchange id. */
  readonly #done = new Map<string, { request: RecordedRequest; response: RecordedResponse }>();

  /** The servers around the app (the provider, the receiver) have other origins in this run: they are bound first. */
  constructor(private readonly env: ExampleEnv, file: Pick<ExampleFile, 'services'>) {
    this.#mail = new MailReader(env.t);
    const recorded = [file.services?.provider?.issuer, file.services?.receiver?.origin];
    const actual = [env.services.provider?.issuer, env.services.receiver?.origin];
    recorded.forEach((r, i) => {
      if (r !== undefined && actual[i] !== undefined) this.bindings.bind(kindOf(r), r, actual[i]!, 'the origins of the services');
    });
  }

  /** Sends the exchange's request; throws on the first difference from the recorded answer. */
  async run(ex: Exchange): Promise<void> {
    const b = this.bindings;
    if (ex.mail) b.bind(kindOf(ex.mail.value), ex.mail.value, await this.#mail.value(ex.mail.to, ex.mail.find), `${ex.id}: mailed value`);
    if (ex.settle) await this.env.clients.settle(this.env.t);
    let request: RecordedRequest = {
      ...ex.request,
      path: b.substitute(ex.request.path),
      headers: Object.fromEntries(Object.entries(ex.request.headers).map(([k, v]) => [k, b.substitute(v)])),
    };
    if (ex.request.json !== undefined) request.json = b.substituteJson(ex.request.json);
    if (ex.fresh?.length) {
      const done = (id: string) => {
        const d = this.#done.get(id);
        if (!d) throw new Error(`${ex.id}: no exchange ${id} before it`);
        return d;
      };
      request = await this.env.clients.refresh(request, ex.fresh, { sent: (id) => done(id).request, answer: (id) => done(id).response, actual: (v) => b.substitute(v) });
    }
    const { response, text } = await send(this.env.t.url, request);
    this.#done.set(ex.id, { request, response });
    matchResponse(ex.response, response, b, `${ex.id} (${text.slice(0, 300)})`);
  }
}

export function matchResponse(recorded: RecordedResponse, actual: RecordedResponse, b: Bindings, where: string): void {
  if (actual.status !== recorded.status) throw new Error(`${where}: status ${actual.status}, recorded ${recorded.status}`);
  const names = (h: RecordedResponse['headers']) => Object.keys(h).sort().join(', ');
  if (names(actual.headers) !== names(recorded.headers)) throw new Error(`${where}: headers ${names(actual.headers)}, recorded ${names(recorded.headers)}`);
  for (const [name, value] of Object.entries(recorded.headers)) {
    const got = actual.headers[name];
    const rec = [value].flat();
    const act = [got].flat();
    if (rec.length !== act.length) throw new Error(`${where}: ${act.length} ${name} headers, recorded ${rec.length}`);
    rec.forEach((r, i) => (name === 'Retry-After' ? matchSeconds(r, act[i], `${where} ${name}`) : matchString(r, act[i], b, `${where} ${name}`)));
  }
  if ('json' in recorded) matchJson(recorded.json, actual.json, b, `${where} body`);
  else if ('json' in actual) throw new Error(`${where}: a JSON body, recorded none`);
  if (Boolean(recorded.html) !== Boolean(actual.html)) throw new Error(`${where}: an HTML page expected: ${Boolean(recorded.html)}`);
  if ((recorded.binary === undefined) !== (actual.binary === undefined)) throw new Error(`${where}: a binary body expected: ${recorded.binary !== undefined}`);
}
