// The pause of a background loop: a timer that a wake-up (new work) or a halt (stop) cuts short.
// A wake-up that comes while the loop is busy is remembered, so the next pause is skipped
// instead of missing the work.

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

  /** Waits `ms`, or less. A pause that is not `wakeable` (a reconnection back-off) ends only by halt. */
  sleep(ms: number, wakeable = true): Promise<void> {
    if (this.halted || (wakeable && this.pendingWake)) {
      if (wakeable) this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(), ms);
      const finish = () => {
        clearTimeout(timer);
        this.cut = null;
        if (wakeable) this.pendingWake = false;
        resolve();
      };
      this.cut = (byWake) => {
        if (!byWake || wakeable) finish();
      };
    });
  }
}
