import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Requests Node's HTTP parser refuses before Express sees them (a URL or headers over the 16 KiB limit,
 * bytes that are no HTTP) get problem+json like every other refusal, instead of Node's bare text answer.
 */
export function answerClientErrorsAsProblems(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A reset or a socket already answering has nobody left to read a reply.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const title = tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
    const code = tooLarge ? 'headers_too_large' : 'malformed_request';
    const body = JSON.stringify({
      type: `https://berth.dev/problems/${code}`,
      title,
      status,
      code,
      detail: tooLarge
        ? 'The request line and headers together may be at most 16 KiB'
        : 'The request is not valid HTTP',
    });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
