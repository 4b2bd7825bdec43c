// The delivery worker and publisher in a process of their own, so a test can SIGKILL them
// mid-delivery and start them again. Run with `node --import tsx`; not a test file. Settings
// come from the environment like the real service; EVENTS_CHILD_RETRY_MS shortens the retry
// schedule so a test does not wait minutes for the second attempt.
import { loadConfig } from '../../../src/config.js';
import { openStore } from '../../../src/store/db.js';
import { Audit } from '../../../src/core/audit.js';
import { SecretKeys } from '../../../src/core/secrets.js';
import { Events } from '../../../src/core/events/index.js';

const config = loadConfig(process.env);
const store = openStore(config.databaseUrl);
const events = new Events({
  db: store.db,
  dialect: store.dialect,
  secrets: new SecretKeys(config.secretKey!),
  audit: new Audit(store.db),
  config,
  worker: { pollMs: 100, retryDelaysMs: JSON.parse(process.env.EVENTS_CHILD_RETRY_MS ?? '[300, 600, 1200, 2400, 4800, 9600, 19200]') },
  publisher: { backoffMs: { initial: 100, max: 500 } },
});
events.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  events
    .stop()
    .then(() => store.close())
    .then(() => process.exit(0), () => process.exit(1));
});
