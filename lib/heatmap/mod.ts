/** Gaussian heatmap targets and sub-pixel decoding (see targets.ts and decode.ts for conventions). */
export * from "./targets.ts";
export * from "./learnable_sigma.ts";
export * from "./decode.ts";
export * from "./integral.ts";
export * from "./configuration.ts";
