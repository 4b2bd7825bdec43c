// The skeleton of a background loop (the delivery worker, the broker publisher): start once,
// pause between rounds, be woken by new work, and stop by ending the loop. A wake-up that comes
// while the loop is busy is remembered, so the next pause is skipped instead of missing the
// work. A pause woken ends at the end of the current event-loop turn, so the wake-ups of one
// turn (several deliveries ending together) lead to one round, not one each.

export class Sleeper {
  private pendingWake = false;
  private halted = false;
  private cut: ((byWake: boolean) => void) | null = null;

  /** New work: the current (or next) wakeable pause ends now. */
  wake(): void {
    this.pendingWake = true;
    this.cut?.(true);
  }

  /** Stop: every pause from now on ends at once. */
  halt(): void {
    this.halted = true;
    this.cut?.(false);
  }

  /** Allows pauses again after a halt (the loop is started anew). */
  reset(): void {
    this.halted = false;
  }

  /** Waits `ms`, or less. A pause that is not `wakeable` (a back-off after a failure) ends only by halt. */
  sleep(ms: number, wakeable = true): Promise<void> {
    if (this.halted || (wakeable && this.pendingWake)) {
      if (wakeable) this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let done = false;
      let immediate: NodeJS.Immediate | null = null;
      const timer = setTimeout(() => finish(), ms);
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (immediate) clearImmediate(immediate);
        this.cut = null;
        if (wakeable) this.pendingWake = false;
        resolve();
      };
      this.cut = (byWake) => {
        if (!byWake) finish();
        else if (wakeable) immediate ??= setImmediate(finish);
      };
    });
  }
}

export abstract class BackgroundLoop {
  protected readonly sleeper = new Sleeper();
  /** True once a stop was asked for: the loop ends its round and returns. */
  protected stopping = false;
  private running: Promise<void> | null = null;

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.sleeper.reset();
    this.running = this.loop();
  }

  /** Look for work now (an event was recorded, a retry was scheduled). */
  wake(): void {
    this.sleeper.wake();
  }

  /** Ends the loop and waits for it; false when it was not running. */
  protected async endLoop(): Promise<boolean> {
    if (!this.running) return false;
    this.stopping = true;
    this.sleeper.halt();
    await this.running;
    this.running = null;
    return true;
  }

  protected abstract loop(): Promise<void>;
}
