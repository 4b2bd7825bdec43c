// What issue 18 holds Gatehouse to, as data: read by the bench (to mark each result met or not)
// and by bench/table.ts (to print the README's table). Every figure is a ratio or a bound
// within one run, never an absolute time.
import type { DatabaseKind } from './lib/servers.js';

export interface ScenarioResult {
  /** Unique in a run: `<scenario>[-<connections>]:<database>`. */
  id: string;
  scenario: string;
  database: DatabaseKind | null;
  label: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
  /** The ratio this row is judged by, and what it is a ratio of. */
  ratio?: number;
  ratioOf?: string;
  /** Anything else the scenario measured (e.g. the p99 without deliveries). */
  extra?: Record<string, number | string>;
  target?: { text: string; met: boolean };
}

export interface TargetRule {
  scenario: string;
  database: DatabaseKind;
  text: string;
  met(r: ScenarioResult): boolean;
}

const atLeast = (scenario: string, database: DatabaseKind, min: number): TargetRule => ({
  scenario, database, text: `≥ ${min}x`, met: (r) => (r.ratio ?? 0) >= min,
});

export const TARGETS: TargetRule[] = [
  atLeast('knox', 'sqlite', 0.6),
  atLeast('bearer', 'sqlite', 0.5),
  atLeast('knox', 'postgres', 0.3),
  atLeast('bearer', 'postgres', 0.35),
  atLeast('login', 'sqlite', 0.9),
  atLeast('login', 'postgres', 0.9),
  ...(['sqlite', 'postgres'] as const).map((database): TargetRule => ({ scenario: 'login-storm-get', database, text: 'p99 < 50 ms', met: (r) => r.p99 < 50 })),
  { scenario: 'webhooks', database: 'sqlite', text: '≥ 1,000/s, GET p99 ≤ 1.2x', met: (r) => r.rps >= 1000 && (r.ratio ?? Infinity) <= 1.2 },
  ...(['sqlite', 'postgres'] as const).map((database): TargetRule => ({ scenario: 'growth-1m', database, text: 'p99 ≤ 1.5x', met: (r) => (r.ratio ?? Infinity) <= 1.5 })),
];

/** Marks a result with its target, when it has one. */
export function judge(r: ScenarioResult): ScenarioResult {
  const rule = TARGETS.find((t) => t.scenario === r.scenario && t.database === r.database);
  return rule ? { ...r, target: { text: rule.text, met: rule.met(r) } } : r;
}

export interface BenchReport {
  date: string;
  machine: { cpu: string; cores: number; ramGiB: number; node: string; os: string };
  config: { seconds: number; repeat?: number; connections: number[]; databases: string[]; only: string[] | null; logLevel: string };
  results: ScenarioResult[];
}
