import { describe, expect, it } from '@jest/globals';
import type { AppLogEntry } from '../logs/index.js';
import { DrainForwarder, type ForwardingSettings } from './drain-forwarder.js';
import type { DrainSender } from './drain-senders.js';

function entries(from: number, count: number): AppLogEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: from + i,
    timestamp: '2026-12-05T17:00:00.000000000Z',
    replica: 'r',
    containerId: 'c',
    stream: 'stdout' as const,
    text: `line ${from + i}`,
    ordinal: from + i,
  }));
}

const settings: ForwardingSettings = {
  queueLines: 100,
  batchLines: 10,
  batchDelayMs: 5,
  attempts: 3,
  retryBaseMs: 1,
  retryMaxMs: 4,
};

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

class RecordingSender implements DrainSender {
  batches: number[][] = [];
  failuresLeft = 0;
  gate: Promise<void> | undefined;
  /** Batches handed to send() so far, taken or not. */
  calls = 0;
  async send(lines: AppLogEntry[]): Promise<void> {
    this.calls++;
    await this.gate;
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('connect ECONNREFUSED');
    }
    this.batches.push(lines.map((l) => l.seq));
  }
  close(): void {}
}

describe('DrainForwarder', () => {
  it('sends every line in order, in batches of at most batchLines', async () => {
    const sender = new RecordingSender();
    const forwarder = new DrainForwarder(sender, settings);
    expect(forwarder.offer(entries(0, 25))).toBe(true);
    await until(() => forwarder.counters().linesSent === 25);
    expect(sender.batches.flat()).toEqual(entries(0, 25).map((e) => e.seq));
    expect(Math.max(...sender.batches.map((b) => b.length))).toBeLessThanOrEqual(10);
    expect(forwarder.counters().lastSentAt).toBeInstanceOf(Date);
    await forwarder.stop();
  });

  it('retries a failed batch with backoff and keeps the order', async () => {
    const sender = new RecordingSender();
    sender.failuresLeft = 2;
    const delays: number[] = [];
    const forwarder = new DrainForwarder(sender, settings, async (ms) => {
      delays.push(ms);
    });
    forwarder.offer(entries(0, 5));
    await until(() => forwarder.counters().linesSent === 5);
    expect(delays).toEqual([1, 2]);
    expect(sender.batches.flat()).toEqual([0, 1, 2, 3, 4]);
    expect(forwarder.counters()).toMatchObject({ linesDropped: 0, lastError: 'connect ECONNREFUSED' });
    await forwarder.stop();
  });

  it('drops (and counts) a batch that failed every attempt, then goes on', async () => {
    const sender = new RecordingSender();
    sender.failuresLeft = 3;
    const forwarder = new DrainForwarder(sender, settings, async () => undefined);
    forwarder.offer(entries(0, 4));
    await until(() => forwarder.counters().linesDropped === 4);
    forwarder.offer(entries(4, 2));
    await until(() => forwarder.counters().linesSent === 2);
    expect(sender.batches.flat()).toEqual([4, 5]);
    await forwarder.stop();
  });

  it('never holds more than queueLines while the endpoint hangs: the rest is dropped and counted', async () => {
    const sender = new RecordingSender();
    let release!: () => void;
    sender.gate = new Promise((resolve) => (release = resolve));
    const forwarder = new DrainForwarder(sender, settings);
    forwarder.offer(entries(0, 1));
    await until(() => sender.calls === 1); // that line is in flight, stuck
    for (let i = 1; i < 1000; i += 100) expect(forwarder.offer(entries(i, 100))).toBe(true);
    // The line in flight stays queued until the endpoint took it: 1 + 99 held, 901 of 1000 dropped.
    expect(forwarder.queuedLines).toBe(100);
    expect(forwarder.counters().linesDropped).toBe(901);
    release();
    await until(() => forwarder.counters().linesSent === 100);
    expect(sender.batches.flat()).toEqual(entries(0, 100).map((e) => e.seq));
    await forwarder.stop();
  });

  it("counts the hub's dropped markers", async () => {
    const forwarder = new DrainForwarder(new RecordingSender(), settings);
    forwarder.offer({ type: 'dropped', count: 12 });
    forwarder.offer({ type: 'dropped', count: null });
    expect(forwarder.counters().linesDropped).toBe(12);
    await forwarder.stop();
  });
});
