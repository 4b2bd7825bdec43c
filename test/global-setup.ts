// Replaced by the real setup (per-run PostgreSQL database, Redis check) with the foundation.
export default function setup(): void {}
