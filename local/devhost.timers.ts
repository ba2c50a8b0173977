import type { Registration } from './functions-core';
import { invocationContext, isTrigger, type Log, resolveSetting } from './devhost.invocation';
import { parseSchedule } from './ncrontab';

/** The app's timer triggers, fired on their NCRONTAB schedules, or on demand through the admin API. */
export class DevelopmentHostTimers {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly functions: Registration[],
    private readonly log: Log,
  ) {}

  /** Checks every second since the last tick, so a busy event loop delays a firing but never skips one. */
  start(): void {
    const due = this.functions
      .filter((f) => isTrigger(f, 'timerTrigger'))
      .map((f) => ({ registration: f, matches: parseSchedule(resolveSetting(f.trigger.schedule)) }));
    if (due.length === 0) return;
    let last = Math.floor(Date.now() / 1000);
    const timer = setInterval(() => {
      const now = Math.floor(Date.now() / 1000);
      for (let second = last + 1; second <= now; second++) {
        for (const { registration, matches } of due) {
          if (matches(new Date(second * 1000))) void this.invoke(registration);
        }
      }
      last = now;
    }, 250);
    timer.unref();
    this.timers.push(timer);
  }

  stop(): void {
    this.timers.forEach((timer) => clearInterval(timer));
  }

  /** The timer function of this name, if the app registered one. */
  named(name: string): Registration | undefined {
    return this.functions.find((f) => f.name === name && isTrigger(f, 'timerTrigger'));
  }

  /** Runs a timer function now, as the host's admin API (`POST /admin/functions/{name}`) does. */
  async invoke(registration: Registration): Promise<void> {
    try {
      await registration.handler({ isPastDue: false, scheduleStatus: undefined }, invocationContext(registration, this.log));
    } catch (error) {
      this.log('error', `${registration.name} failed: ${String(error)}`);
    }
  }
}
