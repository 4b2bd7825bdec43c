// Records the API reference's examples from a real run and renders them into docs/api/*.md.
//
//   node --import tsx test/docs/record.ts [surface…]   run the scenarios (all, or those named) against
//                                                   fresh apps, write docs/api/examples/<surface>.json,
//                                                   then render the markdown
//   node --import tsx test/docs/record.ts --render     only render the markdown from the recorded files
//
// test/docs/api-examples.test.ts replays the recorded files and fails when the markdown is not
// what --render would write.
import fs from 'node:fs';
import { SCENARIOS } from './scenarios/index.js';
import { startExampleEnv } from './support/app.js';
import type { ExampleFile } from './support/exchange.js';
import { operationIndex } from './support/operations.js';
import { Recorder } from './support/recorder.js';
import { exampleFilePath, fillMarkers, loadExampleFiles, markdownFiles } from './support/render.js';

async function record(names: string[]): Promise<void> {
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.surface === n));
  if (unknown.length) throw new Error(`no scenario for ${unknown.join(', ')}`);
  for (const scenario of SCENARIOS) {
    if (names.length && !names.includes(scenario.surface)) continue;
    const env = await startExampleEnv(scenario);
    try {
      const recorder = new Recorder(env.t, await operationIndex(env.t.url), env.clients, env.services);
      await scenario.run(recorder);
      const file: ExampleFile = {
        surface: scenario.surface,
        settings: scenario.settings,
        ...(scenario.superusers ? { superusers: scenario.superusers } : {}),
        ...(scenario.services ? { services: env.services } : {}),
        exchanges: recorder.exchanges,
      };
      fs.writeFileSync(exampleFilePath(scenario.surface), JSON.stringify(file, null, 2) + '\n');
      console.log(`${scenario.surface}: ${recorder.exchanges.length} exchanges recorded`);
    } finally {
      await env.close();
    }
  }
}

function render(): void {
  const files = loadExampleFiles();
  for (const md of markdownFiles()) {
    const before = fs.readFileSync(md, 'utf8');
    const { text } = fillMarkers(before, files);
    if (text !== before) {
      fs.writeFileSync(md, text);
      console.log(`${md}: examples rendered`);
    }
  }
}

const args = process.argv.slice(2);
if (!args.includes('--render')) await record(args.filter((a) => !a.startsWith('--')));
render();
