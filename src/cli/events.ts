// `gatehouse events replay --since <ts> [--endpoint <id>]` (events.md §5): schedules the kept
// events from that time on again, for a receiver that lost data. The running service's worker
// and publisher send them; this command only writes the outbox rows.
import { loadConfig } from '../config.js';
import { replay } from '../core/events/replay.js';
import { isoMicros, nowMicros, parseIsoMicros } from '../core/time.js';
import { openStore } from '../store/db.js';
import { migrateToLatest } from '../store/migrations.js';
import { parseCommandArgs } from './args.js';
import { CliError } from './errors.js';

export const EVENTS_USAGE = `usage: gatehouse events replay --since TS [--endpoint ID]

Schedules the kept events recorded since TS (an ISO 8601 timestamp, e.g. 2024-07-16T20:00:00Z)
again: to every webhook endpoint subscribed to them, or only to endpoint ID, and (without
--endpoint) to the broker. The running service delivers them; receivers dedupe by webhook-id.
`;

export async function eventsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h') {
    process.stdout.write(EVENTS_USAGE);
    return 0;
  }
  if (sub !== 'replay') throw new CliError(sub === undefined ? 'events: expected a subcommand (events takes: replay)' : `events: unknown subcommand "${sub}" (events takes: replay)`);
  const parsed = parseCommandArgs({ command: 'events replay', options: { since: { type: 'string', placeholder: 'TS' }, endpoint: { type: 'string', placeholder: 'ID' } } }, rest);
  if (parsed.help) {
    process.stdout.write(EVENTS_USAGE);
    return 0;
  }
  const values = parsed.values;
  if (values.since === undefined) throw new CliError('events replay: --since is required (events replay takes --since TS, --endpoint ID)');
  const since = parseIsoMicros(values.since);
  if (since === null) throw new CliError(`--since: expected an ISO 8601 timestamp such as 2024-07-16T20:00:00Z, got "${values.since}"`);
  const config = loadConfig();
  const store = openStore(config.databaseUrl);
  try {
    await migrateToLatest(store.db, store.dialect);
    const r = await replay(store.db, { since, endpointId: values.endpoint }, { now: nowMicros(), amqp: config.amqpUrl !== null });
    if (!r.ok) throw new CliError(`--endpoint: no webhook endpoint with id "${values.endpoint}"`);
    const broker = config.amqpUrl !== null && values.endpoint === undefined ? ` and ${r.publications} broker messages` : '';
    console.log(`scheduled ${r.deliveries} webhook deliveries${broker} for ${r.events} events since ${isoMicros(since)}`);
    return 0;
  } finally {
    await store.close();
  }
}
