// /openapi.json (and so /docs) shows an example for every operation: its request body and its
// success answer, from the route declarations. Those examples are kept true by the recorded run
// of docs/api/examples: a declared example must have the shape and the fixed values of what the
// server really sent (or was sent) for that operation. Every operation is in the recorded run,
// so the API reference has an example of each. (`npm run lint:api` checks the examples against
// the schemas.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import type { Exchange } from './support/exchange.js';
import { loadExampleFiles } from './support/render.js';
import { Bindings, matchJson } from './support/variables.js';

interface Op {
  id: string;
  method: string;
  path: string;
  doc: any;
}

let t: TestApp;
let ops: Op[];
const recorded: Exchange[] = [...loadExampleFiles().values()].flatMap((f) => f.exchanges);

beforeAll(async () => {
  t = await startApp();
  const doc = (await (await fetch(t.url + '/openapi.json')).json()) as { paths: Record<string, Record<string, any>> };
  ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ id: op.operationId as string, method: method.toUpperCase(), path, doc: op })),
  );
  ops = ops.filter((op) => !op.doc.tags.includes('operations'));
});
afterAll(async () => {
  await t?.close();
});

/** The collector routes are the artist ones with another word: their examples are the artist ones'. */
const TWIN = /Collector/;

/** The lowest 2xx answer; for a route that answers a browser with a redirect (OpenID sign-in), its 3xx. */
function successStatus(op: Op): string {
  return Object.keys(op.doc.responses).filter((s) => /^[23]\d\d$/.test(s)).sort()[0];
}

/** The example of a media type with a JSON schema, or undefined; `has` says whether one is due. */
function exampleOf(content: Record<string, any> | undefined): { due: boolean; example: unknown } {
  const json = content?.['application/json'];
  return { due: json !== undefined, example: json?.example };
}

/** Whether `example` has the shape and fixed values of `value` (ids, tokens and times may differ). */
function fits(value: unknown, example: unknown): boolean {
  try {
    matchJson(value, example, new Bindings(), '');
    return true;
  } catch {
    return false;
  }
}

describe('the examples of /openapi.json', () => {
  it('every operation that reads a JSON body shows an example of it', () => {
    const missing = ops.filter((op) => exampleOf(op.doc.requestBody?.content).due && exampleOf(op.doc.requestBody?.content).example === undefined).map((op) => op.id);
    expect(missing).toEqual([]);
  });

  it('every operation whose success is JSON shows an example of it', () => {
    const missing = ops.filter((op) => {
      const { due, example } = exampleOf(op.doc.responses[successStatus(op)]?.content);
      return due && example === undefined;
    }).map((op) => op.id);
    expect(missing).toEqual([]);
  });

  it('every example of an answer the run got for that operation fits a recorded answer (an error one: of any operation of the same API)', () => {
    const tagOf = new Map(ops.map((op) => [op.id, op.doc.tags[0] as string]));
    const checked: string[] = [];
    for (const op of ops.filter((o) => !TWIN.test(o.id))) {
      const success = successStatus(op);
      for (const [status, response] of Object.entries<any>(op.doc.responses)) {
        const example = response.content?.['application/json']?.example;
        const withStatus = (e: Exchange) => String(e.response.status) === status && e.response.json !== undefined;
        if (example === undefined || !recorded.some((e) => e.operationId === op.id && withStatus(e))) continue;
        // An error answer shared by many operations (401, 400) shows one of them.
        const real = recorded.filter((e) => withStatus(e) && (status === success ? e.operationId === op.id : e.operationId !== null && tagOf.get(e.operationId) === op.doc.tags[0]));
        expect(real.some((e) => fits(e.response.json, example)), `${op.id} ${status}: ${JSON.stringify(example)}\nrecorded: ${real.map((e) => JSON.stringify(e.response.json)).join('\n')}`).toBe(true);
        checked.push(`${op.id} ${status}`);
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(ops.filter((op) => !TWIN.test(op.id)).length);
  });

  it('every example of a request body fits a body the recorded run sent for that operation with success', () => {
    for (const op of ops.filter((o) => !TWIN.test(o.id))) {
      const example = op.doc.requestBody?.content?.['application/json']?.example;
      if (example === undefined) continue;
      const real = recorded.filter((e) => e.operationId === op.id && String(e.response.status) === successStatus(op) && e.request.json !== undefined);
      if (real.length === 0) continue;
      expect(real.some((e) => fits(e.request.json, example)), `${op.id}: ${JSON.stringify(example)}\nrecorded: ${real.map((e) => JSON.stringify(e.request.json)).join('\n')}`).toBe(true);
    }
  });

  it('every operation is in the recorded run (the collector twins of the artist routes excepted), with its success', () => {
    const missing = ops.filter((op) => !TWIN.test(op.id) && !recorded.some((e) => e.operationId === op.id && String(e.response.status) === successStatus(op))).map((op) => op.id);
    expect(missing).toEqual([]);
  });
});
