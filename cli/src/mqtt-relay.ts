import { connect } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * MQTT over WebSocket on a `web` node that runs apart from the brokers: the WebSocket's bytes
 * are MQTT packets, so `/mqtt` is relayed byte for byte to a broker over TCP
 * (PULSEHUB_BROKER_URL — in a cluster, the load balancer's MQTT port, so any live broker).
 * The broker authenticates the client as usual; it sees the web node's address as the peer.
 */
export function relayMqttTo(broker: { host: string; port: number }): (stream: Duplex) => void {
  return (stream) => {
    const socket = connect(broker);
    const end = () => {
      stream.destroy();
      socket.destroy();
    };
    stream.pipe(socket).pipe(stream);
    for (const s of [stream, socket]) {
      s.once('error', end);
      s.once('close', end);
    }
  };
}
