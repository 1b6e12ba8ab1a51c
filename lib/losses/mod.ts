/** Loss functions on tfjs tensors, usable inside tf.variableGrads; all reduce with the mean. */
export { mse } from "./mse.ts";
export { l1 } from "./l1.ts";
export { smoothL1 } from "./smooth_l1.ts";
export { wing, type WingOptions } from "./wing.ts";
export { adaptiveWing, type AdaptiveWingOptions } from "./adaptive_wing.ts";
export { dice, type DiceOptions } from "./dice.ts";
export { bce } from "./bce.ts";
export { diceBce, type DiceBceOptions } from "./dice_bce.ts";
export { geometricConsistency, type GeometricConsistencyOptions } from "./geometric_consistency.ts";
export { alignPairOrder } from "./pair_order.ts";
