import dns2 from 'dns2';

/** A DNS server on 127.0.0.1 answering TXT and A questions from records the test sets. */
export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for BERTH_DNS_SERVERS. */
  address: string;
  setTxt(name: string, values: string[]): void;
  setA(name: string, address: string): void;
  close(): Promise<void>;
}

export async function startDnsServer(): Promise<TestDnsServer> {
  const txt = new Map<string, string[]>();
  const a = new Map<string, string>();
  const { Packet } = dns2;
  const server = dns2.createUDPServer((request, send) => {
    const response = Packet.createResponseFromRequest(request);
    for (const question of request.questions) {
      const name = question.name.toLowerCase();
      if (question.type === Packet.TYPE.TXT) {
        for (const data of txt.get(name) ?? []) {
          response.answers.push({
            name: question.name,
            type: Packet.TYPE.TXT,
            class: Packet.CLASS.IN,
            ttl: 1,
            data,
          });
        }
      } else if (question.type === Packet.TYPE.A && a.has(name)) {
        response.answers.push({
          name: question.name,
          type: Packet.TYPE.A,
          class: Packet.CLASS.IN,
          ttl: 1,
          address: a.get(name)!,
        });
      }
    }
    void send(response);
  });
  await server.listen(0, '127.0.0.1');
  return {
    address: `127.0.0.1:${server.address().port}`,
    setTxt: (name, values) => txt.set(name.toLowerCase(), values),
    setA: (name, address) => a.set(name.toLowerCase(), address),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
