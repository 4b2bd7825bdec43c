// The examples of the API reference (docs/api/) are true: each surface's recorded exchanges,
// replayed in order against a fresh app, get the recorded answers (ids, tokens, cookies and
// times as this run makes them, everything else as recorded); each names the operation its
// request reaches; and the markdown shows each of them exactly as recorded.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startExampleEnv } from './support/app.js';
import { operationIndex } from './support/operations.js';
import { SURFACES, fillMarkers, loadExampleFiles, markdownFiles } from './support/render.js';
import { Replay } from './support/replay.js';

const files = loadExampleFiles();

describe.each(SURFACES)('the %s examples', (surface) => {
  it('replay in order against a fresh app with the recorded answers', async () => {
    const file = files.get(surface);
    expect(file, `docs/api/examples/${surface}.json`).toBeDefined();
    const env = await startExampleEnv(file!);
    try {
      const operations = await operationIndex(env.t.url);
      const replay = new Replay(env, file!);
      for (const ex of file!.exchanges) {
        expect(ex.operationId, `${ex.id}: the operation of ${ex.request.method} ${ex.request.path}`).toBe(operations.operationOf(ex.request.method, ex.request.path));
        await replay.run(ex);
      }
    } finally {
      await env.close();
    }
  }, 180_000);
});

describe('the markdown of docs/api/', () => {
  const docs = markdownFiles().map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }));

  it('shows each example exactly as recorded (node --import tsx test/docs/record.ts --render writes it)', () => {
    for (const { file, text } of docs) expect(fillMarkers(text, files).text, file).toBe(text);
  });

  it('shows every recorded example that is not a hidden step, once', () => {
    const shown = docs.flatMap(({ text }) => fillMarkers(text, files).shown);
    const expected = [...files.values()].flatMap((f) => f.exchanges.filter((e) => !e.hidden).map((e) => `${f.surface}/${e.id}`));
    expect([...shown].sort()).toEqual([...expected].sort());
  });
});
