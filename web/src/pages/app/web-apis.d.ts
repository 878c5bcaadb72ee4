// The few Web Bluetooth and Generic Sensor types the app uses (not in TypeScript's DOM lib).
interface PhBluetoothCharacteristic extends EventTarget {
  readonly value?: DataView;
  readonly properties: { readonly notify: boolean; readonly read: boolean };
  startNotifications(): Promise<PhBluetoothCharacteristic>;
  readValue(): Promise<DataView>;
}
interface PhBluetoothService {
  getCharacteristic(name: string | number): Promise<PhBluetoothCharacteristic>;
}
interface PhGattServer {
  readonly connected: boolean;
  connect(): Promise<PhGattServer>;
  disconnect(): void;
  getPrimaryService(name: string | number): Promise<PhBluetoothService>;
}
interface PhBluetoothDevice extends EventTarget {
  readonly id: string;
  readonly name?: string;
  readonly gatt?: PhGattServer;
}
interface PhBluetooth {
  requestDevice(o: { filters: { services: (string | number)[] }[] }): Promise<PhBluetoothDevice>;
  getDevices?(): Promise<PhBluetoothDevice[]>;
}
interface PhAccelerometer extends EventTarget {
  readonly x: number | null;
  readonly y: number | null;
  readonly z: number | null;
  readonly timestamp: number | null;
  start(): void;
  stop(): void;
}
interface Navigator {
  readonly bluetooth?: PhBluetooth;
}
interface Window {
  Accelerometer?: new (o?: { frequency?: number }) => PhAccelerometer;
}
