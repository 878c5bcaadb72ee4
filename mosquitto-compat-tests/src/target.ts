/** Where a case runs: any MQTT 3.1.1 broker reachable over TCP. */
export interface Target {
  /** Key in expectations.json (`pulsehub`, `mosquitto`). */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Credentials every connection presents; both undefined for anonymous (lab) mode. */
  readonly username?: string;
  readonly password?: string;
  /** A topic the target's policy refuses to subscribe to (Paho interop: `test/nosubscribe`). */
  readonly deniedTopic: string;
  close(): Promise<void>;
}

/** The topic every target's test policy denies, as the Eclipse Paho interoperability suite expects. */
export const DENIED_TOPIC = 'test/nosubscribe';
