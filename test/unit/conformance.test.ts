import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Checked, Conformance } from '../support/conformance';

/**
 * The conformance check every e2e answer goes through (`test/support/api.ts`) must be able to fail:
 * answers the committed document does not describe are named, and described ones pass.
 */
const document = JSON.parse(readFileSync(path.resolve(__dirname, '../../openapi.json'), 'utf8')) as ConstructorParameters<typeof Conformance>[0];
const sut = new Conformance(document);

const problemJson = { 'content-type': 'application/problem+json' };
const problem = (status: number) => JSON.stringify({ type: 'urn:mlassets:problem:x', title: 'X', status, detail: 'x' });
const job = { id: 'j1', kind: 'inference.run', status: 'queued' };

function answer(overrides: Partial<Omit<Checked, 'headers'>> & { headers?: Record<string, string> }): Checked {
  return { method: 'GET', path: '/v1/jobs/j1', status: 200, text: '', ...overrides, headers: new Headers(overrides.headers ?? {}) };
}

describe('Conformance.problem', () => {
  it('passes a problem answer the document lists for this operation', () => {
    expect(sut.problem(answer({ status: 404, headers: problemJson, text: problem(404) }))).toBeUndefined();
  });

  it('names a status the operation does not document', () => {
    expect(sut.problem(answer({ status: 418, headers: problemJson, text: problem(418) }))).toMatch(/GET \/api\/v1\/jobs\/\{jobId\} \(getJob\) → 418: status not documented/);
  });

  it('does not let `default` stand for a 4xx', () => {
    expect(sut.problem(answer({ method: 'GET', path: '/health', status: 400, headers: problemJson, text: problem(400) }))).toMatch(/status not documented/);
  });

  it('names a status documented on some writes but not on this one (409 on a grant)', () => {
    const conflict = answer({ method: 'PUT', path: '/v1/models/m/grants/p', status: 409, headers: problemJson, text: problem(409) });
    expect(sut.problem(conflict)).toMatch(/putModelGrant\) → 409: status not documented/);
  });

  it('names a media type the answer is not documented in', () => {
    expect(sut.problem(answer({ status: 404, headers: { 'content-type': 'text/html' }, text: '<p>no</p>' }))).toMatch(/media type 'text\/html' not documented/);
  });

  it('names a body that does not match its schema', () => {
    expect(sut.problem(answer({ status: 404, headers: problemJson, text: JSON.stringify({ title: 'no type' }) }))).toMatch(/body does not match its schema/);
  });

  it('names a 429 without the Retry-After it documents', () => {
    const limited = answer({ method: 'POST', path: '/v1/models/m/jobs', status: 429, headers: problemJson, text: problem(429) });
    expect(sut.problem(limited)).toMatch(/→ 429: header Retry-After is missing/);
    expect(sut.problem({ ...limited, headers: new Headers({ ...problemJson, 'Retry-After': '30' }) })).toBeUndefined();
  });

  it('names a 503 whose Retry-After is missing or not whole seconds', () => {
    const unavailable = answer({ status: 503, headers: problemJson, text: problem(503) });
    expect(sut.problem(unavailable)).toMatch(/→ 503: header Retry-After is missing/);
    expect(sut.problem({ ...unavailable, headers: new Headers({ ...problemJson, 'Retry-After': '1.5' }) })).toMatch(/Retry-After: '1.5' does not match its schema/);
    expect(sut.problem({ ...unavailable, headers: new Headers({ ...problemJson, 'Retry-After': '0' }) })).toMatch(/Retry-After: '0' does not match/);
    expect(sut.problem({ ...unavailable, headers: new Headers({ ...problemJson, 'Retry-After': '5' }) })).toBeUndefined();
  });

  it('describes health’s 503 as its report in JSON with Retry-After, not as a problem', () => {
    const report = { status: 'degraded', version: '1', checks: Object.fromEntries(['cosmos', 'blob', 'queue'].map((name) => [name, { status: 'failed', latencyMs: 1 }])) };
    const degraded = answer({ path: '/health', status: 503, headers: { 'content-type': 'application/json', 'Retry-After': '30' }, text: JSON.stringify(report) });
    expect(sut.problem(degraded)).toBeUndefined();
    expect(sut.problem({ ...degraded, headers: new Headers({ 'content-type': 'application/json' }) })).toMatch(/header Retry-After is missing/);
  });

  it('describes the 406 of an export in a profile its type does not have (found by the fuzzer)', () => {
    const refused = answer({ path: '/v1/catalogue/organisations/o1/export?profile=croissant', status: 406, headers: problemJson, text: problem(406) });
    expect(sut.problem(refused)).toBeUndefined();
  });

  it('leaves paths outside the document to the host (its 404 and 405 fallbacks)', () => {
    expect(sut.problem(answer({ path: '/v1/no-such-thing', status: 404, headers: problemJson, text: problem(404) }))).toBeUndefined();
  });

  it('checks a HEAD answer’s status and headers, not a body', () => {
    expect(sut.problem(answer({ method: 'HEAD', status: 200, headers: { 'content-type': 'application/json' } }))).toBeUndefined();
    expect(sut.problem(answer({ method: 'HEAD', status: 418 }))).toMatch(/getJobHead\) → 418: status not documented/);
  });

  it('is not fooled by a 200 body of another shape', () => {
    expect(sut.problem(answer({ status: 200, headers: { 'content-type': 'application/json' }, text: JSON.stringify({ ...job, status: 42 }) }))).toMatch(/body does not match/);
  });
});
