import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import type { Registration } from './functions-core';

/** Where the development host and the app's invocations log. */
export type Log = (level: string, message: string) => void;

/** Everything when verbose (npm start), otherwise only warnings and errors (tests). */
export function hostLog(verbose: boolean): Log {
  return (level, message) => {
    if (verbose || level === 'warning' || level === 'error' || level === 'critical') {
      (level === 'error' || level === 'critical' ? console.error : console.log)(`[${level}] ${message}`);
    }
  };
}

/** Binding settings may name an app setting as %NAME%, resolved from the environment. */
export function resolveSetting(value: unknown): string {
  return String(value ?? '').replace(/%([^%]+)%/g, (_, name: string) => process.env[name] ?? '');
}

/** The context one invocation of `registration` gets, its log lines named after the function. */
export function invocationContext(registration: Registration, log: Log, triggerMetadata?: Record<string, unknown>): InvocationContext {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: registration.name,
    triggerMetadata,
    options: {
      trigger: registration.trigger as never,
      extraInputs: [],
      extraOutputs: [],
    },
    logHandler: (level, ...args) => log(level, `${registration.name}: ${args.map(String).join(' ')}`),
  });
}

/** Whether this registration is a trigger of this type (`httpTrigger`, `serviceBusTrigger`, `timerTrigger`). */
export function isTrigger(registration: Registration, type: string): boolean {
  return registration.trigger.type.toLowerCase() === type.toLowerCase();
}
