// Passkey counters, on the app's own registry (one per app, so two apps in a process never
// share them). Looked up before being made, so a second Passkeys on the same registry reuses them.
import { Counter, type Registry } from 'prom-client';

function counter(registry: Registry, name: string, help: string): Counter<'result'> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'result'>;
  return new Counter({ name, help, labelNames: ['result'], registers: [registry] });
}

export class PasskeyMetrics {
  /** `result`: `success` or the refusal reason. */
  readonly registrations: Counter<'result'>;
  /** `result`: `verified` or the failure reason (`clone` among them). */
  readonly assertions: Counter<'result'>;

  constructor(registry: Registry) {
    this.registrations = counter(registry, 'gatehouse_passkey_registrations_total', 'Passkey registrations by result');
    this.assertions = counter(registry, 'gatehouse_passkey_assertions_total', 'Passkey login assertions by result');
  }
}
