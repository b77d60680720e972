import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { parseIpv4, parseIpv6 } from '../../src/index.js';

/** How the test server answers one name. Unknown names get NXDOMAIN. */
export interface DnsRule {
  /** A records, in answer order. */
  A?: string[];
  /** AAAA records, in answer order. A known name without records of the asked type answers NODATA. */
  AAAA?: string[];
  /** Answer with this error code instead of records. */
  rcode?: 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
  /** Never answer (to test timeouts). */
  silent?: boolean;
  /** Wait this long before answering. */
  delayMs?: number;
}

/** One query the server received. */
export interface ReceivedQuery {
  name: string;
  type: 'A' | 'AAAA' | number;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;
const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

/**
 * A tiny authoritative DNS server over UDP on 127.0.0.1 for tests: answers A and AAAA from a table, can answer
 * NXDOMAIN, SERVFAIL, NODATA or stay silent, and records every query and the peak number of queries in flight.
 */
export class TestDnsServer {
  readonly queries: ReceivedQuery[] = [];
  #inFlight = 0;
  #maxInFlight = 0;
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly socket: Socket,
    private readonly rules: Map<string, DnsRule>,
    readonly port: number,
  ) {}

  static async start(rules: Record<string, DnsRule> = {}): Promise<TestDnsServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const map = new Map(Object.entries(rules).map(([name, rule]) => [name.toLowerCase(), rule]));
    const server = new TestDnsServer(socket, map, socket.address().port);
    socket.on('message', (message, remote) => server.#onMessage(message, remote));
    return server;
  }

  /** `127.0.0.1:port`, for `createDnsResolver({ servers })`. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The largest number of queries received and not yet answered at the same time (silent ones excluded). */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  /** Sets or replaces the rule for a name. */
  set(name: string, rule: DnsRule): void {
    this.rules.set(name.toLowerCase(), rule);
  }

  /** Number of queries received for a name (of one type, or of any). */
  count(name: string, type?: 'A' | 'AAAA'): number {
    const lower = name.toLowerCase();
    return this.queries.filter((q) => q.name === lower && (type === undefined || q.type === type)).length;
  }

  /** Forgets the recorded queries and the in-flight peak. */
  reset(): void {
    this.queries.length = 0;
    this.#maxInFlight = this.#inFlight;
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  #onMessage(message: Buffer, remote: RemoteInfo): void {
    const query = parseQuery(message);
    if (query === undefined) return;
    const name = query.name.toLowerCase();
    const type = query.type === TYPE_A ? 'A' : query.type === TYPE_AAAA ? 'AAAA' : query.type;
    this.queries.push({ name, type });
    const rule = this.rules.get(name);
    if (rule?.silent) return;
    this.#inFlight++;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
    const send = (): void => {
      this.#inFlight--;
      const response = buildResponse(message, query, rule);
      this.socket.send(response, remote.port, remote.address);
    };
    const delay = rule?.delayMs ?? 0;
    if (delay > 0) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        send();
      }, delay);
      this.#timers.add(timer);
    } else {
      send();
    }
  }
}

interface ParsedQuery {
  name: string;
  type: number;
  /** Offset just past the question section. */
  questionEnd: number;
}

function parseQuery(message: Buffer): ParsedQuery | undefined {
  if (message.length < 12 || message.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    if (offset >= message.length) return undefined;
    const length = message[offset] as number;
    offset++;
    if (length === 0) break;
    if (length > 63 || offset + length > message.length) return undefined;
    labels.push(message.toString('latin1', offset, offset + length));
    offset += length;
  }
  if (offset + 4 > message.length) return undefined;
  const type = message.readUInt16BE(offset);
  return { name: labels.join('.'), type, questionEnd: offset + 4 };
}

function buildResponse(message: Buffer, query: ParsedQuery, rule: DnsRule | undefined): Buffer {
  let rcode: number = RCODES.NOERROR;
  let answers: Buffer[] = [];
  if (rule === undefined) rcode = RCODES.NXDOMAIN;
  else if (rule.rcode !== undefined) rcode = RCODES[rule.rcode];
  else if (query.type === TYPE_A) answers = (rule.A ?? []).map((a) => record(TYPE_A, ipv4Bytes(a)));
  else if (query.type === TYPE_AAAA) answers = (rule.AAAA ?? []).map((a) => record(TYPE_AAAA, ipv6Bytes(a)));

  const header = Buffer.alloc(12);
  message.copy(header, 0, 0, 2); // id
  const requestFlags = message.readUInt16BE(2);
  const opcode = requestFlags & 0x7800;
  const rd = requestFlags & 0x0100;
  header.writeUInt16BE(0x8000 | opcode | 0x0400 | rd | 0x0080 | rcode, 2); // QR, AA, RD copied, RA
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(0, 10);
  return Buffer.concat([header, message.subarray(12, query.questionEnd), ...answers]);
}

/** One answer record pointing back at the question name, TTL 0 (never cached). */
function record(type: number, data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // IN
  head.writeUInt32BE(0, 6); // TTL
  head.writeUInt16BE(data.length, 10);
  return Buffer.concat([head, data]);
}

function ipv4Bytes(text: string): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(parseIpv4(text), 0);
  return buffer;
}

function ipv6Bytes(text: string): Buffer {
  let value = parseIpv6(text);
  const buffer = Buffer.alloc(16);
  for (let i = 15; i >= 0; i--) {
    buffer[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return buffer;
}
