/** Preprocessing and augmentation: one import for everything in lib/transforms. */
export * from "./types.ts";
export * from "./clahe.ts";
export * from "./compose.ts";
export * from "./geometric.ts";
export * from "./intensity.ts";
export * from "./ultrasound.ts";
export * from "./normalise.ts";
export * from "./pipeline.ts";
