/** A replica whose container a log watch follows: what attaching it needs. */
export interface WatchedReplica {
  id: string;
  appId: string;
  hostId: string;
  containerId: string;
  startedAt: Date | null;
}

/** One watched app as one read found it. */
export interface WatchedAppState {
  /** False once the app is deleted or being deleted. */
  exists: boolean;
  /** Its replicas with a container that is starting or running, oldest first. */
  replicas: WatchedReplica[];
}

export interface WatchedAppsPollOptions {
  /** Reads every app in `appIds` at once (one query); an app it does not return is gone. */
  read: (appIds: string[]) => Promise<Map<string, WatchedAppState>>;
  /** Pause between two reads. */
  intervalMs: number;
  /** After a change of a watched app: read this often … */
  burstIntervalMs: number;
  /** … for this long (the reconciler creates and removes replicas right after a change). */
  burstMs: number;
  onError: (error: Error) => void;
}

type Listener = (state: WatchedAppState) => void;

/**
 * One read of the replicas of every watched app per tick, shared by every log watch in the process: a
 * process streaming the logs of 1,000 apps sends one query a second, not 1,000. A new watch and a change
 * of a watched app (AppChanges) bring the next read forward; after a change reads come every
 * `burstIntervalMs` for `burstMs`. The poll runs only while something is watched.
 */
export class WatchedAppsPoll {
  private readonly listeners = new Map<string, Set<Listener>>();
  private running = false;
  private wakeUp: (() => void) | undefined;
  private wakeRequested = false;
  private burstUntil = 0;

  constructor(private readonly options: WatchedAppsPollOptions) {}

  /** Calls `listener` with the app's state after every read, the first one soon; returns the unsubscribe. */
  subscribe(appId: string, listener: Listener): () => void {
    const set = this.listeners.get(appId) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(appId, set);
    this.wake();
    if (!this.running) void this.run();
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(appId) === set) this.listeners.delete(appId);
      if (this.listeners.size === 0) this.wake();
    };
  }

  /** A watched app changed (scale, deploy, restart): read at once, then often for a while. */
  changed(appId: string): void {
    if (!this.listeners.has(appId)) return;
    this.burstUntil = Date.now() + this.options.burstMs;
    this.wake();
  }

  /** Apps watched now. */
  get watchedApps(): number {
    return this.listeners.size;
  }

  private wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.listeners.size > 0) {
        this.wakeRequested = false;
        const appIds = [...this.listeners.keys()];
        try {
          const states = await this.options.read(appIds);
          for (const appId of appIds) {
            const state = states.get(appId) ?? { exists: false, replicas: [] };
            for (const listener of [...(this.listeners.get(appId) ?? [])]) listener(state);
          }
        } catch (error) {
          this.options.onError(error as Error);
        }
        if (this.listeners.size === 0 || this.wakeRequested) continue;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            this.wakeUp = undefined;
            resolve();
          };
          const timer = setTimeout(
            done,
            Date.now() < this.burstUntil ? this.options.burstIntervalMs : this.options.intervalMs,
          );
          this.wakeUp = done;
        });
      }
    } finally {
      this.running = false;
    }
  }
}
