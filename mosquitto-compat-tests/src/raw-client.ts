import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, { type IConnackPacket, type IConnectPacket, type Packet } from 'mqtt-packet';
import type { Target } from './target.js';

/**
 * A byte-level MQTT client: it sends exactly the packets (or bytes) a case gives it and
 * records every packet the broker sends back, so a case can assert on flags, packet ids and
 * whether the broker closed the connection. No retries, no automatic acknowledgements.
 */
export class RawClient {
  private readonly received: Packet[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  private closedFlag = false;
  parseError: Error | null = null;

  private constructor(private readonly socket: Socket) {
    this.parser.on('packet', (p: Packet) => {
      this.received.push(p);
      this.wake();
    });
    this.parser.on('error', (err: Error) => {
      this.parseError = err;
      this.wake();
    });
    socket.on('data', (buf) => this.parser.parse(buf));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closedFlag = true;
      this.wake();
    });
  }

  static open(target: Target): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: target.host, port: target.port }, () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  send(packet: Packet): void {
    if (!this.closedFlag) this.socket.write(mqttPacket.generate(packet));
  }

  sendBytes(bytes: Buffer | number[]): void {
    if (!this.closedFlag) this.socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  /** Waits for the first received packet matching `match` (removing it); rejects after `timeoutMs`. */
  next<P extends Packet = Packet>(match: string | ((p: Packet) => boolean), timeoutMs = 2000): Promise<P> {
    const pred = typeof match === 'string' ? (p: Packet) => p.cmd === match : match;
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const i = this.received.findIndex(pred);
        if (i >= 0) {
          const [p] = this.received.splice(i, 1);
          done();
          resolve(p as P);
          return true;
        }
        if (this.closedFlag) {
          done();
          reject(new Error(`connection closed while waiting for ${typeof match === 'string' ? match : 'a packet'}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${typeof match === 'string' ? match : 'matching packet'} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = () => void check();
      if (!check()) this.waiters.add(waiter);
    });
  }

  /** All packets of `cmd` received so far (not removed). */
  peek(cmd?: string): Packet[] {
    return cmd === undefined ? [...this.received] : this.received.filter((p) => p.cmd === cmd);
  }

  /** Collects every packet of `cmd` that arrives within `ms`. */
  async collect<P extends Packet = Packet>(cmd: string, ms: number): Promise<P[]> {
    await sleep(ms);
    const out: P[] = [];
    for (let i = 0; i < this.received.length; ) {
      const p = this.received[i]!;
      if (p.cmd === cmd) {
        out.push(p as P);
        this.received.splice(i, 1);
      } else i++;
    }
    return out;
  }

  /** Resolves true once the broker has closed the connection, false if it is still open after `timeoutMs`. */
  waitClosed(timeoutMs = 2000): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.closedFlag) return resolve(true);
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = () => {
        if (!this.closedFlag) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(true);
      };
      this.waiters.add(waiter);
    });
  }

  /** Sends CONNECT (3.1.1 defaults) and waits for the CONNACK. */
  async connect(options: Partial<IConnectPacket> = {}, target?: Target): Promise<IConnackPacket> {
    const packet: IConnectPacket = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: '', ...options };
    if (target?.username !== undefined && packet.username === undefined) packet.username = target.username;
    if (target?.password !== undefined && packet.password === undefined) packet.password = Buffer.from(target.password);
    this.send(packet);
    return this.next<IConnackPacket>('connack');
  }

  /** Drops the TCP connection without DISCONNECT (the broker sees a network failure). */
  drop(): void {
    this.socket.destroy();
  }

  /** Sends DISCONNECT and closes the socket. */
  disconnect(): void {
    this.send({ cmd: 'disconnect' });
    this.socket.end();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
