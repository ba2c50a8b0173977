import { call } from './api';

export interface Operation {
  method: string;
  /** OpenAPI path, e.g. `/api/v1/jobs/{jobId}`. */
  path: string;
  operationId: string;
  roles: string[] | 'public' | 'optional';
  /** An `explode`d object parameter stands for names of the caller's choosing (`<column>__<op>=` filters). */
  parameters: { name: string; in: string; required?: boolean; explode?: boolean; schema?: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema?: Record<string, unknown> }> };
}

/** Every operation in the served OpenAPI document: the auth matrix and the fuzzer are generated from it. */
export async function operations(): Promise<Operation[]> {
  const { body } = await call<{ paths: Record<string, Record<string, Record<string, unknown>>> }>('GET', '/openapi.json');
  const result: Operation[] = [];
  for (const [path, item] of Object.entries(body.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      result.push({
        method: method.toUpperCase(),
        path,
        operationId: String(operation.operationId),
        roles: operation['x-roles'] as Operation['roles'],
        parameters: (operation.parameters ?? []) as Operation['parameters'],
        requestBody: operation.requestBody as Operation['requestBody'],
      });
    }
  }
  return result;
}

/** The path with each `{param}` replaced: by `values[param]`, else by a harmless placeholder. */
export function fillPath(path: string, values: Record<string, string> = {}): string {
  return path.replace(/^\/api/, '').replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? `x${name}`));
}
