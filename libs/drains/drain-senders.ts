import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import tls from 'node:tls';
import type { AppLogEntry } from '../logs/index.js';
import { refusedAddress, type EgressRules } from '../webhooks/index.js';
import type { DrainTarget } from './drain-url.js';
import { formatSyslogMessage, octetCounted } from './syslog-format.js';

/** Sends one batch; rejects when the batch did not reach the endpoint (it is then retried). */
export interface DrainSender {
  send(lines: AppLogEntry[]): Promise<void>;
  close(): void;
}

export interface SenderSettings {
  app: string;
  /** HOSTNAME of syslog messages. */
  hostname: string;
  rules: EgressRules;
  /** Extra trusted CA certificates (PEM), besides Node's bundled roots (BERTH_DRAIN_CA_FILE). */
  extraCa?: string;
  timeoutMs: number;
}

/**
 * Resolves `host` once and checks every address (as webhooks do), then hands the connection a lookup that
 * returns only the checked address: a second DNS answer cannot move it elsewhere. TLS still verifies the
 * certificate for the name.
 */
async function pinnedLookup(host: string, rules: EgressRules): Promise<LookupFunction> {
  const addresses = await dnsLookup(host, { all: true, verbatim: true });
  for (const candidate of addresses) {
    const refused = refusedAddress(candidate.address, rules);
    if (refused) throw new Error(`refused: ${refused}`);
  }
  const pinned = addresses[0];
  if (!pinned) throw new Error(`no address for ${host}`);
  return (_host, options, callback) => {
    if (options.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
}

function caOption(settings: SenderSettings): string[] | undefined {
  return settings.extraCa ? [...tls.rootCertificates, settings.extraCa] : undefined;
}

/** NDJSON over HTTPS POST, one request per batch; any answer but 2xx fails the batch. */
class HttpsDrainSender implements DrainSender {
  constructor(
    private readonly url: URL,
    private readonly settings: SenderSettings,
  ) {}

  async send(lines: AppLogEntry[]): Promise<void> {
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    const lookup = await pinnedLookup(host, this.settings.rules);
    const body = lines
      .map((line) =>
        JSON.stringify({
          app: this.settings.app,
          timestamp: line.timestamp,
          replica: line.replica,
          stream: line.stream,
          text: line.text,
        }),
      )
      .join('\n')
      .concat('\n');
    const transport = this.url.protocol === 'https:' ? https : http;
    await new Promise<void>((resolve, reject) => {
      const request = transport.request(
        this.url,
        {
          method: 'POST',
          lookup,
          agent: false,
          ca: caOption(this.settings),
          timeout: this.settings.timeoutMs,
          headers: {
            'content-type': 'application/x-ndjson',
            'content-length': String(Buffer.byteLength(body)),
            'user-agent': 'Berth-Drains/1',
          },
        },
        (response) => {
          response.resume();
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`HTTP ${status}`));
        },
      );
      const deadline = setTimeout(
        () => request.destroy(new Error(`timed out after ${this.settings.timeoutMs} ms`)),
        this.settings.timeoutMs,
      );
      request.on('timeout', () =>
        request.destroy(new Error(`timed out after ${this.settings.timeoutMs} ms`)),
      );
      request.on('error', reject);
      request.on('close', () => {
        clearTimeout(deadline);
        reject(new Error('connection closed without a response'));
      });
      request.end(body);
    });
  }

  close(): void {}
}

/**
 * RFC 5424 messages over one TLS connection (RFC 5425), octet-counted (RFC 6587); reconnects on the next
 * batch after an error. A batch counts as sent once the socket has taken it: syslog has no acknowledgement.
 */
class SyslogTlsDrainSender implements DrainSender {
  private socket: tls.TLSSocket | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly settings: SenderSettings,
  ) {}

  async send(lines: AppLogEntry[]): Promise<void> {
    const socket = this.socket ?? (await this.connect());
    const payload = lines.map((line) => octetCounted(formatSyslogMessage(line, this.settings))).join('');
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => {
        this.drop(socket);
        reject(new Error(`timed out after ${this.settings.timeoutMs} ms`));
      }, this.settings.timeoutMs);
      socket.write(payload, (err) => {
        clearTimeout(deadline);
        if (err) {
          this.drop(socket);
          reject(err);
        } else resolve();
      });
    });
  }

  close(): void {
    if (this.socket) this.drop(this.socket);
  }

  private drop(socket: tls.TLSSocket): void {
    socket.destroy();
    if (this.socket === socket) this.socket = undefined;
  }

  private async connect(): Promise<tls.TLSSocket> {
    const lookup = await pinnedLookup(this.host, this.settings.rules);
    return new Promise<tls.TLSSocket>((resolve, reject) => {
      const socket = tls.connect({
        host: this.host,
        port: this.port,
        servername: isIP(this.host) ? undefined : this.host,
        lookup,
        ca: caOption(this.settings),
        timeout: this.settings.timeoutMs,
      });
      const fail = (err: Error): void => {
        socket.destroy();
        if (this.socket === socket) this.socket = undefined;
        reject(err);
      };
      socket.once('secureConnect', () => {
        socket.off('error', fail);
        socket.setTimeout(0);
        socket.on('error', () => this.drop(socket));
        socket.on('close', () => {
          if (this.socket === socket) this.socket = undefined;
        });
        // The receiver has nothing to say; reading keeps a half-closed connection noticed.
        socket.resume();
        this.socket = socket;
        resolve(socket);
      });
      socket.once('error', fail);
      socket.once('timeout', () => fail(new Error(`timed out after ${this.settings.timeoutMs} ms`)));
    });
  }
}

export function senderFor(target: DrainTarget, settings: SenderSettings): DrainSender {
  return target.kind === 'https'
    ? new HttpsDrainSender(target.url, settings)
    : new SyslogTlsDrainSender(target.host, target.port, settings);
}
