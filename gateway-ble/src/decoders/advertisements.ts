import { MI_BODY_SCALE_SERVICE, MI_SCALE_SERVICE, decodeMiBodyScale, decodeMiScale, type MiScaleMeasurement } from './mi-scale.js';

/**
 * Every sensor the gateway reads from advertisements instead of a connection. Scales repeat
 * one weigh-in in advertisements for seconds to minutes, so every decoder here yields a
 * weigh-in frame (stabilized, removed, clock, reading) and the runtime passes all of them
 * through one `WeighInTracker` per sensor: a decoder added here is deduplicated the same way,
 * and `test/advertisement-dedupe.test.ts` runs the same repeat cases against each entry.
 */
export type WeighInFrame = MiScaleMeasurement;

export interface AdvertisementDecoder {
  /** 16-bit service UUID of the AD Service Data the frame is carried in. */
  readonly serviceData: string;
  readonly decode: (data: Uint8Array) => WeighInFrame;
  /** The scale measures impedance after the weight: wait for it before publishing (up to the settle time). */
  readonly measuresImpedance: boolean;
}

export const ADVERTISEMENT_DECODERS = {
  mi_scale: { serviceData: MI_SCALE_SERVICE, decode: decodeMiScale, measuresImpedance: false },
  mi_body_scale: { serviceData: MI_BODY_SCALE_SERVICE, decode: decodeMiBodyScale, measuresImpedance: true },
} as const satisfies Record<string, AdvertisementDecoder>;

export type AdvertisementProfileName = keyof typeof ADVERTISEMENT_DECODERS;
