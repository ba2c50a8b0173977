import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DevelopmentHost } from '../../local/devhost';
import { installFunctionsCore } from '../../local/functions-core';

// `@azure/functions` finds the host's core API on its first hook registration: provide it first.
installFunctionsCore();
const { app } = await import('@azure/functions');

const root = path.resolve(__dirname, '../..');
const disposables: { dispose(): void }[] = [];

afterEach(() => {
  disposables.splice(0).forEach((hook) => hook.dispose());
});

describe('the development host and the app lifecycle hooks', () => {
  it('runs appStart before it serves and appTerminate after it stops, in that order', async () => {
    const seen: string[] = [];
    disposables.push(
      app.hook.appStart(() => void seen.push('start')),
      app.hook.appTerminate(async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        seen.push('terminate');
      }),
    );
    const host = new DevelopmentHost([], { appRoot: root, port: 0, verbose: false });
    const url = await host.start();
    expect(seen).toEqual(['start']);
    expect((await fetch(`${url}/admin/functions`)).status).toBe(200);
    await host.stop();
    expect(seen).toEqual(['start', 'terminate']);
  });

  it('does not start when an appStart hook throws (a job kind without a handler, say)', async () => {
    disposables.push(
      app.hook.appStart(() => {
        throw new Error('No handler registered for job kinds: example');
      }),
    );
    const host = new DevelopmentHost([], { appRoot: root, port: 0, verbose: false });
    await expect(host.start()).rejects.toThrow(/No handler registered/);
    await host.stop();
  });
});
