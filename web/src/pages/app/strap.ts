import { decodeHeartRate, type HeartRateReading } from '@pulsehub/gateway-ble/decoders';

export type StrapState = 'unsupported' | 'idle' | 'connecting' | 'connected' | 'reconnecting';

/**
 * A heart-rate strap over Web Bluetooth: Heart Rate service 0x180D, Heart Rate Measurement
 * 0x2A37 notifications, decoded by the gateway's own decoder (`@pulsehub/gateway-ble/decoders`,
 * browser-safe), RR intervals included. When the strap drops (out of range, asleep), it
 * reconnects by itself with a growing pause (1 s .. 30 s), as long as the page is open.
 */
export class Strap {
  private device: PhBluetoothDevice | null = null;
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Characteristics with our listener (the browser hands the same object back after a reconnect). */
  private readonly wired = new WeakSet<PhBluetoothCharacteristic>();
  private events = 0;
  state: StrapState;

  constructor(private readonly onReading: (r: HeartRateReading, at: Date) => void, private readonly onState: (s: StrapState, detail?: string) => void) {
    this.state = navigator.bluetooth ? 'idle' : 'unsupported';
  }

  /** Needs a tap (the browser's device chooser). */
  async pick(): Promise<void> {
    const bt = navigator.bluetooth;
    if (!bt) return this.set('unsupported');
    const device = await bt.requestDevice({ filters: [{ services: ['heart_rate'] }] });
    this.device = device;
    device.addEventListener('gattserverdisconnected', () => this.reconnectLater());
    await this.connect();
  }

  private async connect(): Promise<void> {
    const gatt = this.device?.gatt;
    if (!gatt) return;
    this.set(this.retry === 0 ? 'connecting' : 'reconnecting');
    try {
      const server = await gatt.connect();
      const service = await server.getPrimaryService('heart_rate');
      const ch = await service.getCharacteristic('heart_rate_measurement');
      const handle = (v: DataView | undefined) => {
        if (!v) return;
        try {
          this.onReading(decodeHeartRate(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)), new Date());
        } catch (err) {
          this.onState(this.state, `a measurement could not be decoded: ${(err as Error).message}`);
        }
      };
      if (!this.wired.has(ch)) {
        this.wired.add(ch);
        ch.addEventListener('characteristicvaluechanged', () => {
          this.events++;
          handle(ch.value);
        });
      }
      await ch.startNotifications();
      // A strap that also allows reading 0x2A37 gives its last measurement at once, so the BPM
      // shows before the first notification (Chromium fires characteristicvaluechanged for a
      // read too; the count keeps it from being taken twice).
      if (ch.properties.read) {
        const before = this.events;
        const v = await ch.readValue().catch(() => undefined);
        if (this.events === before) handle(v);
      }
      this.retry = 0;
      this.set('connected', this.device?.name);
    } catch (err) {
      this.onState('reconnecting', (err as Error).message);
      this.reconnectLater();
    }
  }

  private reconnectLater(): void {
    if (this.timer || !this.device) return;
    this.set('reconnecting');
    const wait = Math.min(30_000, 1000 * 2 ** this.retry++);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, wait);
  }

  private set(s: StrapState, detail?: string): void {
    this.state = s;
    this.onState(s, detail);
  }
}
