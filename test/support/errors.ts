import { expect } from 'vitest';
import { AppError } from '../../shared/errors';

/** The AppError `run` throws (a test failure if it throws something else, or nothing). */
export function problemOf(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a 400');
}
