// The surfaces that exist, by name; SURFACES picks which are mounted.
import type { SurfaceName } from '../config.js';
import type { Surface } from '../http/surface.js';

const REGISTRY: Partial<Record<SurfaceName, () => Promise<Surface>>> = {
  v1: async () => (await import('./v1/index.js')).surface,
  'api-user': async () => (await import('./api-user/index.js')).surface,
  account: async () => (await import('./account/index.js')).surface,
  users: async () => (await import('./users/index.js')).surface,
  'user-account': async () => (await import('./user-account/index.js')).surface,
  admin: async () => (await import('./admin/index.js')).surface,
};

export async function loadSurfaces(names: readonly SurfaceName[]): Promise<Surface[]> {
  const out: Surface[] = [];
  for (const name of names) {
    const load = REGISTRY[name];
    if (load) out.push(await load());
  }
  return out;
}

export function availableSurfaces(): SurfaceName[] {
  return Object.keys(REGISTRY) as SurfaceName[];
}
