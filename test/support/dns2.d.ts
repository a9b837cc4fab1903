// The part of dns2 2.x (no bundled types; 3.x needs Node 22) the tests use: a UDP server and its packets.
declare module 'dns2' {
  interface Question {
    name: string;
    type: number;
  }
  interface Answer {
    name: string;
    type: number;
    class: number;
    ttl: number;
    data?: string;
    address?: string;
  }
  interface DnsPacket {
    questions: Question[];
    answers: Answer[];
    header: { rcode: number };
  }
  interface UdpServer {
    listen(port: number, address: string): Promise<void>;
    address(): { port: number };
    close(callback?: () => void): void;
    on(
      event: 'request',
      listener: (request: DnsPacket, send: (response: DnsPacket) => Promise<unknown>) => void,
    ): void;
  }
  const dns2: {
    createUDPServer(
      handler: (request: DnsPacket, send: (response: DnsPacket) => Promise<unknown>) => void,
    ): UdpServer;
    Packet: {
      TYPE: { A: number; TXT: number };
      CLASS: { IN: number };
      createResponseFromRequest(request: DnsPacket): DnsPacket;
    };
  };
  export default dns2;
}
