import { describe, expect, it } from 'vitest';
import { errors } from '../../shared/errors';
import { problemDocument, toAppError } from '../../shared/http/problem';

describe('problem documents', () => {
  it('render a validation error with its field pointers', () => {
    const sut = problemDocument(errors.invalidField('/body/name', 'is required'), '/api/v1/x');
    expect(sut).toEqual({
      type: 'urn:mlassets:problem:validation-failed',
      title: 'Validation failed',
      status: 400,
      detail: '/body/name: is required',
      instance: '/api/v1/x',
      errors: [{ pointer: '/body/name', message: 'is required' }],
    });
  });

  it('carry extension members such as the existing id of a conflict', () => {
    expect(problemDocument(errors.conflict('taken', { existingId: 'abc' }))).toMatchObject({ status: 409, existingId: 'abc' });
  });

  it('turn unknown errors into a 500 that leaks nothing', () => {
    const sut = problemDocument(toAppError(new Error('AccountKey=secret; at Object.<anonymous> (/src/x.ts:1)')));
    expect(sut.status).toBe(500);
    expect(JSON.stringify(sut)).not.toMatch(/secret|x\.ts/);
  });

  it('give 429 a Retry-After of at least one second', () => {
    expect(errors.tooManyRequests('daily limit', 0.2).headers['Retry-After']).toBe('1');
  });
});
