/** Public surface of the model zoo. Importing it registers the custom layers and all models. */
export {
  createModel,
  describeModel,
  listModels,
  type ModelEntry,
  type ModelInfo,
  registerArchitecture,
  registerModel,
  resolveModelOptions,
} from "./registry.ts";
export type { Architecture, ResolvedOptions } from "./architectures.ts";
export {
  buildEncoder,
  createEncoder,
  type EncoderBuildOptions,
  type EncoderModel,
  listEncoders,
  parseEncoderName,
} from "./encoders/mod.ts";
// Building blocks for new architectures (registerArchitecture).
export { BuildContext } from "./blocks.ts";
export { unetDecoder, type UNetDecoderOptions } from "./decoders/unet.ts";
export { fcnDecoder } from "./decoders/fcn.ts";
export { asppModule, deeplabV3PlusDecoder, scaledAtrousRates } from "./decoders/deeplab.ts";
export { spatialConfiguration } from "./decoders/scn.ts";
export { coordHead, heatmapHead, segmentationHead } from "./heads.ts";
export { AtrousConv2D, BatchNorm, DropConnect, ResizeTo, SeededDropout, Swish } from "./layers.ts";
export type { FeatureMap, ModelOptions, OutputInfo, OutputKind } from "./types.ts";
export { formatSummary, type ModelSummary, type StageSummary, summarize } from "./summary.ts";
export { loadEncoderWeights, type WeightLoadReport } from "./weights.ts";
