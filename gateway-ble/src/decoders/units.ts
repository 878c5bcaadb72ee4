/** Exact conversion factors (NIST SP 811: 1 lb = 0.45359237 kg, 1 in = 0.0254 m). */
export const KG_PER_LB = 0.45359237;
export const M_PER_INCH = 0.0254;
/** 1 catty (jin, 市斤) = 0.5 kg. */
export const KG_PER_CATTY = 0.5;
