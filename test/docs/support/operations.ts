// Which documented operation a request exercises, from the app's own /openapi.json.
export interface OperationIndex {
  operationOf(method: string, path: string): string | null;
  /** Every documented operation: id → method and path template. */
  all: Map<string, { method: string; path: string; doc: any }>;
}

export async function operationIndex(url: string): Promise<OperationIndex> {
  const doc = (await (await fetch(url + '/openapi.json')).json()) as { paths: Record<string, Record<string, any>> };
  const entries: Array<{ method: string; re: RegExp; id: string }> = [];
  const all = new Map<string, { method: string; path: string; doc: any }>();
  for (const [template, methods] of Object.entries(doc.paths)) {
    const re = new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+') + '$');
    for (const [method, op] of Object.entries(methods)) {
      entries.push({ method: method.toUpperCase(), re, id: op.operationId });
      all.set(op.operationId, { method: method.toUpperCase(), path: template, doc: op });
    }
  }
  return {
    all,
    operationOf(method, path) {
      const p = path.split('?')[0];
      const m = method === 'HEAD' ? 'GET' : method;
      return entries.find((e) => e.method === m && e.re.test(p))?.id ?? null;
    },
  };
}
