// A surface's examples as a story: the requests an integrating app sends, in order, each built
// from the answers before it. Recording runs it against a fresh app (record.ts); the recorded
// exchanges are what the docs show and what the test replays.
import type { ExampleFile, Part } from '../support/exchange.js';
import type { Recorder } from '../support/recorder.js';

export interface Scenario extends Pick<ExampleFile, 'surface' | 'settings' | 'superusers' | 'services'> {
  run(r: Recorder): Promise<void>;
}

/** The picture every upload example sends. */
export function picture(name: string, filename = 'avatar.png'): Part {
  return { name, file: { filename, contentType: 'image/png', width: 64, height: 64 } };
}
