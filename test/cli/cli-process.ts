import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const CLI_MAIN = path.resolve('apps/cli/bin/berth.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running `berth` process (the built CLI through its installed entry), its output collected as it comes. */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<CliRun>;

  constructor(
    readonly child: ChildProcess,
    readonly args: string[],
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.once('close', (code) => resolve({ code, stdout: this.stdout, stderr: this.stderr })),
    );
  }

  static start(args: string[], env: NodeJS.ProcessEnv): CliProcess {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new CliProcess(child, args);
  }
}

/** Runs `berth args…` to its end. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return CliProcess.start(args, env).exited;
}

/**
 * A TCP relay on 127.0.0.1 in front of the API, so a test can cut every connection through it at once (what a
 * dropped Wi-Fi or a restarted load balancer does to a client) while the API keeps running.
 */
export class ConnectionCutter {
  private constructor(
    private readonly server: net.Server,
    private readonly sockets: Set<net.Socket>,
    readonly url: string,
  ) {}

  static async start(targetPort: number): Promise<ConnectionCutter> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    return new ConnectionCutter(server, sockets, `http://127.0.0.1:${port}`);
  }

  /** Destroys every open connection; new ones are relayed again. Returns how many were cut. */
  cut(): number {
    const count = this.sockets.size;
    for (const socket of this.sockets) socket.destroy();
    return count;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
