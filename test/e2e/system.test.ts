import { describe, expect, it } from 'vitest';
import { apiFetch, baseUrl, call, expectProblem } from '../support/api';

describe('GET /api/health', () => {
  it('answers 200 with every dependency checked and no secrets', async () => {
    const sut = await call<{ status: string; checks: Record<string, { status: string }> }>('GET', '/health');
    expect(sut.status).toBe(200);
    expect(sut.body.status).toBe('ok');
    expect(Object.keys(sut.body.checks).sort()).toEqual(['blob', 'cosmos', 'queue']);
    expect(Object.values(sut.body.checks).every((check) => check.status === 'ok')).toBe(true);
    expect(sut.text).not.toMatch(/AccountKey|devstoreaccount1|127\.0\.0\.1/);
  });
});

describe('GET /api/openapi.json', () => {
  it('serves an OpenAPI 3.1 document listing the API key operations', async () => {
    const sut = await call<{ openapi: string; paths: Record<string, Record<string, { operationId: string }>> }>('GET', '/openapi.json');
    expect(sut.status).toBe(200);
    expect(sut.body.openapi).toBe('3.1.0');
    expect(sut.body.paths['/api/v1/api-keys']?.post?.operationId).toBe('createApiKey');
  });
});

describe('GET /api/docs', () => {
  it('serves Swagger UI from this host, not from a CDN', async () => {
    const sut = await call('GET', '/docs');
    expect(sut.status).toBe(200);
    expect(sut.headers.get('content-type')).toMatch(/^text\/html/);
    const scripts = [...sut.text.matchAll(/src="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      expect(script).not.toMatch(/^https?:/);
      const asset = await apiFetch(new URL(script, `${baseUrl()}/api/docs`));
      expect(asset.status, script).toBe(200);
    }
  });

  it('does not serve files outside its list', async () => {
    expectProblem(await call('GET', '/docs/..%2Fpackage.json'), 404);
    expectProblem(await call('GET', '/docs/index.html'), 404);
  });
});

describe('unknown routes', () => {
  it('answer 404 problem+json', async () => {
    expectProblem(await call('GET', '/v1/no-such-thing'), 404);
  });

  it('answer a wrong method with 405 problem+json naming the allowed ones', async () => {
    const sut = await call('PUT', '/v1/api-keys');
    const problem = expectProblem(sut, 405);
    expect(String(problem.detail)).toContain('GET');
    expect(sut.headers.get('allow')).toContain('POST');
  });
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin', async () => {
    const sut = await apiFetch(`${baseUrl()}/api/v1/api-keys`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://labeller.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(sut.status).toBe(204);
    expect(sut.headers.get('access-control-allow-origin')).toBe('https://labeller.example');
    expect(sut.headers.get('access-control-allow-headers')).toContain('X-API-Key');
  });

  it('grants nothing to another origin', async () => {
    const sut = await apiFetch(`${baseUrl()}/api/health`, { headers: { Origin: 'https://evil.example' } });
    expect(sut.headers.get('access-control-allow-origin')).toBeNull();
  });
});
