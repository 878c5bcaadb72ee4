import { EventEmitter } from 'node:events';

/**
 * A fake noble *binding* (the layer below noble that talks HCI): the real noble state
 * machine — Peripheral, Service, Characteristic objects, connect/subscribe callbacks — runs
 * on top of it unchanged (`@abandonware/noble/with-bindings`). Only the radio is simulated.
 */
export interface FakeCharacteristic {
  readonly uuid: string;
  readonly properties: string[];
  value?: Buffer;
}
export interface FakePeripheral {
  readonly id: string;
  readonly address: string;
  localName?: string;
  services: Record<string, FakeCharacteristic[]>;
  serviceData?: { uuid: string; data: Buffer }[];
  /** Connect attempts to refuse (error) before accepting. */
  failConnects?: number;
  /** Never answer connect (the sensor is out of range). */
  silent?: boolean;
}

const later = (f: () => void): void => void setImmediate(f);

export class FakeBinding extends EventEmitter {
  readonly peripherals = new Map<string, FakePeripheral>();
  readonly connectLog: { id: string; at: number }[] = [];
  readonly subscribed = new Set<string>();
  readonly connected = new Set<string>();
  scanning = false;
  initialState = 'poweredOn';

  init(): void {
    later(() => this.emit('stateChange', this.initialState));
  }
  setScanParameters(): void {}
  startScanning(): void {
    this.scanning = true;
    later(() => this.emit('scanStart', false));
  }
  stopScanning(): void {
    this.scanning = false;
    later(() => this.emit('scanStop'));
  }
  updateRssi(): void {}
  reset(): void {}
  connect(id: string): void {
    this.connectLog.push({ id, at: Date.now() });
    const p = this.peripherals.get(id);
    if (!p || p.silent) return;
    if ((p.failConnects ?? 0) > 0) {
      p.failConnects = (p.failConnects ?? 0) - 1;
      later(() => this.emit('connect', id, new Error('connection failed (simulated)')));
      return;
    }
    this.connected.add(id);
    later(() => this.emit('connect', id, null));
  }
  cancelConnect(id: string): void {
    later(() => this.emit('connect', id, new Error('connection canceled')));
  }
  disconnect(id: string): void {
    this.connected.delete(id);
    later(() => this.emit('disconnect', id, 'local'));
  }
  discoverServices(id: string, uuids: string[]): void {
    const p = this.peripherals.get(id);
    const all = Object.keys(p?.services ?? {});
    later(() => this.emit('servicesDiscover', id, uuids.length ? all.filter((u) => uuids.includes(u)) : all));
  }
  discoverCharacteristics(id: string, service: string, uuids: string[]): void {
    const chars = this.peripherals.get(id)?.services[service] ?? [];
    const list = chars.filter((c) => uuids.length === 0 || uuids.includes(c.uuid)).map((c) => ({ uuid: c.uuid, properties: c.properties }));
    later(() => this.emit('characteristicsDiscover', id, service, list));
  }
  notify(id: string, service: string, characteristic: string, on: boolean): void {
    if (on) this.subscribed.add(`${id}/${characteristic}`);
    else this.subscribed.delete(`${id}/${characteristic}`);
    later(() => this.emit('notify', id, service, characteristic, on));
  }
  read(id: string, service: string, characteristic: string): void {
    const c = this.peripherals.get(id)?.services[service]?.find((x) => x.uuid === characteristic);
    later(() => this.emit('read', id, service, characteristic, c?.value ?? Buffer.alloc(0), false));
  }

  // ---- the simulated radio -------------------------------------------------------

  add(p: FakePeripheral): FakePeripheral {
    this.peripherals.set(p.id, p);
    return p;
  }

  advertise(p: FakePeripheral, rssi = -60): void {
    const advertisement = {
      localName: p.localName,
      serviceUuids: Object.keys(p.services),
      serviceData: p.serviceData ?? [],
      manufacturerData: undefined,
      txPowerLevel: undefined,
    };
    this.emit('discover', p.id, p.address, 'public', true, advertisement, rssi, true);
  }

  /** A notification (or indication) from the sensor. */
  push(p: FakePeripheral, service: string, characteristic: string, data: Buffer): void {
    this.emit('read', p.id, service, characteristic, data, true);
  }

  /** The sensor goes out of range. */
  drop(p: FakePeripheral): void {
    this.connected.delete(p.id);
    this.subscribed.forEach((s) => s.startsWith(`${p.id}/`) && this.subscribed.delete(s));
    this.emit('disconnect', p.id, 0x08);
  }
}
