// The access log (http/logging.ts): one JSON line per request in pino's shape for a request's
// child logger, the lines of one event-loop turn leaving in one write, nothing when the level
// is above info, and a running server writing exactly one line per request.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { AccessLog } from '../../src/http/logging.js';
import { startChildServer } from '../surfaces/v1/child-server.js';

function sink() {
  const writes: string[] = [];
  return { writes, dest: { write: (s: string) => writes.push(s) } };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('AccessLog', () => {
  it('writes the lines of one turn in one write, each a JSON object in pino\'s shape', async () => {
    const { writes, dest } = sink();
    const log = new AccessLog(dest, true);
    log.record('req-1', 'GET', '/v1/user/mock-login/', 200, 0.4);
    log.record('req-2', 'POST', 'unmatched', 404, 12.5);
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toHaveLength(1);
    const lines = writes[0].split('\n');
    expect(lines.pop()).toBe('');
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(Object.keys(first)).toEqual(['level', 'time', 'pid', 'hostname', 'reqId', 'method', 'route', 'status', 'ms', 'msg']);
    expect(first).toMatchObject({ level: 30, pid: process.pid, hostname: os.hostname(), reqId: 'req-1', method: 'GET', route: '/v1/user/mock-login/', status: 200, ms: 0.4, msg: 'request' });
    expect(Math.abs(first.time - Date.now())).toBeLessThan(5_000);
    expect(second).toMatchObject({ reqId: 'req-2', method: 'POST', route: 'unmatched', status: 404, ms: 12.5 });
    log.record('req-3', 'GET', '/x', 200, 1);
    await nextTurn();
    expect(writes).toHaveLength(2);
  });

  it('keeps every line valid JSON whatever the method or route holds', async () => {
    const { writes, dest } = sink();
    const log = new AccessLog(dest, true);
    log.record('r"1', 'M"\n\\', '/a"b\u2028/', 400, 1);
    log.flush();
    expect(JSON.parse(writes[0])).toMatchObject({ reqId: 'r"1', method: 'M"\n\\', route: '/a"b\u2028/' });
  });

  it('writes nothing when disabled; flush writes what is pending at once', async () => {
    const off = sink();
    new AccessLog(off.dest, false).record('req-1', 'GET', '/', 200, 1);
    await nextTurn();
    expect(off.writes).toEqual([]);
    const on = sink();
    const log = new AccessLog(on.dest, true);
    log.record('req-1', 'GET', '/', 200, 1);
    log.flush();
    expect(on.writes).toHaveLength(1);
    await nextTurn();
    expect(on.writes).toHaveLength(1);
  });
});

describe('a running server', () => {
  it('logs one line per request, by route template, never the raw URL', async () => {
    const child = await startChildServer({ LOG_LEVEL: 'info' });
    try {
      for (let i = 0; i < 3; i++) expect((await fetch(child.url + '/v1/user/profile/secret-token-in-url/')).status).toBe(404);
      expect((await fetch(child.url + '/v1/user/mock-login/', { headers: { authorization: 'Token secret-token-in-header' } })).status).toBe(401);
    } finally {
      await child.close();
    }
    const out = child.output();
    const requests = out.split('\n').filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l));
    expect(requests.map((r) => [r.method, r.status])).toEqual([['GET', 404], ['GET', 404], ['GET', 404], ['GET', 401]]);
    expect(requests[3].route).toBe('/v1/user/mock-login/');
    expect(new Set(requests.map((r) => r.reqId)).size).toBe(4);
    expect(out).not.toContain('secret-token');
  });
});
