import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, { type Packet, type IPublishPacket } from 'mqtt-packet';
import type { Logger } from 'pino';

/**
 * A minimal MQTT 3.1.1 consumer that lets the application decide when a QoS 1 message is
 * acknowledged. mqtt.js acknowledges inside its serial packet loop, so holding a PUBACK until
 * a database batch commits would stall every later message; here PUBACKs are written whenever
 * `ack()` is called, in any order, while reading continues.
 */
export interface ConsumedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  /** Redelivery of a message not acknowledged before [MQTT-3.3.1-1]. */
  readonly dup: boolean;
  /** Sends the PUBACK (QoS 1). A no-op for QoS 0 and after the connection it came on is gone. */
  ack(): void;
}

export interface ConsumerOptions {
  host: string;
  port: number;
  clientId: string;
  username?: string;
  password?: string;
  subscriptions: readonly { topic: string; qos: 0 | 1 }[];
  /** false keeps the session (subscriptions and unacknowledged messages) across reconnects. */
  clean?: boolean;
  keepaliveSec?: number;
  /**
   * Stop reading the socket while this many messages are unacknowledged (back-pressure). The
   * chunk already read when the bound is reached is still parsed, so it holds to within one read.
   */
  maxUnacked?: number;
  reconnectMs?: number;
  onMessage(message: ConsumedMessage): void;
  logger: Logger;
}

export interface MqttConsumer {
  /** Publishes at QoS 0 on the same connection; false when not connected. */
  publish(topic: string, payload: Buffer | string): boolean;
  readonly connected: boolean;
  readonly unacked: number;
  /** Resolves once CONNACK and SUBACK arrived. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export function createMqttConsumer(o: ConsumerOptions): MqttConsumer {
  const keepalive = o.keepaliveSec ?? 30;
  const maxUnacked = o.maxUnacked ?? 10_000;
  const log = o.logger;
  let socket: Socket | null = null;
  let generation = 0;
  let isConnected = false;
  let closing = false;
  let unacked = 0;
  let paused = false;
  let pingTimer: NodeJS.Timeout | null = null;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let awaitingPong = false;
  let readyWaiters: (() => void)[] = [];
  let nextMessageId = 1;

  let corked: Socket | null = null;
  const write = (packet: Packet): boolean => {
    const s = socket;
    if (!s || s.destroyed) return false;
    // PUBACKs of a committed batch and live republishes come in bursts: one syscall per tick, not per packet.
    if (corked !== s) {
      corked = s;
      s.cork();
      process.nextTick(() => {
        corked = null;
        s.uncork();
      });
    }
    s.write(mqttPacket.generate(packet));
    return true;
  };

  const resumeIfDrained = () => {
    if (paused && unacked <= maxUnacked / 2 && socket) {
      paused = false;
      socket.resume();
    }
  };

  const onPublish = (packet: IPublishPacket, gen: number) => {
    const qos = packet.qos;
    const messageId = packet.messageId;
    let acked = qos === 0;
    if (!acked) {
      unacked++;
      if (unacked >= maxUnacked && !paused && socket) {
        paused = true;
        socket.pause();
        log.warn({ unacked }, 'ingest back-pressure: pausing MQTT intake until the writer catches up');
      }
    }
    o.onMessage({
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      qos,
      dup: packet.dup,
      ack() {
        if (acked) return;
        acked = true;
        // An ack for a connection that is gone is dropped: the broker redelivers that message.
        if (gen !== generation) return;
        unacked--;
        if (messageId !== undefined) write({ cmd: 'puback', messageId });
        resumeIfDrained();
      },
    });
  };

  const start = () => {
    if (closing) return;
    const gen = ++generation;
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const s = netConnect({ host: o.host, port: o.port });
    socket = s;
    s.setNoDelay(true);
    s.on('connect', () => {
      const connect: Packet = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: o.clientId, clean: o.clean ?? false, keepalive };
      if (o.username !== undefined) connect.username = o.username;
      if (o.password !== undefined) connect.password = Buffer.from(o.password);
      write(connect);
    });
    s.on('data', (chunk) => parser.parse(chunk));
    parser.on('error', (err) => {
      log.error({ err: err.message }, 'MQTT protocol error from broker');
      s.destroy();
    });
    parser.on('packet', (packet: Packet) => {
      switch (packet.cmd) {
        case 'connack':
          if (packet.returnCode !== 0) {
            log.error({ returnCode: packet.returnCode }, 'broker refused the ingest connection');
            s.destroy();
            return;
          }
          write({ cmd: 'subscribe', messageId: nextMessageId++ & 0xffff || 1, subscriptions: o.subscriptions.map((x) => ({ topic: x.topic, qos: x.qos })) });
          return;
        case 'suback':
          if (packet.granted.some((g) => g === 0x80)) log.error({ granted: packet.granted }, 'broker refused an ingest subscription');
          isConnected = true;
          for (const w of readyWaiters) w();
          readyWaiters = [];
          return;
        case 'publish':
          onPublish(packet, gen);
          return;
        case 'pingresp':
          awaitingPong = false;
          return;
        case 'pubrel':
          write({ cmd: 'pubcomp', messageId: packet.messageId });
          return;
        default:
          return;
      }
    });
    pingTimer = setInterval(() => {
      if (awaitingPong) {
        log.warn('broker did not answer PINGREQ; reconnecting');
        s.destroy();
        return;
      }
      awaitingPong = true;
      write({ cmd: 'pingreq' });
    }, (keepalive * 1000) / 2);
    s.on('error', (err) => log.warn({ err: err.message }, 'ingest MQTT connection error'));
    s.on('close', () => {
      if (pingTimer) clearInterval(pingTimer);
      pingTimer = null;
      awaitingPong = false;
      isConnected = false;
      // Messages not yet acknowledged will be redelivered on the next session [MQTT-4.4.0-1].
      unacked = 0;
      paused = false;
      if (!closing) reconnectTimer = setTimeout(start, o.reconnectMs ?? 500);
    });
  };

  start();

  return {
    publish(topic, payload) {
      if (!isConnected) return false;
      return write({ cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: 0, retain: false, dup: false });
    },
    get connected() {
      return isConnected;
    },
    get unacked() {
      return unacked;
    },
    ready() {
      return isConnected ? Promise.resolve() : new Promise((r) => readyWaiters.push(r));
    },
    async close() {
      closing = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      const s = socket;
      if (!s || s.destroyed) return;
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        write({ cmd: 'disconnect' });
        s.end();
        setTimeout(() => s.destroy(), 1000).unref();
      });
    },
  };
}
