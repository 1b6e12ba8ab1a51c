/** Segmentation post-processing: mask → cleaned mask → robust ellipse → landmarks, mm, checks. */
export * from "./mask_to_biometry.ts";
export * from "./validate.ts";
export * from "./edge_points.ts";
