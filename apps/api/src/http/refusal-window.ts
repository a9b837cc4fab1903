/**
 * Folds repeated refusals of one kind into few events: the first refusal of a key in a window is written
 * at once; later ones in the same window are only counted, and when the window ends one more event
 * carries their count. A tenant hammering a limit then costs at most two rows per key and window instead
 * of one per request, and the counts still add up to every refusal.
 */
export interface RefusalWindowOptions<T> {
  windowMs: number;
  /** Keys tracked at most; beyond it the oldest window is flushed early (its count is not lost). */
  maxKeys: number;
  /** Writes one event standing for `refusals` refusals, `data` being the last of them. */
  write: (data: T, refusals: number) => Promise<void>;
  now?: () => number;
}

interface Window<T> {
  endsAt: number;
  /** Refusals since the last written event, and the last one's data. */
  pending: number;
  last: T | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class RefusalWindow<T> {
  private readonly windows = new Map<string, Window<T>>();
  private readonly now: () => number;

  constructor(private readonly options: RefusalWindowOptions<T>) {
    this.now = options.now ?? Date.now;
  }

  /** The write to wait for when this refusal opens a window, else undefined (it was counted). */
  record(key: string, data: T): Promise<void> | undefined {
    const open = this.windows.get(key);
    if (open && this.now() < open.endsAt) {
      open.pending += 1;
      open.last = data;
      open.timer ??= setTimeout(() => this.flush(key), Math.max(0, open.endsAt - this.now())).unref();
      return undefined;
    }
    if (open) this.flush(key);
    if (this.windows.size >= this.options.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.flush(oldest);
    }
    this.windows.set(key, {
      endsAt: this.now() + this.options.windowMs,
      pending: 0,
      last: undefined,
      timer: undefined,
    });
    return this.options.write(data, 1);
  }

  /** Writes what every open window counted (shutdown). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.windows.keys()].map((key) => this.flush(key)));
  }

  private flush(key: string): Promise<void> {
    const open = this.windows.get(key);
    this.windows.delete(key);
    if (!open) return Promise.resolve();
    if (open.timer) clearTimeout(open.timer);
    if (open.pending === 0 || open.last === undefined) return Promise.resolve();
    return this.options.write(open.last, open.pending);
  }

  get size(): number {
    return this.windows.size;
  }
}
